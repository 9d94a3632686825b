"""The derived dues tables (``DuesMonthSummary``, ``DuesArrearsState`` — see dues.models.summary for
what each column means): set-based refreshes called by the dues services, a rebuild, and the public
selectors other apps read (the dashboards read dues figures only through these).

Writers (all set-based SQL, never a save per row):

- ``refresh_summary(branch_ids=…, paths=…, periods=…)``: recompute the summary rows of those
  branches (or subtrees) and months with one DELETE and one INSERT … SELECT … GROUP BY;
- ``refresh_arrears(member_ids=…, paths=…)``: recompute the arrears state of those members (or of
  every member of the subtrees) as of the current month;
- ``roll_arrears()``: move the whole arrears state on to the current month, one set-based step per
  month over the month just ended (the month's generation calls it);
- ``rebuild(paths=None)``: both, for every month of the ledger (scale data, the management command
  ``dues_rebuild_summary``).

Public selectors (stable; each is one query whatever the subtree size):

- ``summary_by_node(org, start_period, end_period, length)`` → {path prefix: figures};
- ``subtree_totals(org, start_period, end_period)`` → figures for the whole subtree;
- ``monthly_totals(org, start_period, end_period)`` → {period: figures} for the subtree;
- ``arrears_by_node(org, length, lapse_months)`` → {path prefix: buckets};
- ``lapse_list(path, lapse_months, limit=50, min_months=1, lapse_only=True)`` → [(member_id, row)].

"figures" is a dict of ``charges, due, owing, paid_up, exempt, paid, received_regular,
received_voluntary, received_centre`` (Decimal for money, int for counts)."""

from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from branches.models import Organization
from members.models import Member

from .models import (
    FEN,
    AdjustmentStatus,
    DuesArrearsState,
    DuesExemption,
    DuesMonthSummary,
    DuesObligation,
    DuesPayment,
    DuesSummaryMarker,
    EntryKind,
    ExemptionKind,
    MonthRun,
    PaymentAllocation,
    PaymentKind,
    period_of,
    period_start,
)

ZERO = Decimal("0.00")
COUNTS = ("charges", "owing", "paid_up", "exempt")
MONEY = ("due", "paid", "received_regular", "received_voluntary", "received_centre")
COLUMNS = ("charges", "due", "owing", "paid_up", "exempt", "paid", *MONEY[2:])


def _t(model):
    return connection.ops.quote_name(model._meta.db_table)


def _dec(value):
    return Decimal(str(value or 0)).quantize(FEN)


def _in(values):
    values = list(values)
    return "(" + ", ".join("%s" for _ in values) + ")", values


def _period_expr(column):
    """The period (year × 12 + month − 1) of a date column, in SQL."""
    if connection.vendor == "postgresql":
        return f"(CAST(EXTRACT(YEAR FROM {column}) AS INTEGER) * 12 + CAST(EXTRACT(MONTH FROM {column}) AS INTEGER) - 1)"
    return (
        f"(CAST(strftime('%%Y', {column}) AS INTEGER) * 12 + CAST(strftime('%%m', {column}) AS INTEGER) - 1)"
    )


def _where(branch_col, period_col, *, branch_ids=None, paths=None, periods=None):
    clauses, params = [], []
    if branch_ids is not None:
        sql, ids = _in(branch_ids or [0])
        clauses.append(f"{branch_col} IN {sql}")
        params += ids
    if paths is not None:
        likes = " OR ".join("so.path LIKE %s" for _ in paths) or "1 = 0"
        clauses.append(f"{branch_col} IN (SELECT so.id FROM {_t(Organization)} so WHERE {likes})")
        params += [f"{p}%" for p in paths]
    if periods is not None and period_col:
        sql, ps = _in(periods or [-1])
        clauses.append(f"{period_col} IN {sql}")
        params += ps
    return " AND ".join(clauses) or "1 = 1", params


