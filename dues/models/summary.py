"""Derived dues tables kept current by the dues services (never written by users, never the source
of truth — the ledger is): read these for any figure over many members.

``DuesMonthSummary`` — one row per branch per month (``period`` = year × 12 + month − 1):

- ``charges``: open charges (charge rows not cancelled by a reversal) of the branch's obligations;
- ``due``: the net amount owed for the month (charges + reversals), by the obligation's branch;
- ``owing``: members with a net amount owed > 0 in the month (by the obligation's branch);
- ``paid_up``: of those, members whose allocations to the month (from any payment) cover it;
- ``exempt``: members with an approved 免交 covering the month (by the exemption's branch; months
  that have been generated only);
- ``paid``: allocations to the month of the payments the branch recorded (net of reversals);
- ``received_regular`` / ``received_voluntary`` / ``received_centre``: money the branch recorded in
  the calendar month (``paid_on`` in the month; reversals count on their own date, negative),
  regular dues, voluntary dues (自愿多交) and, of the voluntary, what goes wholly to the Centre.

Collection rate by amount = Σ paid / Σ due; by headcount = Σ paid_up / Σ owing (member-months).

``DuesArrearsState`` — one row per member who is in arrears as of ``as_of`` (the current month when
it was computed): months in arrears, amount, oldest month and the longest run of consecutive months
with nothing paid (``run`` ≥ the policy's ``lapse_months`` raises the 自行脱党 review flag).
``branch`` is the member's branch when the row was computed; ``tail`` is the run of unpaid
months ending with the month before ``as_of`` (what lets the state move on a month set-based).
``DuesSummaryMarker`` (key "arrears") holds the month the whole table has been moved on to: each
month's generation advances it with one set-based step over the month just ended.

Both are refreshed set-based by ``dues.summary`` (a month's generation, a payment or a reversal,
an exemption or adjustment reconciled) and rebuilt by ``manage.py dues_rebuild_summary``."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from branches.models import Organization


class DuesMonthSummary(models.Model):
    branch = models.ForeignKey(
        Organization, verbose_name=_("支部"), on_delete=models.CASCADE, related_name="+", db_index=False
    )
    period = models.PositiveIntegerField(_("月份"))
    charges = models.IntegerField(_("应交记录数"), default=0)
    due = models.DecimalField(_("应交金额（元）"), max_digits=14, decimal_places=2, default=0)
    owing = models.IntegerField(_("应交人数"), default=0)
    paid_up = models.IntegerField(_("交清人数"), default=0)
    exempt = models.IntegerField(_("免交人数"), default=0)
    paid = models.DecimalField(_("已交金额（元）"), max_digits=14, decimal_places=2, default=0)
    received_regular = models.DecimalField(_("收缴党费（元）"), max_digits=14, decimal_places=2, default=0)
    received_voluntary = models.DecimalField(
        _("自愿多交党费（元）"), max_digits=14, decimal_places=2, default=0
    )
    received_centre = models.DecimalField(_("全部上缴中央（元）"), max_digits=14, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("党费月度汇总")
        verbose_name_plural = _("党费月度汇总")
        ordering = ["branch", "period"]
        constraints = [models.UniqueConstraint(fields=["branch", "period"], name="duessummary_branch_period")]
        indexes = [models.Index(fields=["period"], name="duessummary_period")]

    def __str__(self):
        return f"{self.branch_id}/{self.period}"


class DuesArrearsState(models.Model):
    member = models.OneToOneField(
        "members.Member", verbose_name=_("党员"), on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    branch = models.ForeignKey(
        Organization, verbose_name=_("支部"), on_delete=models.CASCADE, related_name="+"
    )
    as_of = models.PositiveIntegerField(_("计算月份"))
    months = models.IntegerField(_("欠交月数"))
    amount = models.DecimalField(_("欠交金额（元）"), max_digits=12, decimal_places=2)
    oldest = models.PositiveIntegerField(_("最早欠交月份"))
    run = models.IntegerField(_("连续未交月数"))
    tail = models.IntegerField(_("截至上月连续未交月数"), default=0)

    class Meta:
        verbose_name = _("党费欠交状态")
        verbose_name_plural = _("党费欠交状态")
        ordering = ["-months", "member"]
        indexes = [models.Index(fields=["run", "months"], name="duesarrears_run_months")]

    def __str__(self):
        return f"{self.member_id}: {self.months}"


class DuesSummaryMarker(models.Model):
    """How far a derived table has been brought (key "arrears": the month the arrears state is as of
    for every member without a newer row)."""

    key = models.CharField(max_length=20, unique=True)
    as_of = models.PositiveIntegerField()

    def __str__(self):
        return f"{self.key}: {self.as_of}"
