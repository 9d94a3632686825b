"""Scale data for dues: yearly bases for three years, 36 months of obligations and the payments
against them with realistic arrears, a few large voluntary payments, and quarterly remittances.

Everything is set-based SQL (INSERT … SELECT), so tier M (≈ 270,000 paying members, ≈ 10 million
ledger rows) is a few statements per month rather than a save per row:
- bases: in-service incomes 1,800–16,000 (by a hash of the member id), retired pensions 2,500–8,000,
  the fixed categories ¥0.20; the amount by the national brackets;
- obligations: dues.generation.reconcile_month for each month (the function the app uses);
- payments: one per member per quarter for the months due, except each member's last k months,
  where k (by the same hash) is 0 for ~85 %, 1–2 for ~7 %, 3–5 for ~5 %, 6–9 for ~3 % — so the
  arrears buckets and the 自行脱党 flag have realistic counts; allocations mirror the payments;
- remittances: each branch remits every finished quarter (confirmed), the last one still pending."""

import datetime

from django.db import connection
from django.utils import timezone

from branches.models import Organization
from members.models import ACTIVE_STATUSES, Member, StatusChange
from partyaffairs.bulkload import indexes_deferred

from . import summary
from .generation import reconcile_month
from .models import (
    BaseStatus,
    DuesBase,
    DuesObligation,
    DuesPayment,
    EntryKind,
    PaymentAllocation,
    PaymentKind,
    Remittance,
    RemittanceStatus,
    period_of,
    period_start,
)

YEARS = 3
# Every per-member choice below is a function of the member's KEY: its id counted from the tier's
# first member, so the same seed gives the same figures whatever ids the sequence hands out (a second
# tier in the same database, a --replace). generate() sets it; `%%` is a literal % beside parameters.
KEY = "m.id"


def _arrears_k():
    """k: the member's unpaid months at the end of the ledger (h = a hash of the key, 0–99)."""
    h = f"(({KEY} * 7919) %% 100)"
    return f"CASE WHEN {h} < 85 THEN 0 WHEN {h} < 92 THEN 1 + {h} %% 2 WHEN {h} < 97 THEN 3 + {h} %% 3 ELSE 6 + {h} %% 4 END"


CHANNELS = ("cash", "wechat", "alipay", "bank")


def _t(model):
    return connection.ops.quote_name(model._meta.db_table)


