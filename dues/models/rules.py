"""Dues rule tables (党费规定 2008, domain spec §2.3): every number is a versioned row with an
effective date, overridable for a committee's subtree (branches.models.ScopedRule).

- DuesBracket: the income brackets per category (rate, inclusive upper bound); a set of rows with
  the same scope and effective date is one version of the table.
- DuesPolicy: rounding, the fixed amounts, and the switches for the practices local rules restrict
  (代交, quarterly payment, make-up, prepayment — each at most 6 months when allowed).
- BranchDuesSetting: a branch's collection day and its farmers' monthly amount."""

import datetime
import decimal
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from branches.models import ScopedRule

FEN = Decimal("0.01")


class Rounding(models.TextChoices):
    HALF_UP = "half_up", _("四舍五入")
    HALF_EVEN = "half_even", _("银行家舍入")
    DOWN = "down", _("舍去")
    UP = "up", _("进一")


ROUNDING_MODES = {
    Rounding.HALF_UP: decimal.ROUND_HALF_UP,
    Rounding.HALF_EVEN: decimal.ROUND_HALF_EVEN,
    Rounding.DOWN: decimal.ROUND_DOWN,
    Rounding.UP: decimal.ROUND_UP,
}


class BracketCategory(models.TextChoices):
    """The categories whose amount is a share of income; 年薪制 and 个体 use the in-service table on
    the month's pay or the previous quarter's average (党费规定 §1–2)."""

    IN_SERVICE = "in_service", _("在职")
    RETIRED = "retired", _("离退休")


# 党费规定 (2008): loaded as the global rows by migration 0002, and the fallback when no row is in
# force (an emptied table must not break collection).
NATIONAL_BRACKETS = {
    "in_service": ((Decimal("3000.00"), Decimal("0.0050")), (Decimal("5000.00"), Decimal("0.0100")),
                   (Decimal("10000.00"), Decimal("0.0150")), (None, Decimal("0.0200"))),
    "retired": ((Decimal("5000.00"), Decimal("0.0050")), (None, Decimal("0.0100"))),
}  # fmt: skip
NATIONAL_SINCE = datetime.date(2008, 4, 1)


