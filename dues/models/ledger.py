"""Yearly bases, exemptions, monthly obligations and payments — a ledger (domain spec §2.3).

Nothing here is edited or deleted once written: a wrong obligation is cancelled by a reversing
obligation row, a wrong payment by a reversing payment (with negative allocations); every balance
is derived. Months are stored as an integer `period` (year × 12 + month − 1) so month arithmetic,
"consecutive months" and ranges are plain integer SQL on every database."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from branches.choices import ChoiceLabels
from branches.models import Organization
from members.models import DuesCategory


def period_of(day):
    return day.year * 12 + day.month - 1


def period_start(period):
    return datetime.date(period // 12, period % 12 + 1, 1)


def period_label(period):
    return f"{period // 12:04d}-{period % 12 + 1:02d}"


def months_label(periods):
    """The months a payment went to, as listed: a run of three or more as "first—last"."""
    months = sorted(set(periods))
    if not months:
        return ""
    if len(months) > 2 and months[-1] - months[0] == len(months) - 1:
        return f"{period_label(months[0])}—{period_label(months[-1])}"
    return "、".join(period_label(p) for p in months)


def parse_period(value):
    """ "YYYY-MM" → period, or None."""
    try:
        year, month = (int(p) for p in str(value).split("-"))
    except ValueError:
        return None
    if len(str(value)) != 7 or not (1900 <= year <= 9999 and 1 <= month <= 12):
        return None
    return year * 12 + month - 1


def _scoped(qs, user, prefix):
    """Rows of members the user may see: officers and committee staff their subtree, a member only
    their own (a member's own branch is visible to them, its other members' dues are not)."""
    from branches.scoping import scope_for

    scope = scope_for(user)
    if scope.is_admin:
        return qs
    q = scope.editable_q(f"{prefix}branch__") if scope.editable_paths else Q(pk__in=[])
    if scope.member_ids:
        q |= Q(**{f"{prefix}member_id__in" if prefix else "member_id__in": scope.member_ids})
    return qs.filter(q)


class BaseStatus(models.TextChoices):
    DRAFT = "draft", _("待核定")
    VERIFIED = "verified", _("已核定")
    LOCKED = "locked", _("已锁定")


class DuesBaseQuerySet(models.QuerySet):
    def visible_to(self, user):
        return _scoped(self, user, "")

    def with_amount_in_force(self, period):
        """Each base with `amount_in_force`: its monthly amount in `period`, after the latest approved
        adjustment from then on (selectors.amount_in_force, in the same query)."""
        latest = (
            DuesBaseAdjustment.objects.filter(
                base=OuterRef("pk"), status=AdjustmentStatus.APPROVED, from_period__lte=period
            )
            .order_by("-from_period", "-pk")
            .values("monthly_amount")[:1]
        )
        return self.annotate(amount_in_force=Coalesce(Subquery(latest), "monthly_amount"))


class DuesBase(ChoiceLabels, models.Model):
    """党费基数: one per member per year. Fixed at the start of the year and unchanged during it
    (中组部 guidance); once locked, a change is a DuesBaseAdjustment with a reason and an approver."""

    # db_index=False: an index in Meta leads with this column (a second, single-column one only slows inserts).
    member = models.ForeignKey(
        "members.Member",
        verbose_name=_("党员"),
        db_index=False,
        on_delete=models.PROTECT,
        related_name="dues_bases",
    )
    branch = models.ForeignKey(
        Organization, verbose_name=_("所在支部"), db_index=False, on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    category = models.CharField(_("党费类别"), max_length=20, choices=DuesCategory.choices)
    income = models.DecimalField(
        _("月收入基数（元）"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    rate = models.DecimalField(_("比例"), max_digits=6, decimal_places=4, null=True, blank=True)
    monthly_amount = models.DecimalField(_("每月应交（元）"), max_digits=10, decimal_places=2)
    status = models.CharField(_("状态"), max_length=10, choices=BaseStatus.choices, default=BaseStatus.DRAFT)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("核定人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    verified_at = models.DateTimeField(_("核定时间"), null=True, blank=True)
    locked_at = models.DateTimeField(_("锁定时间"), null=True, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = DuesBaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("党费基数")
        verbose_name_plural = _("党费基数")
        ordering = ["-year", "branch", "member"]
        constraints = [models.UniqueConstraint(fields=["member", "year"], name="duesbase_member_year")]
        indexes = [models.Index(fields=["branch", "year"], name="duesbase_branch_year")]

    def __str__(self):
        return f"{self.member} {self.year}"

    @property
    def is_locked(self):
        return self.status == BaseStatus.LOCKED


class AdjustmentStatus(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("未批准")


class DuesBaseAdjustmentQuerySet(models.QuerySet):
    def visible_to(self, user):
        return _scoped(self, user, "base__")


class DuesBaseAdjustment(models.Model):
    """A change to a locked base: requested with a reason, approved by the committee above; the
    obligations from `from_period` on are corrected by reversing entries."""

    base = models.ForeignKey(
        DuesBase, verbose_name=_("党费基数"), on_delete=models.PROTECT, related_name="adjustments"
    )
    category = models.CharField(_("党费类别"), max_length=20, choices=DuesCategory.choices)
    income = models.DecimalField(
        _("月收入基数（元）"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    monthly_amount = models.DecimalField(_("调整后每月应交（元）"), max_digits=10, decimal_places=2)
    previous_amount = models.DecimalField(_("调整前每月应交（元）"), max_digits=10, decimal_places=2)
    from_period = models.PositiveIntegerField(_("自月份起"))
    reason = models.CharField(_("调整原因"), max_length=200)
    status = models.CharField(
        _("状态"), max_length=10, choices=AdjustmentStatus.choices, default=AdjustmentStatus.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("审批时间"), null=True, blank=True)

    objects = DuesBaseAdjustmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("党费基数调整")
        verbose_name_plural = _("党费基数调整")
        ordering = ["-requested_at", "-pk"]

    def __str__(self):
        return f"{self.base} → {self.monthly_amount}"

    @property
    def from_label(self):
        return period_label(self.from_period)


class ExemptionKind(models.TextChoices):
    EXEMPT = "exempt", _("免交")
    REDUCE = "reduce", _("少交")


class ExemptionQuerySet(models.QuerySet):
    def visible_to(self, user):
        return _scoped(self, user, "")

    def approved(self):
        return self.filter(status=AdjustmentStatus.APPROVED)

    def covering(self, period):
        return self.filter(start_period__lte=period, end_period__gte=period)


class DuesExemption(models.Model):
    """少交/免交: decided by the branch (支部大会/支委会), approved by the committee above, with a
    reason and a period (党费规定 §5)."""

    member = models.ForeignKey(
        "members.Member", verbose_name=_("党员"), on_delete=models.PROTECT, related_name="dues_exemptions"
    )
    branch = models.ForeignKey(
        Organization, verbose_name=_("所在支部"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("类型"), max_length=10, choices=ExemptionKind.choices)
    reduced_amount = models.DecimalField(
        _("少交后每月（元）"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    start_period = models.PositiveIntegerField(_("起始月份"))
    end_period = models.PositiveIntegerField(_("截止月份"))
    reason = models.CharField(_("原因"), max_length=200)
    decided_on = models.DateField(_("支部决定日期"))
    status = models.CharField(
        _("状态"), max_length=10, choices=AdjustmentStatus.choices, default=AdjustmentStatus.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("审批时间"), null=True, blank=True)

    objects = ExemptionQuerySet.as_manager()

    class Meta:
        verbose_name = _("少交免交")
        verbose_name_plural = _("少交免交")
        ordering = ["-start_period", "-pk"]
        indexes = [models.Index(fields=["member", "status"], name="duesexempt_member_status")]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_period__gte=models.F("start_period")), name="duesexempt_end_after_start"
            )
        ]

    def __str__(self):
        return f"{self.member} {self.get_kind_display()} {self.start_label}–{self.end_label}"

    @property
    def start_label(self):
        return period_label(self.start_period)

    @property
    def end_label(self):
        return period_label(self.end_period)


class EntryKind(models.TextChoices):
    CHARGE = "charge", _("应交")
    REVERSAL = "reversal", _("冲销")


class ObligationQuerySet(models.QuerySet):
    def visible_to(self, user):
        return _scoped(self, user, "")

    def open_charges(self):
        """Charges not (yet) cancelled by a reversal."""
        return self.filter(kind=EntryKind.CHARGE, reversal__isnull=True)


class DuesObligation(models.Model):
    """One month's dues owed by one member (a charge), or the cancellation of one (a reversal with
    the negative amount). Generated set-based for a whole month (dues.generation)."""

    # db_index=False: an index in Meta leads with this column (a second, single-column one only slows inserts).
    member = models.ForeignKey(
        "members.Member",
        verbose_name=_("党员"),
        db_index=False,
        on_delete=models.PROTECT,
        related_name="dues_obligations",
    )
    branch = models.ForeignKey(
        Organization, verbose_name=_("所在支部"), db_index=False, on_delete=models.PROTECT, related_name="+"
    )
    period = models.PositiveIntegerField(_("月份"))
    amount = models.DecimalField(_("金额（元）"), max_digits=10, decimal_places=2)
    kind = models.CharField(_("类型"), max_length=10, choices=EntryKind.choices, default=EntryKind.CHARGE)
    reverses = models.OneToOneField(
        "self",
        verbose_name=_("冲销的应交记录"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversal",
    )
    reason = models.CharField(_("原因"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("生成时间"))

    objects = ObligationQuerySet.as_manager()

    class Meta:
        verbose_name = _("应交党费")
        verbose_name_plural = _("应交党费")
        ordering = ["member", "period", "pk"]
        indexes = [
            models.Index(fields=["member", "period"], name="duesobl_member_period"),
            models.Index(fields=["branch", "period"], name="duesobl_branch_period"),
            models.Index(fields=["period", "kind"], name="duesobl_period_kind"),
        ]

    def __str__(self):
        return f"{self.member} {self.period_label} {self.amount}"

    @property
    def period_label(self):
        return period_label(self.period)


class Channel(models.TextChoices):
    CASH = "cash", _("现金")
    BANK = "bank", _("银行转账")
    WECHAT = "wechat", _("微信")
    ALIPAY = "alipay", _("支付宝")
    OTHER = "other", _("其他")


class PaymentKind(models.TextChoices):
    REGULAR = "regular", _("党费")
    VOLUNTARY = "voluntary", _("自愿多交党费")


class PaymentQuerySet(models.QuerySet):
    def visible_to(self, user):
        return _scoped(self, user, "")

    def originals(self):
        return self.filter(reverses__isnull=True)


class DuesPayment(ChoiceLabels, models.Model):
    """A payment received (or, with `reverses` set, the reversal of one — negative amount, never a
    deletion). Regular payments are allocated to months oldest first (PaymentAllocation)."""

    # db_index=False: an index in Meta leads with this column (a second, single-column one only slows inserts).
    member = models.ForeignKey(
        "members.Member",
        verbose_name=_("党员"),
        db_index=False,
        on_delete=models.PROTECT,
        related_name="dues_payments",
    )
    branch = models.ForeignKey(
        Organization, verbose_name=_("收缴支部"), db_index=False, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(
        _("类型"), max_length=10, choices=PaymentKind.choices, default=PaymentKind.REGULAR
    )
    amount = models.DecimalField(_("金额（元）"), max_digits=12, decimal_places=2)
    paid_on = models.DateField(_("交纳日期"))
    channel = models.CharField(_("交纳方式"), max_length=10, choices=Channel.choices, default=Channel.CASH)
    collector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("收缴人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    collected_by = models.ForeignKey(
        "members.Member",
        verbose_name=_("收缴人（党员）"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("收取这笔党费的党员（一般为支部组织委员），可与登记人不同"),
    )
    receipt_year = models.PositiveSmallIntegerField(_("收据年度"))
    receipt_no = models.CharField(_("收据编号"), max_length=30, blank=True)
    is_proxy = models.BooleanField(_("代交"), default=False)
    payer_name = models.CharField(_("代交人"), max_length=50, blank=True)
    proxy_reason = models.CharField(_("代交原因"), max_length=200, blank=True)
    to_centre = models.BooleanField(_("全部上缴中央"), default=False)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    reverses = models.OneToOneField(
        "self",
        verbose_name=_("冲销的交纳记录"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversal",
    )
    reason = models.CharField(_("冲销原因"), max_length=200, blank=True)
    reverses_receipt_no = models.CharField(_("冲销的收据编号"), max_length=30, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("登记时间"))

    objects = PaymentQuerySet.as_manager()

    class Meta:
        verbose_name = _("党费交纳")
        verbose_name_plural = _("党费交纳")
        ordering = ["-paid_on", "-pk"]
        indexes = [
            models.Index(fields=["member", "paid_on"], name="duespay_member_paid"),
            models.Index(fields=["branch", "paid_on"], name="duespay_branch_paid"),
            # The committee page's list of large voluntary payments (a few hundred in a city).
            models.Index(fields=["paid_on"], condition=Q(to_centre=True), name="duespay_centre_paid"),
            # A month's receipts (the month's summary rows).
            models.Index(fields=["paid_on"], name="duespay_paid_on"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["branch", "receipt_year", "receipt_no"],
                condition=~Q(receipt_no=""),
                name="duespay_receipt_unique",
            )
        ]

    def __str__(self):
        return f"{self.member} {self.amount} {self.receipt_no}"

    @property
    def is_reversal(self):
        return self.reverses_id is not None

    @property
    def receipt_label(self):
        """The receipt number; for a reversal, the number of the receipt it cancels (a reversal
        takes no number of its own)."""
        if self.reverses_id is not None:
            return (
                _("冲销 %(no)s") % {"no": self.reverses_receipt_no} if self.reverses_receipt_no else _("冲销")
            )
        return self.receipt_no


class PaymentAllocation(models.Model):
    """The part of a payment applied to one month (negative for a reversed payment)."""

    payment = models.ForeignKey(
        DuesPayment, verbose_name=_("交纳记录"), on_delete=models.PROTECT, related_name="allocations"
    )
    # db_index=False: an index in Meta leads with this column (a second, single-column one only slows inserts).
    member = models.ForeignKey(
        "members.Member", verbose_name=_("党员"), db_index=False, on_delete=models.PROTECT, related_name="+"
    )
    period = models.PositiveIntegerField(_("月份"))
    amount = models.DecimalField(_("金额（元）"), max_digits=10, decimal_places=2)

    class Meta:
        verbose_name = _("交纳分配")
        verbose_name_plural = _("交纳分配")
        ordering = ["payment", "period"]
        indexes = [
            models.Index(fields=["member", "period"], name="duesalloc_member_period"),
            # A month's allocations (the month's summary rows, the arrears state's monthly step).
            models.Index(fields=["period"], name="duesalloc_period"),
        ]

    def __str__(self):
        return f"{self.payment_id} {period_label(self.period)} {self.amount}"

    @property
    def period_label(self):
        return period_label(self.period)


class ReceiptCounter(models.Model):
    """The last receipt number issued by a branch in a year (locked while a number is taken)."""

    branch = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["branch", "year"], name="receiptcounter_branch_year")]

    def __str__(self):
        return f"{self.branch_id}/{self.year}: {self.last}"


class MonthRun(models.Model):
    """The generation of one month's obligations: locked while it runs so that two runs never
    interleave; counts of the last run for the record."""

    period = models.PositiveIntegerField(_("月份"), unique=True)
    first_run_at = models.DateTimeField(_("首次生成时间"))
    last_run_at = models.DateTimeField(_("最近生成时间"))
    charges = models.PositiveIntegerField(_("应交记录数"), default=0)
    reversals = models.PositiveIntegerField(_("冲销记录数"), default=0)

    class Meta:
        verbose_name = _("月度应交生成")
        verbose_name_plural = _("月度应交生成")
        ordering = ["-period"]

    def __str__(self):
        return period_label(self.period)


class RemittanceStatus(models.TextChoices):
    SUBMITTED = "submitted", _("待确认")
    CONFIRMED = "confirmed", _("已确认")


class RemittanceQuerySet(models.QuerySet):
    def visible_to(self, user):
        from branches.scoping import scope_for

        scope = scope_for(user)
        if scope.is_admin:
            return self
        if not scope.editable_paths:
            return self.none()
        return self.filter(scope.editable_q("branch__") | scope.editable_q("to_org__"))


class Remittance(models.Model):
    """上缴: a branch hands what it collected for a month or a quarter to the committee above, which
    confirms receipt."""

    branch = models.ForeignKey(
        Organization, verbose_name=_("上缴支部"), on_delete=models.PROTECT, related_name="+"
    )
    to_org = models.ForeignKey(
        Organization, verbose_name=_("接收党组织"), on_delete=models.PROTECT, related_name="+"
    )
    start_period = models.PositiveIntegerField(_("起始月份"))
    end_period = models.PositiveIntegerField(_("截止月份"))
    amount = models.DecimalField(_("上缴金额（元）"), max_digits=12, decimal_places=2)
    remitted_on = models.DateField(_("上缴日期"))
    status = models.CharField(
        _("状态"), max_length=10, choices=RemittanceStatus.choices, default=RemittanceStatus.SUBMITTED
    )
    note = models.CharField(_("备注"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("确认人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)

    objects = RemittanceQuerySet.as_manager()

    class Meta:
        verbose_name = _("党费上缴")
        verbose_name_plural = _("党费上缴")
        ordering = ["-end_period", "-pk"]
        indexes = [
            models.Index(fields=["branch", "end_period"], name="remit_branch_period"),
            # Remittances waiting for confirmation (the committee page).
            models.Index(
                fields=["to_org", "end_period"], condition=Q(status="submitted"), name="remit_pending"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["branch", "start_period", "end_period"], name="remit_once_per_period"
            ),
            models.CheckConstraint(
                condition=Q(end_period__gte=models.F("start_period")), name="remit_end_after_start"
            ),
        ]

    def __str__(self):
        return f"{self.branch} {self.period_label}"

    @property
    def period_label(self):
        start, end = period_label(self.start_period), period_label(self.end_period)
        return start if start == end else f"{start}—{end}"
