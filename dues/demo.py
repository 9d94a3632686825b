"""Demo dues: bases for last year and this one, 18 months of obligations, quarterly payments through
the services (receipts, allocations, audit; the history as one batch), remittances, and a collection
grid worth looking at in the demo secretary's branch (办公室党支部): the demo `member` owes three
months, one member has not paid for seven (the 自行脱党 review), one paid part of last month, one has
an approved exemption, one prepaid. Idempotent: nothing is added once the demo has obligations."""

import datetime
from collections import defaultdict
from decimal import Decimal

from branches.models import Organization, OrgKind
from members.models import ACTIVE_STATUSES, DuesCategory, Member

from . import services
from .calculator import calculate
from .generation import reconcile_month
from .models import (
    AdjustmentStatus,
    BaseStatus,
    DuesBase,
    DuesExemption,
    DuesObligation,
    ExemptionKind,
    period_of,
    period_start,
)

MONTHS = 18


def seed(ctx):
    root = Organization.objects.get(code="DEMO-JG")
    if DuesObligation.objects.filter(branch__path__startswith=root.path).exists():
        return
    rng, today, admin = ctx["rng"], ctx["today"], ctx["admin"]
    current = period_of(today)
    first = current - MONTHS + 1
    members = list(
        Member.objects.filter(branch__path__startswith=root.path, status__in=ACTIVE_STATUSES)
        .select_related("branch")
        .order_by("branch__code", "pk")
    )
    for year in range(period_start(first).year, today.year + 1):
        _bases(members, year, rng, today)
    office = Organization.objects.get(code="DEMO-B1")
    demo_member = Member.objects.filter(user__username="member").first()
    in_office = [m for m in members if m.branch_id == office.pk and m != demo_member and not m.posts.exists()]
    lapsed, partial, exempt, prepaid = (in_office + [None] * 4)[:4]
    if exempt is not None:
        DuesExemption.objects.create(
            member=exempt,
            branch=office,
            kind=ExemptionKind.EXEMPT,
            start_period=current - 3,
            end_period=current + 2,
            reason="重病住院治疗，经支部大会讨论同意免交",
            decided_on=period_start(current - 3),
            status=AdjustmentStatus.APPROVED,
            requested_by=admin,
            approved_by=admin,
        )
    for period in range(first, current + 1):
        reconcile_month(period, paths=[root.path], actor=admin)
    cutoffs = {}
    for m in members:
        cutoff = current - 1 if rng.random() < 0.8 else current
        if m == demo_member:
            cutoff = current - 4  # three months owed
        elif m == lapsed:
            cutoff = current - 8  # seven months with nothing paid
        elif m == partial:
            cutoff = current - 2  # and half of last month
        elif m == prepaid:
            cutoff = current
        cutoffs[m.pk] = cutoff
    owed = _owed_by_member(root, first, current)
    history = []
    for m in members:
        history += _pay_through(m, first, cutoffs[m.pk], today, rng, owed)
    services.dues_payments_record_many(user=admin, payments=history)
    if partial is not None:
        services.dues_payment_record(
            user=admin,
            member=partial,
            amount=(_owed(partial, cutoffs[partial.pk] + 1) / 2).quantize(Decimal("0.01")),
            paid_on=today,
            channel="cash",
        )
    if prepaid is not None:
        owed = sum(_owed(prepaid, p) for p in range(cutoffs[prepaid.pk] + 1, current + 1))
        services.dues_payment_record(
            user=admin,
            member=prepaid,
            amount=owed + _owed(prepaid, current) * 2,
            paid_on=today,
            channel="wechat",
        )
    generous = [m for m in members if m.branch_id != office.pk][:2]
    for m, amount in zip(generous, (Decimal("1200.00"), Decimal("200.00")), strict=False):
        services.dues_payment_record(
            user=admin,
            member=m,
            amount=amount,
            paid_on=today - datetime.timedelta(days=20),
            kind="voluntary",
            channel="bank",
        )
    _remittances(root, first, current, today, admin, office)
    # Waiting for the committee: a reduction decided by a branch and a base adjustment.
    others = [m for m in members if m.branch_id != office.pk]
    if len(others) > 3:
        DuesExemption.objects.create(
            member=others[3],
            branch=others[3].branch,
            kind=ExemptionKind.REDUCE,
            reduced_amount=Decimal("5.00"),
            start_period=current,
            end_period=current + 5,
            reason="家庭遭遇重大变故，生活困难，支委会研究同意少交",
            decided_on=today,
            requested_by=admin,
        )
    base = DuesBase.objects.filter(
        member=others[4] if len(others) > 4 else members[0], year=today.year
    ).first()
    if base is not None and base.is_locked and base.category == DuesCategory.IN_SERVICE:
        services.dues_base_adjust(
            user=admin,
            base=base,
            category=base.category,
            income=base.income + Decimal("1500.00"),
            from_period=max(current, today.year * 12),
            reason="岗位调整，月工资收入增加",
        )