def _run(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return cursor.rowcount


def _analyze(*models):
    """Millions of rows inserted in one transaction: refresh the planner's statistics, or it plans
    the next statements for the empty tables it last saw (PostgreSQL; SQLite needs nothing)."""
    if connection.vendor == "postgresql":
        for model in models:
            _run(f"ANALYZE {_t(model)}")


def _subtree(alias="m"):
    return f"{alias}.branch_id IN (SELECT o.id FROM {_t(Organization)} o WHERE o.path LIKE %s)"


def generate(ctx):
    root = ctx["root"]
    today = timezone.localdate()
    last = period_of(today) - 1  # the ledger runs to last month; the bench generates this one
    first = last - YEARS * 12 + 1
    like = f"{root.path}%"
    # The tree and the members went in moments ago, in this same transaction: autovacuum has not
    # seen them, so the planner would take 15,000 organisations for a handful.
    _analyze(Organization, Member, StatusChange)
    global KEY
    first_id = (
        Member.objects.filter(branch__path__startswith=root.path)
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )
    KEY = f"(m.id - {int(first_id or 0)})"
    bases = sum(_bases(year, like) for year in range(period_start(first).year, today.year + 1))
    _analyze(DuesBase)
    charges = 0
    for period in range(first, last + 1):
        charges += reconcile_month(period, paths=[root.path], refresh=False)[0]
        if period % 6 == 5:
            _analyze(DuesObligation)
    _analyze(DuesObligation)
    # Millions of payments and allocations: their plain indexes are built once, afterwards.
    with indexes_deferred(DuesPayment, PaymentAllocation):
        payments, allocations = _payments(first, last, like)
        voluntary = _voluntary(last, like)
    _analyze(DuesPayment, PaymentAllocation)
    remittances = _remittances(first, last, like)
    # The summaries as the live system keeps them. When this tree is the whole database, its
    # arrears state is everyone's and the marker says so: the month's generation then steps the
    # state on by one month, as it would in production, instead of recomputing it from the ledger
    # (tier M: 45 s of the dues-month benchmark). Beside other trees, a marker of another month no
    # longer describes the table, so it goes (the next generation recomputes everything).
    alone = not Organization.objects.filter(depth=1).exclude(pk=root.pk).exists()
    summary_rows, in_arrears = summary.rebuild(paths=None if alone else [root.path])
    if not alone:
        summary.forget_stale_marker()
    return (
        f"{bases} bases, {charges} obligations over {last - first + 1} months, {payments} payments "
        f"({allocations} allocations), {voluntary} voluntary, {remittances} remittances, "
        f"{summary_rows} summary rows, {in_arrears} members in arrears"
    )


def _bases(year, like):
    """Every active member's base for a year, computed in SQL by the national brackets."""
    in_service = f"(1800 + (({KEY} * 104729 + %s) %% 14200))"
    retired = f"(2500 + (({KEY} * 104729 + %s) %% 5500))"
    income = f"""CASE m.dues_category
        WHEN 'retired' THEN {retired}
        WHEN 'in_service' THEN {in_service} WHEN 'annual_salary' THEN {in_service} WHEN 'self_employed' THEN {in_service}
        END"""
    rate = """CASE
        WHEN inc IS NULL THEN NULL
        WHEN cat = 'retired' THEN CASE WHEN inc <= 5000 THEN 0.005 ELSE 0.01 END
        WHEN inc <= 3000 THEN 0.005 WHEN inc <= 5000 THEN 0.01 WHEN inc <= 10000 THEN 0.015 ELSE 0.02 END"""
    fixed = "CASE WHEN cat = 'farmer' THEN 0.50 ELSE 0.20 END"
    now = timezone.now()
    statuses = ", ".join("%s" for _ in ACTIVE_STATUSES)
    sql = f"""
INSERT INTO {_t(DuesBase)} (member_id, branch_id, year, category, income, rate, monthly_amount, status,
                            note, created_at, updated_at, locked_at)
SELECT member_id, branch_id, %s, cat, inc, {rate},
       COALESCE(ROUND(inc * ({rate}), 2), {fixed}), %s, '', %s, %s, %s
FROM (SELECT m.id AS member_id, m.branch_id AS branch_id, m.dues_category AS cat, {income} AS inc
      FROM {_t(Member)} m
      WHERE m.status IN ({statuses}) AND {_subtree()}
        AND NOT EXISTS (SELECT 1 FROM {_t(DuesBase)} b WHERE b.member_id = m.id AND b.year = %s)) x"""
    params = [year, BaseStatus.LOCKED, now, now, now, year, year, year, year, *ACTIVE_STATUSES, like, year]
    return _run(sql, params)


def _payments(first, last, like):
    """One payment per member per quarter covering that quarter's charges, except each member's
    last k months; allocations mirror it. On PostgreSQL both go in as one statement per quarter:
    the allocations join the payments just inserted (RETURNING), not the whole, growing table."""
    pay, alloc, obl = _t(DuesPayment), _t(PaymentAllocation), _t(DuesObligation)
    now = timezone.now()
    payments = allocations = 0
    channel = f"CASE ({KEY} %% 4) {' '.join(f'WHEN {i} THEN %s' for i in range(4))} END"
    # The quarter's charges that get paid (params: first and last month, kind, subtree, ledger end).
    charges = f"""o.period >= %s AND o.period <= %s AND o.kind = %s AND {_subtree()}
  AND o.period <= %s - ({_arrears_k()})"""
    # JOINED: the payments the allocations point at.
    allocation_sql = f"""
INSERT INTO {alloc} (payment_id, member_id, period, amount)
SELECT p.id, o.member_id, o.period, o.amount
FROM {obl} o JOIN JOINED
JOIN {_t(Member)} m ON m.id = o.member_id
WHERE {charges}"""
    quarter = first - first % 3
    while quarter <= last:
        q_last = min(quarter + 2, last)
        paid_on = period_start(q_last) + datetime.timedelta(days=9)
        charge_params = [max(quarter, first), q_last, EntryKind.CHARGE, like, last]
        payment_sql = f"""
INSERT INTO {pay} (member_id, branch_id, kind, amount, paid_on, channel, collector_id, receipt_year, receipt_no,
                   is_proxy, payer_name, proxy_reason, to_centre, note, reverses_id, reason, reverses_receipt_no, recorded_by_id, recorded_at)
SELECT m.id, MAX(o.branch_id), %s, SUM(o.amount), %s, {channel}, NULL, %s, %s || CAST({KEY} AS VARCHAR(20)),
       %s, '', '', %s, '', NULL, '', '', NULL, %s
FROM {obl} o JOIN {_t(Member)} m ON m.id = o.member_id
WHERE {charges}
GROUP BY m.id"""
        payment_params = [
            PaymentKind.REGULAR, paid_on, *CHANNELS, paid_on.year, f"S{quarter % 12 // 3 + 1}-",
            False, False, now, *charge_params,
        ]  # fmt: skip

        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    f"""WITH paid AS ({payment_sql} RETURNING id, member_id),
alloc AS ({allocation_sql.replace("JOINED", "paid p ON p.member_id = o.member_id")} RETURNING 1)
SELECT (SELECT COUNT(*) FROM paid), (SELECT COUNT(*) FROM alloc)""",
                    [*payment_params, *charge_params],
                )
                paid, allocated = cursor.fetchone()
        else:
            paid = _run(payment_sql, payment_params)
            joined = f"{pay} p ON p.member_id = o.member_id AND p.paid_on = %s AND p.kind = %s"
            allocated = _run(
                allocation_sql.replace("JOINED", joined), [paid_on, PaymentKind.REGULAR, *charge_params]
            )
        payments += paid
        allocations += allocated
        quarter += 3
    return payments, allocations