class DuesBracket(ScopedRule):
    category = models.CharField(_("类别"), max_length=20, choices=BracketCategory.choices)
    upper_bound = models.DecimalField(
        _("月收入上限（含）"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("留空表示无上限"),
    )
    rate = models.DecimalField(_("比例"), max_digits=6, decimal_places=4, help_text=_("如 0.0150 表示 1.5%"))

    class Meta:
        verbose_name = _("党费比例档次")
        verbose_name_plural = _("党费比例档次")
        ordering = ["category", "-effective_from", models.F("upper_bound").asc(nulls_last=True)]

    def __str__(self):
        bound = self.upper_bound if self.upper_bound is not None else "∞"
        return f"{self.get_category_display()} ≤{bound}: {self.rate}"

    def clean(self):
        if self.rate is not None and not Decimal("0") <= self.rate <= Decimal("0.1"):
            raise ValidationError({"rate": _("比例应在0至0.1（10%）之间。")})
        if self.upper_bound is not None and self.upper_bound <= 0:
            raise ValidationError({"upper_bound": _("上限应大于0。")})

    @classmethod
    def table_for(cls, category, org=None, on=None):
        """The bracket rows in force for a category: the most specific scope, then the newest
        effective date, wins as a whole version (brackets are never mixed across versions)."""
        on = on or timezone.localdate()
        if org is None:
            rows = list(
                cls.objects.filter(
                    category=category, organization__isnull=True, effective_from__lte=on
                ).annotate(scope_depth=models.Value(0))
            )
        else:
            rows = list(cls.in_force(org, on).filter(category=category))
        if not rows:
            return [
                cls(
                    category=category,
                    upper_bound=upper,
                    rate=rate,
                    effective_from=NATIONAL_SINCE,
                    source="党费规定（2008）",
                )
                for upper, rate in NATIONAL_BRACKETS.get(category, ())
            ]
        best = max((r.scope_depth, r.effective_from) for r in rows)
        version = [r for r in rows if (r.scope_depth, r.effective_from) == best]
        return sorted(version, key=lambda r: (r.upper_bound is None, r.upper_bound or 0))


class PolicyStatus(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("未批准")


class DuesPolicy(ScopedRule):
    rounding = models.CharField(
        _("舍入方式"), max_length=10, choices=Rounding.choices, default=Rounding.HALF_UP
    )
    fixed_amount = models.DecimalField(
        _("学生、下岗失业、抚恤救济人员每月（元）"), max_digits=6, decimal_places=2, default=Decimal("0.20")
    )
    farmer_min = models.DecimalField(
        _("农民党员每月最低（元）"), max_digits=6, decimal_places=2, default=Decimal("0.20")
    )
    farmer_max = models.DecimalField(
        _("农民党员每月最高（元）"), max_digits=6, decimal_places=2, default=Decimal("1.00")
    )
    allow_proxy = models.BooleanField(_("允许代交"), default=True)
    allow_quarterly = models.BooleanField(_("允许按季度交纳"), default=True)
    allow_makeup = models.BooleanField(_("允许补交"), default=True)
    makeup_max_months = models.PositiveSmallIntegerField(_("补交最多（月）"), default=6)
    allow_prepay = models.BooleanField(_("允许预交"), default=True)
    prepay_max_months = models.PositiveSmallIntegerField(_("预交最多（月）"), default=6)
    large_voluntary_threshold = models.DecimalField(
        _("大额党费起点（元）"), max_digits=12, decimal_places=2, default=Decimal("1000.00")
    )
    lapse_months = models.PositiveSmallIntegerField(_("连续未交纳党费提示自行脱党（月）"), default=6)
    # A committee's override for its subtree (domain spec §2.8): requested with a reason, in force
    # only once the committee above approves. Rows entered by an administrator are approved.
    status = models.CharField(
        _("状态"), max_length=10, choices=PolicyStatus.choices, default=PolicyStatus.APPROVED
    )
    reason = models.CharField(_("调整理由"), max_length=200, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("申请时间"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("审批时间"), null=True, blank=True)

    SWITCHES = (
        "allow_proxy",
        "allow_quarterly",
        "allow_makeup",
        "makeup_max_months",
        "allow_prepay",
        "prepay_max_months",
    )

    class Meta:
        verbose_name = _("党费政策")
        verbose_name_plural = _("党费政策")
        ordering = ["-effective_from"]

    def __str__(self):
        return f"{self.organization or _('全局')} {self.effective_from}"

    def clean(self):
        errors = {}
        for name in ("makeup_max_months", "prepay_max_months"):
            value = getattr(self, name)
            if value is not None and not 1 <= value <= 6:
                errors[name] = _("党费规定：补交或预交最多6个月。")
        if self.farmer_min is not None and self.farmer_max is not None and self.farmer_min > self.farmer_max:
            errors["farmer_max"] = _("最高金额不能低于最低金额。")
        if errors:
            raise ValidationError(errors)

    @classmethod
    def in_force(cls, org, on=None):
        """Only approved rows are in force (a pending or rejected override is not)."""
        return super().in_force(org, on).filter(status=PolicyStatus.APPROVED)

    @classmethod
    def for_org(cls, org=None, on=None):
        """The policy in force for `org` (None: the global row); an unsaved default when the table is
        empty, so that an emptied table never breaks collection."""
        on = on or timezone.localdate()
        if org is None:
            rows = list(
                cls.objects.filter(
                    organization__isnull=True, effective_from__lte=on, status=PolicyStatus.APPROVED
                ).annotate(scope_depth=models.Value(0))
            )
        else:
            rows = list(cls.in_force(org, on))
        return max(rows, key=cls.rank) if rows else cls(effective_from=on)

    @classmethod
    def for_org_and_global(cls, org, on=None):
        """(for_org(org, on), for_org(None, on)) from one query: the global rows are among `org`'s
        candidates."""
        on = on or timezone.localdate()
        rows = list(cls.in_force(org, on))
        national = [row for row in rows if row.organization_id is None]
        return (
            max(rows, key=cls.rank) if rows else cls(effective_from=on),
            max(national, key=cls.rank) if national else cls(effective_from=on),
        )

    def round(self, amount):
        return Decimal(amount).quantize(FEN, rounding=ROUNDING_MODES[self.rounding])


class BranchDuesSetting(ScopedRule):
    """A branch's collection day (收缴日, 党费规定: a fixed day each month) and its farmers' amount."""

    collection_day = models.PositiveSmallIntegerField(_("每月收缴日"), default=10)
    farmer_amount = models.DecimalField(
        _("农民党员每月交纳（元）"), max_digits=6, decimal_places=2, default=Decimal("0.20")
    )

    class Meta:
        verbose_name = _("支部党费设置")
        verbose_name_plural = _("支部党费设置")
        ordering = ["-effective_from"]

    def __str__(self):
        return f"{self.organization or _('全局')}: {self.collection_day}"

    def clean(self):
        errors = {}
        if self.collection_day is not None and not 1 <= self.collection_day <= 28:
            errors["collection_day"] = _("收缴日应为每月1至28日。")
        if self.farmer_amount is not None and self.effective_from is not None:
            policy = DuesPolicy.for_org(self.organization, self.effective_from)
            if not policy.farmer_min <= self.farmer_amount <= policy.farmer_max:
                errors["farmer_amount"] = _("农民党员每月交纳%(min)s元至%(max)s元。") % {
                    "min": policy.farmer_min,
                    "max": policy.farmer_max,
                }
        if errors:
            raise ValidationError(errors)

    @classmethod
    def for_org(cls, org, on=None):
        on = on or timezone.localdate()
        rows = list(cls.in_force(org, on)) if org is not None else []
        return max(rows, key=cls.rank) if rows else cls(effective_from=on)


@dataclass(frozen=True)
class Calculation:
    category: str
    income: Decimal | None
    rate: Decimal | None
    monthly_amount: Decimal
    rule: dict