def _bases(members, year, rng, today):
    for m in members:
        if DuesBase.objects.filter(member=m, year=year).exists():
            continue
        if m.dues_category == DuesCategory.RETIRED:
            income = Decimal(rng.randrange(3200, 7600, 50))
        elif m.dues_category in (
            DuesCategory.IN_SERVICE,
            DuesCategory.ANNUAL_SALARY,
            DuesCategory.SELF_EMPLOYED,
        ):
            income = Decimal(rng.randrange(2800, 14000, 50)) + (Decimal(rng.randint(0, 99)) / 100)
        else:
            income = None
        calc = calculate(m.dues_category, income, org=m.branch, on=datetime.date(year, 1, 1))
        locked = year < today.year or today.month > 1
        DuesBase.objects.create(
            member=m,
            branch=m.branch,
            year=year,
            category=m.dues_category,
            income=calc.income,
            rate=calc.rate,
            monthly_amount=calc.monthly_amount,
            status=BaseStatus.LOCKED if locked else BaseStatus.VERIFIED,
            locked_at=datetime.datetime(year, 1, 8, 9, tzinfo=datetime.UTC) if locked else None,
        )


def _owed(member, period):
    return sum(o.amount for o in DuesObligation.objects.filter(member=member, period=period)) or Decimal("0")


def _owed_by_member(root, first, last):
    """{(member id, period): amount owed} over the demo's months (one query; what `_owed` gives)."""
    owed = defaultdict(Decimal)
    for member_id, period, amount in DuesObligation.objects.filter(
        branch__path__startswith=root.path, period__gte=first, period__lte=last
    ).values_list("member_id", "period", "amount"):
        owed[member_id, period] += amount
    return owed


def _pay_through(member, first, cutoff, today, rng, owed):
    """Quarterly payments (a quarter paid in its last month) up to `cutoff`, for
    dues_payments_record_many."""
    payments = []
    period = first
    while period <= cutoff:
        last = min(period + 2 - period % 3, cutoff)
        amount = sum(owed[member.pk, p] for p in range(period, last + 1))
        if amount > 0:
            paid_on = min(period_start(last) + datetime.timedelta(days=rng.randint(5, 20)), today)
            payments.append(
                {
                    "member": member,
                    "amount": amount,
                    "paid_on": paid_on,
                    "channel": rng.choice(["cash", "wechat", "alipay"]),
                }
            )
        period = last + 1
    return payments


def _remittances(root, first, current, today, admin, office):
    """Every branch remitted each finished quarter; the office branch's latest waits for the
    committee's confirmation."""
    quarter = first - first % 3 + 3
    finished = []
    while quarter + 2 < current:
        finished.append(quarter)
        quarter += 3
    for branch in Organization.objects.filter(path__startswith=root.path, kind=OrgKind.BRANCH).order_by(
        "code"
    ):
        for q in finished:
            remitted_on = min(period_start(q + 3) + datetime.timedelta(days=12), today)
            remittance = services.remittance_submit(
                user=admin, branch=branch, start_period=q, end_period=q + 2, remitted_on=remitted_on
            )
            if not (branch == office and q == finished[-1]):
                services.remittance_confirm(user=admin, remittance=remittance)