def _voluntary(last, like):
    """About one member in 1,000 gave extra dues a few months ago; half of them ¥1,000 or more
    (wholly to the Centre)."""
    paid_on = period_start(last - 2) + datetime.timedelta(days=1)
    k = KEY
    sql = f"""
INSERT INTO {_t(DuesPayment)} (member_id, branch_id, kind, amount, paid_on, channel, collector_id, receipt_year,
    receipt_no, is_proxy, payer_name, proxy_reason, to_centre, note, reverses_id, reason, reverses_receipt_no, recorded_by_id, recorded_at)
SELECT m.id, m.branch_id, %s, CASE WHEN ({k} / 997) %% 2 = 0 THEN 1000 + {k} %% 2000 ELSE 200 + {k} %% 500 END, %s, %s,
       NULL, %s, %s || CAST({k} AS VARCHAR(20)), %s, '', '', ({k} / 997) %% 2 = 0, '', NULL, '', '', NULL, %s
FROM {_t(Member)} m WHERE {k} %% 997 = 7 AND m.status IN ('full', 'probationary') AND {_subtree()}"""
    return _run(
        sql, [PaymentKind.VOLUNTARY, paid_on, "bank", paid_on.year, "V-", False, timezone.now(), like]
    )


def _remittances(first, last, like):
    """Each branch remits each finished quarter's receipts; the last quarter is not yet confirmed."""
    now = timezone.now()
    total = 0
    quarter = first - first % 3 + 3
    while quarter + 2 <= last:
        start, end = quarter, quarter + 2
        after = end + 1
        status = RemittanceStatus.CONFIRMED if end + 3 <= last else RemittanceStatus.SUBMITTED
        sql = f"""
INSERT INTO {_t(Remittance)} (branch_id, to_org_id, start_period, end_period, amount, remitted_on, status, note,
                              recorded_by_id, recorded_at, confirmed_by_id, confirmed_at)
SELECT p.branch_id, par.id, %s, %s, SUM(p.amount), %s, %s, '', NULL, %s, NULL, %s
FROM {_t(DuesPayment)} p JOIN {_t(Organization)} b ON b.id = p.branch_id
JOIN {_t(Organization)} par ON par.path = SUBSTR(b.path, 1, LENGTH(b.path) - %s)
WHERE p.paid_on >= %s AND p.paid_on < %s AND b.path LIKE %s
GROUP BY p.branch_id, par.id"""
        params = [
            start, end, period_start(after) + datetime.timedelta(days=14), status, now,
            now if status == RemittanceStatus.CONFIRMED else None,
            Organization.steplen, period_start(start), period_start(after), like,
        ]  # fmt: skip
        total += _run(sql, params)
        quarter += 3
    return total


def delete(ctx):
    """Remove the dues rows of the generated members and branches in bulk SQL (generated rows carry
    no audit trail; the ORM's cascade would write one entry per row)."""
    from .models import BaseImport, DuesBaseAdjustment, DuesExemption, ReceiptCounter

    like = [f"{ctx['root'].path}%"]
    orgs = f"SELECT o.id FROM {_t(Organization)} o WHERE o.path LIKE %s"
    members = f"SELECT m.id FROM {_t(Member)} m WHERE m.branch_id IN ({orgs})"
    from .models import DuesArrearsState, DuesMonthSummary

    _run(f"DELETE FROM {_t(DuesArrearsState)} WHERE member_id IN ({members})", like)
    _run(f"DELETE FROM {_t(DuesMonthSummary)} WHERE branch_id IN ({orgs})", like)
    # Reversals point at their originals: drop the pointers first.
    _run(f"UPDATE {_t(DuesPayment)} SET reverses_id = NULL WHERE member_id IN ({members})", like)
    _run(f"UPDATE {_t(DuesObligation)} SET reverses_id = NULL WHERE member_id IN ({members})", like)
    bases = f"SELECT b.id FROM {_t(DuesBase)} b WHERE b.member_id IN ({members})"
    _run(f"DELETE FROM {_t(DuesBaseAdjustment)} WHERE base_id IN ({bases})", like)
    for model in (PaymentAllocation, DuesPayment, DuesObligation, DuesBase, DuesExemption):
        _run(f"DELETE FROM {_t(model)} WHERE member_id IN ({members})", like)
    for model in (Remittance, ReceiptCounter, BaseImport):
        _run(f"DELETE FROM {_t(model)} WHERE branch_id IN ({orgs})", like)