def _summary_select(**scope):
    """SELECT branch_id, period, <COLUMNS> for the scope (branch_ids / paths / periods)."""
    obl, alloc, pay = _t(DuesObligation), _t(PaymentAllocation), _t(DuesPayment)
    exempt, runs = _t(DuesExemption), _t(MonthRun)
    o_where, o_params = _where("o.branch_id", "o.period", **scope)
    a_where, a_params = _where("ob.branch_id", "ob.period", **scope)
    ap_where, ap_params = _where("", "a.period", periods=scope.get("periods"))
    ap_where = ap_where if scope.get("periods") is not None else "1 = 1"
    b_where, b_params = _where("p.branch_id", "a.period", **scope)
    expr = _period_expr("p.paid_on")
    c_where, c_params = _where("p.branch_id", expr, **scope)
    if scope.get("periods"):
        # The months' dates as a range too, so that the paid_on index narrows the scan.
        first, after = period_start(min(scope["periods"])), period_start(max(scope["periods"]) + 1)
        c_where += " AND p.paid_on >= %s AND p.paid_on < %s"
        c_params = [*c_params, first, after]
    d_where, d_params = _where("e.branch_id", "r.period", **scope)
    members_filter = ""
    member_params = []
    if scope.get("branch_ids") is not None or scope.get("paths") is not None:
        # A few branches: only their members' allocations are summed.
        members_filter = f" AND a.member_id IN (SELECT ob.member_id FROM {obl} ob WHERE {a_where})"
        member_params = a_params
    sql = f"""
SELECT branch_id, period, SUM(charges), SUM(due), SUM(owing), SUM(paid_up), SUM(exempt), SUM(paid),
       SUM(rr), SUM(rv), SUM(rc)
FROM (
  SELECT d.branch_id AS branch_id, d.period AS period, SUM(d.n) AS charges, SUM(d.due) AS due,
    SUM(CASE WHEN d.due > 0 THEN 1 ELSE 0 END) AS owing,
    SUM(CASE WHEN d.due > 0 AND COALESCE(pa.paid, 0) >= d.due THEN 1 ELSE 0 END) AS paid_up,
    0 AS exempt, 0 AS paid, 0 AS rr, 0 AS rv, 0 AS rc
  FROM (
    SELECT o.branch_id AS branch_id, o.period AS period, o.member_id AS member_id,
      SUM(CASE WHEN o.kind = %s THEN 1 ELSE -1 END) AS n, SUM(o.amount) AS due
    FROM {obl} o WHERE {o_where} GROUP BY o.branch_id, o.period, o.member_id
  ) d LEFT JOIN (
    SELECT a.member_id AS member_id, a.period AS period, SUM(a.amount) AS paid FROM {alloc} a
    WHERE {ap_where}{members_filter} GROUP BY a.member_id, a.period
  ) pa ON pa.member_id = d.member_id AND pa.period = d.period
  GROUP BY d.branch_id, d.period
  UNION ALL
  SELECT p.branch_id, a.period, 0, 0, 0, 0, 0, SUM(a.amount), 0, 0, 0
  FROM {alloc} a JOIN {pay} p ON p.id = a.payment_id WHERE {b_where} GROUP BY p.branch_id, a.period
  UNION ALL
  SELECT p.branch_id, {expr}, 0, 0, 0, 0, 0, 0,
    SUM(CASE WHEN p.kind = %s THEN p.amount ELSE 0 END),
    SUM(CASE WHEN p.kind = %s THEN p.amount ELSE 0 END),
    SUM(CASE WHEN p.to_centre THEN p.amount ELSE 0 END)
  FROM {pay} p WHERE {c_where} GROUP BY p.branch_id, {expr}
  UNION ALL
  SELECT e.branch_id, r.period, 0, 0, 0, 0, COUNT(DISTINCT e.member_id), 0, 0, 0, 0
  FROM {exempt} e JOIN {runs} r ON r.period >= e.start_period AND r.period <= e.end_period
  WHERE e.status = %s AND e.kind = %s AND {d_where} GROUP BY e.branch_id, r.period
) u GROUP BY branch_id, period"""
    params = [
        EntryKind.CHARGE,
        *o_params,
        *ap_params,
        *member_params,
        *b_params,
        PaymentKind.REGULAR,
        PaymentKind.VOLUNTARY,
        *c_params,
        AdjustmentStatus.APPROVED,
        ExemptionKind.EXEMPT,
        *d_params,
    ]
    return sql, params


