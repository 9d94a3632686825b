"""年薪制 and 个体 members' dues come from an income that changes month by month (党费规定 §1–2,
domain spec §2.3): the 年薪制 member pays on the pay actually received that month (按当月实际领取
的工资), the self-employed member on the previous quarter's average monthly net income. Both use
the in-service brackets. One row per member per month whose dues it sets; a quarterly income
sets the three months of the following quarter."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from branches.models import Organization

from .ledger import period_label


class IncomeSource(models.TextChoices):
    MONTHLY_PAY = "monthly_pay", _("当月实际领取工资（年薪制）")
    QUARTER_AVERAGE = "quarter_average", _("上季度月平均纯收入（个体）")


class DuesIncomeEntryQuerySet(models.QuerySet):
    def visible_to(self, user):
        from .ledger import _scoped

        return _scoped(self, user, "")


class DuesIncomeEntry(models.Model):
    member = models.ForeignKey(
        "members.Member", verbose_name=_("党员"), on_delete=models.PROTECT, related_name="dues_incomes"
    )
    branch = models.ForeignKey(
        Organization, verbose_name=_("所在支部"), on_delete=models.PROTECT, related_name="+"
    )
    period = models.PositiveIntegerField(_("党费月份"))
    source = models.CharField(_("收入依据"), max_length=20, choices=IncomeSource.choices)
    income_period = models.PositiveIntegerField(
        _("收入所属月份"), help_text=_("年薪制为当月；个体为上季度的第一个月")
    )
    income = models.DecimalField(_("收入（元）"), max_digits=12, decimal_places=2)
    rate = models.DecimalField(_("比例"), max_digits=6, decimal_places=4)
    monthly_amount = models.DecimalField(_("当月应交（元）"), max_digits=10, decimal_places=2)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("填报人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    entered_at = models.DateTimeField(_("填报时间"), auto_now=True)

    objects = DuesIncomeEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("党费月度收入")
        verbose_name_plural = _("党费月度收入")
        ordering = ["member", "period"]
        constraints = [models.UniqueConstraint(fields=["member", "period"], name="duesincome_member_period")]
        indexes = [models.Index(fields=["period"], name="duesincome_period")]

    def __str__(self):
        return f"{self.member} {period_label(self.period)} {self.monthly_amount}"

    @property
    def period_label(self):
        return period_label(self.period)
