"""Reads for transfers (组织关系转接) and mobile members (流动党员): who may see which rows, the
flags computed in SQL (so a list of 50 costs what a list of 1 does), and the outstanding dues a
transfer letter must acknowledge.

Every page, API endpoint and export reaches these rows through `transfers_visible_to(user)` or
`mobile_records_visible_to(user)`; anything else a user asks for is a 404."""

import datetime

from django.db.models import BooleanField, Case, Q, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from branches.scoping import scope_for

from .development import add_months
from .models import MemberStatus, MobileDirection, MobileRecord, StatusChange, Transfer, TransferStatus

# 流动党员管理: away ≥ 6 months at a fixed place → the relationship should be transferred; a report
# home at least once a year. Kept here until a rule table carries them (see the report on issue 3).


def _mobile_rules(today):
    """The registry's flags run over many branches in one query, so they use the global rule rows
    (DevelopmentRule, no subtree overrides)."""
    from .models import DevelopmentRule

    return DevelopmentRule.values_for(None, today)


def transfers_visible_to(user):
    """Transfers whose sending or receiving branch the user runs or supervises; a plain member
    sees only their own. In-transfers have no sending branch (the join is an outer one)."""
    scope = scope_for(user)
    if scope.is_admin:
        return Transfer.objects.all()
    q = scope.editable_q("from_branch__") | scope.editable_q("to_branch__")
    if scope.member_ids:
        q |= Q(member_id__in=scope.member_ids)
    return Transfer.objects.filter(q)


def mobile_records_visible_to(user):
    """Mobile records of members in the branches the user runs or supervises, or their own."""
    scope = scope_for(user)
    if scope.is_admin:
        return MobileRecord.objects.all()
    q = scope.editable_q("member__branch__")
    if scope.member_ids:
        q |= Q(member_id__in=scope.member_ids)
    return MobileRecord.objects.filter(q)


# --- Transfers -----------------------------------------------------------------------------------


def _today(today):
    return today or timezone.localdate()


def overdue_q(today=None):
    """A letter past its validity with no receipt (已过期未回执): valid_until is the last valid day."""
    return Q(status=TransferStatus.PENDING, valid_until__lt=_today(today), receipt_on__isnull=True)


def overdue_transfers(qs, today=None):
    return qs.filter(overdue_q(today))


def with_transfer_flags(qs, today=None):
    """Annotate `is_overdue` (已过期未回执) in SQL."""
    return qs.annotate(
        is_overdue=Case(
            When(overdue_q(today), then=Value(True)), default=Value(False), output_field=BooleanField()
        )
    )


def status_before_transfer_out(member):
    """The status a member held before the latest move to 已转出 (for the letter and a cancel)."""
    if member.status != MemberStatus.TRANSFERRED_OUT:
        return member.status
    return (
        StatusChange.objects.filter(member=member, to_status=MemberStatus.TRANSFERRED_OUT)
        .order_by("-changed_on", "-pk")
        .values_list("from_status", flat=True)
        .first()
    ) or MemberStatus.FULL


# --- Dues ----------------------------------------------------------------------------------------


def parse_year_month(value):
    """ "YYYY-MM" → (year, month), or None when it is not one."""
    try:
        year, month = (int(part) for part in value.split("-"))
    except (AttributeError, ValueError):
        return None
    if len(value) != 7 or not (1900 <= year <= 9999 and 1 <= month <= 12):
        return None
    return year, month


# The dues app registers how to read its ledger (members sits below dues and never imports it): an
# object with `paid_through(member, today)` → "YYYY-MM" or "" and `outstanding_months(member, today)`
# → ["YYYY-MM", …], or None when the ledger has nothing for the member.
_dues_ledger = None


def register_dues_ledger(ledger):
    global _dues_ledger
    _dues_ledger = ledger


def ledger_paid_through(member, today):
    """党费交至 from the dues ledger ("" when there is no ledger or nothing in it for the member)."""
    if _dues_ledger is None or member is None or member.pk is None:
        return ""
    return _dues_ledger.paid_through(member, today) or ""


def outstanding_dues_months(member, dues_paid_through, today):
    """The months a member owes before a transfer, as "YYYY-MM" strings: from the dues ledger when
    it holds the member's months; otherwise from the month after `dues_paid_through` (written on
    the letter) up to the previous month (the current month is not yet due)."""
    if _dues_ledger is not None and member is not None and member.pk is not None:
        months = _dues_ledger.outstanding_months(member, today)
        if months is not None:
            return months
    parsed = parse_year_month(dues_paid_through or "")
    if parsed is None:
        return []
    year, month = parsed
    months = []
    cursor = add_months(datetime.date(year, month, 1), 1)
    this_month = today.replace(day=1)
    while cursor < this_month:
        months.append(f"{cursor:%Y-%m}")
        cursor = add_months(cursor, 1)
    return months


# --- Mobile members ------------------------------------------------------------------------------


def months_before(day, months):
    """The latest date d with add_months(d, months) <= day, so that a filter `d <= cutoff` on a
    column matches add_months(column, months) <= day exactly — month ends included (31 Aug + 6
    months is 28 Feb, so on 28 Feb everything since 28–31 Aug has reached six months)."""
    cutoff = add_months(day, -months)
    if (day + datetime.timedelta(days=1)).day == 1:  # `day` is the last day of its month
        cutoff = add_months(cutoff.replace(day=1), 1) - datetime.timedelta(days=1)
    return cutoff


def needs_transfer_q(today=None):
    """应转接组织关系: an open outflow at a fixed place for ≥ 6 months (raised on the day six
    calendar months after `since`)."""
    today = _today(today)
    cutoff = months_before(today, _mobile_rules(today)["mobile_transfer_after_months"])
    return Q(
        direction=MobileDirection.OUTFLOW,
        until__isnull=True,
        fixed_place=True,
        since__lte=cutoff,
    )


def report_missing_q(today=None):
    """本年度未汇报: an open record with no report in the last 12 months (counted from the start of
    the record when nothing has been reported yet). A report exactly 12 months ago still counts;
    the flag is raised the day after."""
    today = _today(today)
    months = _mobile_rules(today)["mobile_report_every_months"]
    cutoff = months_before(today - datetime.timedelta(days=1), months)
    return Q(until__isnull=True, last_seen__lte=cutoff)


def _with_last_seen(qs):
    return qs.annotate(last_seen=Coalesce("last_report_on", "since"))


def needs_transfer(qs, today=None):
    return qs.filter(needs_transfer_q(today))


def report_missing(qs, today=None):
    return _with_last_seen(qs).filter(report_missing_q(today))


def with_mobile_flags(qs, today=None):
    """Annotate `needs_transfer` and `report_missing` in SQL."""
    return _with_last_seen(qs).annotate(
        needs_transfer=Case(
            When(needs_transfer_q(today), then=Value(True)), default=Value(False), output_field=BooleanField()
        ),
        report_missing=Case(
            When(report_missing_q(today), then=Value(True)), default=Value(False), output_field=BooleanField()
        ),
    )