def _lock_branches(branch_ids=None, paths=None):
    """Refreshes of the same branch run one after the other (PostgreSQL row locks on the branches;
    NO KEY UPDATE, so rows referencing a branch can still be inserted meanwhile)."""
    if connection.vendor != "postgresql" or not connection.in_atomic_block:
        return
    qs = Organization.objects.all()
    if branch_ids is not None:
        qs = qs.filter(pk__in=list(branch_ids))
    if paths is not None:
        from django.db.models import Q

        q = Q(pk__in=[])
        for p in paths:
            q |= Q(path__startswith=p)
        qs = qs.filter(q)
    list(qs.select_for_update(no_key=True).order_by("pk").values_list("pk", flat=True))


def refresh_summary(*, branch_ids=None, paths=None, periods=None):
    """Recompute the summary rows of the given branches (ids) or subtrees (paths) and months
    (None: all). Returns the number of rows written."""
    scope = {"branch_ids": branch_ids, "paths": paths, "periods": periods}
    if branch_ids is not None:
        branch_ids = sorted(set(branch_ids))
        scope["branch_ids"] = branch_ids
    if periods is not None:
        scope["periods"] = sorted(set(periods))
    table = _t(DuesMonthSummary)
    with transaction.atomic():
        _lock_branches(branch_ids, paths)
        where, params = _where("branch_id", "period", **scope)
        select, select_params = _summary_select(**scope)
        cols = ", ".join(COLUMNS)
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table} WHERE {where}", params)
            cursor.execute(
                f"INSERT INTO {table} (branch_id, period, {cols}) {select}",
                select_params,
            )
            return cursor.rowcount


def refresh_for_member(member_id, periods, *, extra_branch_ids=()):
    """After a payment, a reversal or a member's reconciliation: the months touched, for every
    branch the member's obligations, payments or exemptions in those months belong to."""
    periods = sorted(set(periods))
    if not periods:
        return 0
    branches = set(extra_branch_ids)
    branches |= set(
        DuesObligation.objects.filter(member_id=member_id, period__in=periods)
        .values_list("branch_id", flat=True)
        .distinct()
    )
    branches |= set(Member.objects.filter(pk=member_id).values_list("branch_id", flat=True))
    return refresh_summary(branch_ids=branches, periods=periods)


def _arrears_members_sql(member_ids=None, paths=None):
    if member_ids is not None:
        sql, ids = _in(member_ids or [0])
        return f"SELECT id FROM {_t(Member)} WHERE id IN {sql}", ids
    if paths is not None:
        likes = " OR ".join("oo.path LIKE %s" for _ in paths) or "1 = 0"
        return (
            f"SELECT mm.id FROM {_t(Member)} mm JOIN {_t(Organization)} oo ON oo.id = mm.branch_id WHERE {likes}",
            [f"{p}%" for p in paths],
        )
    return f"SELECT id FROM {_t(Member)}", []


def refresh_arrears(*, member_ids=None, paths=None, member_sql=None, member_params=(), today=None):
    """Recompute the arrears state (as of the current month) of the members (ids, or a subquery
    `member_sql`), or of every member of the subtrees (paths), or of everyone (which also moves the
    marker to the current month). Returns the number of members in arrears written."""
    from .selectors import _arrears_sql

    current = period_of(today or timezone.localdate())
    if member_sql is None:
        member_sql, member_params = _arrears_members_sql(member_ids, paths)
    member_params = list(member_params)
    everyone = member_ids is None and paths is None and member_sql.startswith(f"SELECT id FROM {_t(Member)}")
    cte, params = _arrears_sql(member_sql, member_params, current)
    table = _t(DuesArrearsState)
    with transaction.atomic(), connection.cursor() as cursor:
        if everyone:
            cursor.execute(f"DELETE FROM {table}")
        else:
            cursor.execute(f"DELETE FROM {table} WHERE member_id IN ({member_sql})", member_params)
        cursor.execute(
            f"""{cte}, tr AS (
  SELECT member_id, period, period - ROW_NUMBER() OVER (PARTITION BY member_id ORDER BY period) AS grp
  FROM bal WHERE paid <= 0
), tails AS (
  SELECT member_id, COUNT(*) AS n FROM tr GROUP BY member_id, grp HAVING MAX(period) = %s
)
INSERT INTO {table} (member_id, branch_id, as_of, months, amount, oldest, run, tail)
SELECT ar.member_id, m.branch_id, %s, ar.months, ar.owed, ar.oldest, ar.run, COALESCE(tl.n, 0)
FROM arrears ar JOIN {_t(Member)} m ON m.id = ar.member_id LEFT JOIN tails tl ON tl.member_id = ar.member_id""",
            [*params, current - 1, current],
        )
        written = cursor.rowcount
        if everyone:
            DuesSummaryMarker.objects.update_or_create(key=ARREARS, defaults={"as_of": current})
        return written


