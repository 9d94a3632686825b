"""Reads for dues: a member's months, arrears (欠交) with the 自行脱党 review flag, and collection
and remittance rolled up the org tree — each a fixed number of queries, whatever the row count.

Arrears (domain spec §2.3, §5): a month is in arrears when it is before the current month and what
was allocated to it is less than what is owed. Buckets: 1–2, 3–5, ≥ 6 months. 党章§9: six
consecutive months with nothing paid and no approved reason (an approved 免交 means no obligation,
so those months are not counted) raise a review flag for the branch and the committee."""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import Q, Sum
from django.db.models.functions import Substr
from django.utils import timezone

from branches.models import Organization
from members.models import ACTIVE_STATUSES, DuesCategory, Member

from .models import (
    FEN,
    AdjustmentStatus,
    DuesBase,
    DuesBaseAdjustment,
    DuesExemption,
    DuesIncomeEntry,
    DuesObligation,
    DuesPayment,
    DuesPolicy,
    EntryKind,
    ExemptionKind,
    PaymentAllocation,
    Remittance,
    RemittanceStatus,
    months_label,
    period_label,
    period_of,
)

ZERO = Decimal("0.00")
BUCKETS = (("1-2", 1, 2), ("3-5", 3, 5), ("6+", 6, None))


def _t(model):
    return connection.ops.quote_name(model._meta.db_table)


def _dec(value):
    return Decimal(str(value or 0)).quantize(FEN)


def current_period(today=None):
    return period_of(today or timezone.localdate())


# --- One member ----------------------------------------------------------------------------------


# The sums below are grouped with .order_by(): the models' default orderings (obligations by member,
# allocations by payment) are left out of a GROUP BY but would still join the members and their
# branches, or the payments, into the query.


def member_balances(member_id):
    """{period: {"due", "paid", "charged"}} of one member over the whole ledger (two queries)."""
    rows = defaultdict(lambda: {"due": ZERO, "paid": ZERO, "charged": False})
    for period, due, charges in (
        DuesObligation.objects.filter(member_id=member_id)
        .order_by()
        .values("period")
        .annotate(due=Sum("amount"), charges=Sum("pk", filter=Q(kind=EntryKind.CHARGE)))
        .values_list("period", "due", "charges")
    ):
        rows[period]["due"] = _dec(due)
        rows[period]["charged"] = bool(charges)
    for period, paid in (
        PaymentAllocation.objects.filter(member_id=member_id)
        .order_by()
        .values("period")
        .annotate(paid=Sum("amount"))
        .values_list("period", "paid")
    ):
        rows[period]["paid"] = _dec(paid)
    # A month whose charge was reversed owes nothing; it still counts as charged for display.
    return dict(rows)


def member_balances_many(member_ids):
    """member_balances for many members at once: {member_id: {period: {...}}} (two queries)."""
    result = defaultdict(lambda: defaultdict(lambda: {"due": ZERO, "paid": ZERO, "charged": False}))
    for member_id, period, due, charges in (
        DuesObligation.objects.filter(member_id__in=member_ids)
        .order_by()
        .values("member_id", "period")
        .annotate(due=Sum("amount"), charges=Sum("pk", filter=Q(kind=EntryKind.CHARGE)))
        .values_list("member_id", "period", "due", "charges")
    ):
        result[member_id][period]["due"] = _dec(due)
        result[member_id][period]["charged"] = bool(charges)
    for member_id, period, paid in (
        PaymentAllocation.objects.filter(member_id__in=member_ids)
        .order_by()
        .values("member_id", "period")
        .annotate(paid=Sum("amount"))
        .values_list("member_id", "period", "paid")
    ):
        result[member_id][period]["paid"] = _dec(paid)
    return {member_id: dict(rows) for member_id, rows in result.items()}


def amount_in_force(base, period):
    """The base's monthly amount in a month, after the latest approved adjustment from then on."""
    adjustment = (
        base.adjustments.filter(status=AdjustmentStatus.APPROVED, from_period__lte=period)
        .order_by("-from_period", "-pk")
        .first()
    )
    return adjustment.monthly_amount if adjustment else base.monthly_amount


