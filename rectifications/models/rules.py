"""The monthly progress-update due day as a versioned rule table (domain §2.6: branches report
"每月28日前"; some committees set an earlier day for their subtree)."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from branches.models import ScopedRule

DEFAULT_UPDATE_DUE_DAY = 28


class RectificationRule(ScopedRule):
    """By which day of each month a claimed item owes its progress update."""

    update_due_day = models.PositiveSmallIntegerField(
        _("每月推进情况报送截止日"), default=DEFAULT_UPDATE_DUE_DAY, help_text=_("1至28日")
    )

    class Meta:
        verbose_name = _("整改台账规则")
        verbose_name_plural = _("整改台账规则")
        ordering = ["-effective_from"]

    def __str__(self):
        return _("每月%(day)s日前报送") % {"day": self.update_due_day}

    def clean(self):
        if not 1 <= (self.update_due_day or 0) <= 28:
            raise ValidationError({"update_due_day": _("截止日应为1至28日（每个月都有的日期）。")})

    @classmethod
    def due_day_for(cls, org, on=None):
        rules = list(cls.in_force(org, on))
        return max(rules, key=cls.rank).update_due_day if rules else DEFAULT_UPDATE_DUE_DAY


class DueDayResolver:
    """Due days for many organisations from one query: every row in force is loaded once (the
    table holds a handful of rows) and resolved per organisation by path, most specific first."""

    def __init__(self, on=None):
        self.on = on or timezone.localdate()
        rows = RectificationRule.objects.filter(effective_from__lte=self.on).values_list(
            "organization__path", "effective_from", "update_due_day"
        )
        self._rows = [(path or "", start, day) for path, start, day in rows]
        self._cache = {}

    def due_day(self, org):
        return self.due_day_at(org.path)

    def due_day_at(self, org_path):
        """The due day of the organisation at `org_path`."""
        if org_path not in self._cache:
            candidates = [
                (len(path), start, day)
                for path, start, day in self._rows
                if not path or org_path.startswith(path)
            ]
            self._cache[org_path] = max(candidates)[2] if candidates else DEFAULT_UPDATE_DUE_DAY
        return self._cache[org_path]