ARREARS = "arrears"
ROLL = "dues_arrears_roll_tmp"


def _roll_step(month):
    """Move every arrears row (and every member without one) from as of `month` to as of
    `month` + 1: month `month`, just ended, joins the months counted — one set-based pass over that
    month's obligations and allocations."""
    obl, alloc, table = _t(DuesObligation), _t(PaymentAllocation), _t(DuesArrearsState)
    after = month + 1
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {ROLL}")
        cursor.execute(
            f"""CREATE TEMPORARY TABLE {ROLL} AS
SELECT member_id, SUM(due) AS due, SUM(paid) AS paid FROM (
  SELECT member_id, amount AS due, 0 AS paid FROM {obl} WHERE period = %s
  UNION ALL SELECT member_id, 0, amount FROM {alloc} WHERE period = %s
) x GROUP BY member_id HAVING SUM(due) > SUM(paid)""",
            [month, month],
        )
        cursor.execute(f"CREATE INDEX {ROLL}_member ON {ROLL} (member_id)")
        unpaid = f"(SELECT r.paid FROM {ROLL} r WHERE r.member_id = {table}.member_id) <= 0"
        cursor.execute(
            f"""UPDATE {table} SET
  months = months + 1,
  amount = amount + (SELECT r.due - r.paid FROM {ROLL} r WHERE r.member_id = {table}.member_id),
  run = CASE WHEN {unpaid} AND tail + 1 > run THEN tail + 1 ELSE run END,
  tail = CASE WHEN {unpaid} THEN tail + 1 ELSE 0 END,
  as_of = %s
WHERE as_of = %s AND member_id IN (SELECT member_id FROM {ROLL})""",
            [after, month],
        )
        cursor.execute(f"UPDATE {table} SET tail = 0, as_of = %s WHERE as_of = %s", [after, month])
        cursor.execute(
            f"""INSERT INTO {table} (member_id, branch_id, as_of, months, amount, oldest, run, tail)
SELECT r.member_id, m.branch_id, %s, 1, r.due - r.paid, %s,
  CASE WHEN r.paid <= 0 THEN 1 ELSE 0 END, CASE WHEN r.paid <= 0 THEN 1 ELSE 0 END
FROM {ROLL} r JOIN {_t(Member)} m ON m.id = r.member_id
WHERE NOT EXISTS (SELECT 1 FROM {table} s WHERE s.member_id = r.member_id)""",
            [after, month],
        )
        cursor.execute(f"DROP TABLE {ROLL}")


def roll_arrears(today=None):
    """Bring the arrears state to the current month: one step per month since the marker (usually
    one, at the month's generation); without a marker, a full refresh. Returns the months stepped."""
    current = period_of(today or timezone.localdate())
    with transaction.atomic():
        marker = DuesSummaryMarker.objects.select_for_update().filter(key=ARREARS).first()
        if marker is None:
            refresh_arrears(today=today)
            return 0
        steps = 0
        while marker.as_of < current:
            _roll_step(marker.as_of)
            marker.as_of += 1
            steps += 1
        if steps:
            marker.save(update_fields=["as_of"])
        return steps


def forget_stale_marker(today=None):
    """Drop the arrears marker unless it is at the current month: after a part of the table was
    recomputed as of now, a marker of an earlier month no longer describes all of it."""
    current = period_of(today or timezone.localdate())
    DuesSummaryMarker.objects.filter(key=ARREARS).exclude(as_of=current).delete()


def rebuild(paths=None, today=None):
    """Rebuild both tables from the ledger (for the subtrees, or everything). Returns
    (summary rows, members in arrears)."""
    with transaction.atomic():
        rows = refresh_summary(paths=paths)
        arrears = refresh_arrears(paths=paths, today=today)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {_t(DuesMonthSummary)}")
            cursor.execute(f"ANALYZE {_t(DuesArrearsState)}")
    return rows, arrears