def expected_amounts(member, periods):
    """What the member would owe in each of `periods` not yet generated (for prepayment): the
    generation's rule in Python, over a handful of months."""
    periods = list(periods)
    if not periods or member.status not in ACTIVE_STATUSES:
        return {}
    years = {p // 12 for p in periods}
    bases = list(DuesBase.objects.filter(member=member, year__lte=max(years)).order_by("-year"))
    adjustments = list(
        DuesBaseAdjustment.objects.filter(
            base__member=member, base__year__in=years, status=AdjustmentStatus.APPROVED
        )
        .select_related("base")
        .order_by("-from_period", "-pk")
    )
    exemptions = list(
        DuesExemption.objects.filter(
            member=member,
            status=AdjustmentStatus.APPROVED,
            start_period__lte=max(periods),
            end_period__gte=min(periods),
        ).order_by("-pk")
    )
    incomes = dict(
        DuesIncomeEntry.objects.filter(member=member, period__in=periods).values_list(
            "period", "monthly_amount"
        )
    )
    policy = DuesPolicy.for_org(None)
    result = {}
    for period in periods:
        covering = [e for e in exemptions if e.start_period <= period <= e.end_period]
        if any(e.kind == ExemptionKind.EXEMPT for e in covering):
            continue
        reduced = next((e.reduced_amount for e in covering if e.kind == ExemptionKind.REDUCE), None)
        adjusted = next(
            (
                a.monthly_amount
                for a in adjustments
                if a.base.year == period // 12 and a.from_period <= period
            ),
            None,
        )
        base = next((b.monthly_amount for b in bases if b.year <= period // 12), None)
        amount = next((a for a in (reduced, incomes.get(period), adjusted, base) if a is not None), None)
        if amount is None:
            if member.dues_category in (DuesCategory.STUDENT, DuesCategory.UNEMPLOYED, DuesCategory.RELIEF):
                amount = policy.fixed_amount
            elif member.dues_category == DuesCategory.FARMER:
                amount = policy.farmer_min
        if amount:
            result[period] = amount
    return result


# --- Arrears -------------------------------------------------------------------------------------


def _arrears_sql(member_sql, member_params, current):
    """Per member: months in arrears, amount, oldest month and the longest run of consecutive
    months with nothing paid (gaps and islands: period − row_number is constant along a run)."""
    obl, alloc = _t(DuesObligation), _t(PaymentAllocation)
    sql = f"""
WITH bal AS (
  SELECT member_id, period, SUM(due) AS due, SUM(paid) AS paid FROM (
    SELECT o.member_id AS member_id, o.period AS period, o.amount AS due, 0 AS paid FROM {obl} o
      WHERE o.period < %s AND o.member_id IN ({member_sql})
    UNION ALL
    SELECT a.member_id, a.period, 0, a.amount FROM {alloc} a
      WHERE a.period < %s AND a.member_id IN ({member_sql})
  ) x GROUP BY member_id, period HAVING SUM(due) > SUM(paid)
), runs AS (
  SELECT member_id, period - ROW_NUMBER() OVER (PARTITION BY member_id ORDER BY period) AS grp
  FROM bal WHERE paid <= 0
), longest AS (
  SELECT member_id, MAX(n) AS run FROM (SELECT member_id, grp, COUNT(*) AS n FROM runs GROUP BY member_id, grp) g
  GROUP BY member_id
), arrears AS (
  SELECT b.member_id AS member_id, COUNT(*) AS months, SUM(b.due - b.paid) AS owed, MIN(b.period) AS oldest,
         COALESCE(MAX(l.run), 0) AS run
  FROM bal b LEFT JOIN longest l ON l.member_id = b.member_id GROUP BY b.member_id
)"""
    return sql, [current, *member_params, current, *member_params]


@dataclass(frozen=True)
class Arrears:
    months: int
    amount: Decimal
    oldest: int | None
    run: int
    lapse_months: int = 6

    @property
    def oldest_label(self):
        return period_label(self.oldest) if self.oldest is not None else ""

    @property
    def bucket(self):
        for code, low, high in BUCKETS:
            if self.months >= low and (high is None or self.months <= high):
                return code
        return ""

    @property
    def lapse_review(self):
        """自行脱党 review (党章§9): six consecutive months with nothing paid."""
        return self.run >= self.lapse_months


NO_ARREARS = Arrears(0, ZERO, None, 0)


def arrears_for(member_ids, today=None, *, national_policy=None):
    """{member_id: Arrears} for the given members (one query, and one for the global policy unless
    the caller has it); members without arrears are absent."""
    member_ids = list(member_ids)
    if not member_ids:
        return {}
    lapse = (national_policy or DuesPolicy.for_org(None, today)).lapse_months
    placeholders = ", ".join("%s" for _ in member_ids)
    cte, params = _arrears_sql(
        f"SELECT id FROM {_t(Member)} WHERE id IN ({placeholders})", member_ids, current_period(today)
    )
    with connection.cursor() as cursor:
        cursor.execute(f"{cte} SELECT member_id, months, owed, oldest, run FROM arrears", params)
        return {
            m: Arrears(months, _dec(owed), oldest, run, lapse)
            for m, months, owed, oldest, run in cursor.fetchall()
        }


def arrears_for_queryset(members, today=None):
    """{member_id: Arrears} for the members of a queryset, which goes into the SQL as a subquery
    (a committee's 300,000 members are never a list of ids)."""
    lapse = DuesPolicy.for_org(None, today).lapse_months
    member_sql, member_params = members.order_by().values("pk").query.sql_with_params()
    cte, params = _arrears_sql(member_sql, list(member_params), current_period(today))
    with connection.cursor() as cursor:
        cursor.execute(f"{cte} SELECT member_id, months, owed, oldest, run FROM arrears", params)
        return {
            m: Arrears(months, _dec(owed), oldest, run, lapse)
            for m, months, owed, oldest, run in cursor.fetchall()
        }


def arrears_in_subtree(path, today=None, *, min_months=1, lapse_only=False, limit=None):
    """[(member_id, Arrears)] over a subtree, most months first (for the committee's list), read
    from the arrears state (dues.summary) — one indexed query, whatever the subtree size."""
    from . import summary

    lapse = DuesPolicy.for_org(None, today).lapse_months
    rows = summary.lapse_list(path, lapse, limit=limit, min_months=min_months, lapse_only=lapse_only)
    return [(m, Arrears(s.months, _dec(s.amount), s.oldest, s.run, lapse)) for m, s in rows]


def ledger_arrears_in_subtree(path, today=None, *, min_months=1, lapse_only=False, limit=None):
    """arrears_in_subtree computed directly from the ledger (the check the arrears state is held
    to; seconds over a city — never in a request)."""
    lapse = DuesPolicy.for_org(None, today).lapse_months
    member_sql = f"SELECT mm.id FROM {_t(Member)} mm JOIN {_t(Organization)} oo ON oo.id = mm.branch_id WHERE oo.path LIKE %s"
    cte, params = _arrears_sql(member_sql, [f"{path}%"], current_period(today))
    where = "months >= %s"
    params.append(min_months)
    if lapse_only:
        where += " AND run >= %s"
        params.append(lapse)
    sql = f"{cte} SELECT member_id, months, owed, oldest, run FROM arrears WHERE {where} ORDER BY months DESC, member_id"
    if limit:
        sql += f" LIMIT {int(limit)}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [
            (m, Arrears(months, _dec(owed), oldest, run, lapse))
            for m, months, owed, oldest, run in cursor.fetchall()
        ]


def arrears_buckets_by_node(org, length, today=None):
    """{node path: {"b12": n, "b35": n, "b6": n, "lapse": n, "owed": amount}} (buckets 1–2, 3–5 and
    ≥ 6 months, the 自行脱党 review count, the amount owed) for the members of `org`'s subtree,
    grouped by the first `length` characters of their branch's path — from the arrears state."""
    from . import summary

    return summary.arrears_by_node(org, length, DuesPolicy.for_org(None, today).lapse_months)


# --- Grids ---------------------------------------------------------------------------------------


class Cell:
    """One member-month of the collection grid."""

    PAID, PARTIAL, OWED, DUE, EXEMPT, NONE, PREPAID = (
        "paid",
        "partial",
        "owed",
        "due",
        "exempt",
        "none",
        "prepaid",
    )

    def __init__(self, period, due, paid, status):
        self.period, self.due, self.paid, self.status = period, due, paid, status

    @property
    def label(self):
        return period_label(self.period)


def month_grid(member_ids, periods, today=None):
    """{member_id: [Cell per period]} — three queries for any number of members."""
    member_ids, periods = list(member_ids), list(periods)
    if not member_ids or not periods:
        return {}
    current = current_period(today)
    lo, hi = min(periods), max(periods)
    due = defaultdict(lambda: ZERO)
    charged = set()
    for member_id, period, amount, charges in (
        DuesObligation.objects.filter(member_id__in=member_ids, period__gte=lo, period__lte=hi)
        .order_by()
        .values("member_id", "period")
        .annotate(s=Sum("amount"), c=Sum("pk", filter=Q(kind=EntryKind.CHARGE)))
        .values_list("member_id", "period", "s", "c")
    ):
        due[(member_id, period)] = _dec(amount)
        if charges:
            charged.add((member_id, period))
    paid = defaultdict(lambda: ZERO)
    for member_id, period, amount in (
        PaymentAllocation.objects.filter(member_id__in=member_ids, period__gte=lo, period__lte=hi)
        .order_by()
        .values("member_id", "period")
        .annotate(s=Sum("amount"))
        .values_list("member_id", "period", "s")
    ):
        paid[(member_id, period)] = _dec(amount)
    exempt = defaultdict(list)
    for member_id, start, end in DuesExemption.objects.filter(
        member_id__in=member_ids,
        status=AdjustmentStatus.APPROVED,
        kind=ExemptionKind.EXEMPT,
        start_period__lte=hi,
        end_period__gte=lo,
    ).values_list("member_id", "start_period", "end_period"):
        exempt[member_id].append((start, end))
    return {
        member_id: [
            _cell(
                period,
                due[(member_id, period)],
                paid[(member_id, period)],
                (member_id, period) in charged,
                exempt[member_id],
                current,
            )
            for period in periods
        ]
        for member_id in member_ids
    }


def _cell(period, due, paid, charged, exempt, current):
    """A month's cell from what is owed and allocated to it, whether it was charged and the
    member's approved 免交 spans [(start, end)]."""
    if due > 0:
        status = (
            Cell.PAID
            if paid >= due
            else Cell.PARTIAL
            if paid > 0
            else Cell.OWED
            if period < current
            else Cell.DUE
        )
    elif paid > 0:
        status = Cell.PREPAID if period > current or not charged else Cell.PAID
    elif any(s <= period <= e for s, e in exempt):
        status = Cell.EXEMPT
    else:
        status = Cell.NONE
    return Cell(period, due, paid, status)


def member_months(member_id, periods, today=None):
    """我的党费's months from one read of the member's whole ledger (three queries): the cells of
    `periods`, this month's cell (in `periods` or not) and 党费交至 — what month_grid, a second
    month_grid for this month and paid_through give, without reading the ledger three times."""
    periods = list(periods)
    current = current_period(today)
    balances = member_balances(member_id)
    exempt = list(
        DuesExemption.objects.filter(
            member_id=member_id,
            status=AdjustmentStatus.APPROVED,
            kind=ExemptionKind.EXEMPT,
            start_period__lte=max([*periods, current]),
            end_period__gte=min([*periods, current]),
        ).values_list("start_period", "end_period")
    )

    def cell(period):
        b = balances.get(period)
        if b is None:
            return _cell(period, ZERO, ZERO, False, exempt, current)
        return _cell(period, b["due"], b["paid"], b["charged"], exempt, current)

    cells = [cell(period) for period in periods]
    this_month = next((c for c in cells if c.period == current), None) or cell(current)
    return cells, this_month, _paid_through(balances, current)


def paid_through(member_id, today=None):
    """党费交至: the last month up to which every charged month is fully paid (months ahead that
    were prepaid count too); "" when the ledger has nothing for the member."""
    return _paid_through(member_balances(member_id), current_period(today))


def _paid_through(balances, current):
    if not balances:
        return ""
    open_months = sorted(p for p, b in balances.items() if b["due"] > b["paid"] and p <= current)
    if open_months:
        return period_label(open_months[0] - 1)
    covered = [p for p, b in balances.items() if (b["charged"] and b["due"] > 0) or b["paid"] > 0]
    return period_label(max(covered)) if covered else ""


def member_payments(member_id, limit=60):
    """The member's latest payments, newest first, each with the months it went to as listed
    (months_label) — two queries."""
    payments = list(DuesPayment.objects.filter(member_id=member_id).order_by("-paid_on", "-pk")[:limit])
    allocated = defaultdict(list)
    for payment_id, period in (
        PaymentAllocation.objects.filter(payment__in=payments).order_by().values_list("payment_id", "period")
    ):
        allocated[payment_id].append(period)
    return [(payment, months_label(allocated[payment.pk])) for payment in payments]


def outstanding_months(member_id, today=None):
    """The months before the current one still (partly) unpaid, as "YYYY-MM"."""
    current = current_period(today)
    balances = member_balances(member_id)
    return [
        period_label(p) for p in sorted(balances) if p < current and balances[p]["due"] > balances[p]["paid"]
    ]


def has_ledger(member_id):
    return DuesObligation.objects.filter(member_id=member_id).exists()


# --- Collection, remittance, roll-up ---------------------------------------------------------------


def collected_for(branch, start_period, end_period):
    """What the branch received in the months (by payment date), net of reversals."""
    first = datetime.date(start_period // 12, start_period % 12 + 1, 1)
    last_period = end_period + 1
    last = datetime.date(last_period // 12, last_period % 12 + 1, 1)
    total = DuesPayment.objects.filter(branch=branch, paid_on__gte=first, paid_on__lt=last).aggregate(
        s=Sum("amount")
    )["s"]
    return _dec(total)


def _date_range(start_period, end_period):
    first = datetime.date(start_period // 12, start_period % 12 + 1, 1)
    after = end_period + 1
    return first, datetime.date(after // 12, after % 12 + 1, 1)


def rollup(org, start_period, end_period, today=None):
    """Collection and remittance for `org`'s children (or `org` itself when it is a branch), each
    summed over its subtree through the indexed org path: due, paid towards those months, members
    owing and fully paid (member-months), received, voluntary and large voluntary (to the Centre),
    remitted, confirmed, outstanding, arrears buckets. Read from the summary tables (dues.summary):
    four queries, whatever the tree size."""
    from . import summary

    children = list(
        Organization.objects.filter(path__startswith=org.path, depth=org.depth + 1).exclude(
            kind="party_group"
        )
    )
    if not children or org.is_branch:
        children, length = [org], len(org.path)
    else:
        length = len(org.path) + Organization.steplen
    figures = summary.summary_by_node(org, start_period, end_period, length)
    remitted = {
        row["node"]: row
        for row in Remittance.objects.filter(
            branch__path__startswith=org.path, start_period__gte=start_period, end_period__lte=end_period
        )
        .annotate(node=Substr("branch__path", 1, length))
        .values("node")
        .annotate(v=Sum("amount"), confirmed=Sum("amount", filter=Q(status=RemittanceStatus.CONFIRMED)))
    }
    buckets = arrears_buckets_by_node(org, length, today)
    rows = []
    for child in children:
        key = child.path[:length]
        f = figures.get(key) or summary._figures()
        rem = remitted.get(key, {})
        collected = f["received_regular"] + f["received_voluntary"]
        rows.append(
            {
                "org": child,
                "due": f["due"],
                "paid": f["paid"],
                "rate_amount": _pct(f["paid"], f["due"]),
                "owing": f["owing"],
                "paid_up": f["paid_up"],
                "rate_heads": _pct(f["paid_up"], f["owing"]),
                "exempt": f["exempt"],
                "regular": f["received_regular"],
                "voluntary": f["received_voluntary"],
                "large": f["received_centre"],
                "collected": collected,
                "remitted": _dec(rem.get("v")),
                "confirmed": _dec(rem.get("confirmed")),
                "outstanding": collected - _dec(rem.get("v")),
                "arrears": buckets.get(key, {"b12": 0, "b35": 0, "b6": 0, "lapse": 0, "owed": ZERO}),
            }
        )
    return rows


def _pct(part, whole):
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"))


def branch_rates(member_ids, periods, grid=None):
    """Collection rate of a branch over `periods` by headcount and by amount, from the grid."""
    grid = grid if grid is not None else month_grid(member_ids, periods)
    due = paid = ZERO
    owing = paid_up = 0
    for cells in grid.values():
        d = sum((c.due for c in cells), ZERO)
        p = sum((min(c.paid, c.due) for c in cells if c.due > 0), ZERO)
        if d > 0:
            owing += 1
            paid_up += p >= d
        due += d
        paid += p
    return {
        "due": due,
        "paid": paid,
        "rate_amount": _pct(paid, due),
        "owing": owing,
        "paid_up": paid_up,
        "rate_heads": _pct(paid_up, owing),
    }


def year_periods(year):
    return list(range(year * 12, year * 12 + 12))


def payments_visible_to(user):
    return DuesPayment.objects.visible_to(user)
