"""Rollups behind the dashboards: one row per organisation and period with the figures of
compliance.metrics — a branch's own, or the sums over a committee's subtree — so a dashboard reads
the organisation's row and its children's, whatever the subtree's size.

`period` is a compliance period code (`2026-05`, `2026-Q2`, `2026`) or `now` (membership structure,
terms and vacancies as of `computed_on`). `data` holds the figures (see `dashboards.rollups`)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from branches.models import Organization


class OrgFigures(models.Model):
    organization = models.ForeignKey(
        Organization, verbose_name=_("党组织"), on_delete=models.CASCADE, related_name="+"
    )
    period = models.CharField(_("期间"), max_length=8)
    data = models.JSONField(_("数据"), default=dict)
    computed_on = models.DateField(_("计算日期"))
    computed_at = models.DateTimeField(_("计算时间"), auto_now=True)

    class Meta:
        verbose_name = _("驾驶舱汇总")
        verbose_name_plural = _("驾驶舱汇总")
        constraints = [
            models.UniqueConstraint(fields=["organization", "period"], name="orgfigures_org_period"),
        ]
        indexes = [models.Index(fields=["period"], name="orgfigures_period")]

    def __str__(self):
        return f"{self.organization_id} {self.period}"