# --- Public selectors ------------------------------------------------------------------------------


def _figures(row=None):
    row = row or {}
    result = {c: int(row.get(c) or 0) for c in COUNTS}
    result.update({c: _dec(row.get(c)) for c in MONEY})
    return result


def summary_by_node(org, start_period, end_period, length):
    """{first `length` characters of the branch path: figures} summed over the summary rows of
    `org`'s subtree for the months (one query)."""
    sums = ", ".join(f"SUM(s.{c})" for c in COLUMNS)
    sql = f"""SELECT SUBSTR(o.path, 1, %s), {sums} FROM {_t(DuesMonthSummary)} s
JOIN {_t(Organization)} o ON o.id = s.branch_id
WHERE o.path LIKE %s AND s.period >= %s AND s.period <= %s GROUP BY SUBSTR(o.path, 1, %s)"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [length, f"{org.path}%", start_period, end_period, length])
        return {row[0]: _figures(dict(zip(COLUMNS, row[1:], strict=True))) for row in cursor.fetchall()}


def subtree_totals(org, start_period, end_period):
    """Figures for `org`'s whole subtree over the months (one query)."""
    return summary_by_node(org, start_period, end_period, len(org.path)).get(org.path, _figures())


def monthly_totals(org, start_period, end_period):
    """{period: figures} for `org`'s subtree, month by month (one query)."""
    sums = ", ".join(f"SUM(s.{c})" for c in COLUMNS)
    sql = f"""SELECT s.period, {sums} FROM {_t(DuesMonthSummary)} s
JOIN {_t(Organization)} o ON o.id = s.branch_id
WHERE o.path LIKE %s AND s.period >= %s AND s.period <= %s GROUP BY s.period"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [f"{org.path}%", start_period, end_period])
        return {row[0]: _figures(dict(zip(COLUMNS, row[1:], strict=True))) for row in cursor.fetchall()}


def arrears_by_node(org, length, lapse_months):
    """{path prefix: {"b12", "b35", "b6", "lapse", "owed"}} — members in arrears 1–2, 3–5, ≥ 6
    months, under 自行脱党 review, and the amount owed, from the arrears state (one query)."""
    sql = f"""SELECT SUBSTR(o.path, 1, %s),
  SUM(s.b12), SUM(s.b35), SUM(s.b6), SUM(s.lapse), SUM(s.amount)
FROM (
  SELECT branch_id,
    SUM(CASE WHEN months BETWEEN 1 AND 2 THEN 1 ELSE 0 END) AS b12,
    SUM(CASE WHEN months BETWEEN 3 AND 5 THEN 1 ELSE 0 END) AS b35,
    SUM(CASE WHEN months >= 6 THEN 1 ELSE 0 END) AS b6,
    SUM(CASE WHEN run >= %s THEN 1 ELSE 0 END) AS lapse,
    SUM(amount) AS amount
  FROM {_t(DuesArrearsState)}
  WHERE branch_id IN (SELECT so.id FROM {_t(Organization)} so WHERE so.path LIKE %s) GROUP BY branch_id
) s JOIN {_t(Organization)} o ON o.id = s.branch_id
WHERE o.path LIKE %s GROUP BY SUBSTR(o.path, 1, %s)"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [length, lapse_months, f"{org.path}%", f"{org.path}%", length])
        return {
            node: {"b12": a or 0, "b35": b or 0, "b6": c or 0, "lapse": d or 0, "owed": _dec(owed)}
            for node, a, b, c, d, owed in cursor.fetchall()
        }


def lapse_list(path, lapse_months, *, limit=50, min_months=1, lapse_only=True):
    """[(member_id, DuesArrearsState)] of the subtree, most months first (one query): the members
    under 自行脱党 review (``lapse_only``), or everyone in arrears ≥ ``min_months``."""
    qs = DuesArrearsState.objects.filter(branch__path__startswith=path, months__gte=min_months)
    if lapse_only:
        qs = qs.filter(run__gte=lapse_months)
    qs = qs.order_by("-months", "member_id")
    if limit:
        qs = qs[:limit]
    return [(s.member_id, s) for s in qs]
