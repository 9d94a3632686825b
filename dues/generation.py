"""Monthly obligations, generated set-based: one INSERT … SELECT for a whole month, whatever the
number of members (300,000 at tier M), never a save per row.

Who owes dues for a month (党费规定; domain spec §2.3):
- full members, and probationary members from the month they were admitted (入党日期) on;
- a member who left (转出, 自行脱党, 去世, 除名, 退党, 取消预备资格) owes the month only when they were
  still a member on its first day — nothing for the months after;
- nobody while an approved 免交 covers the month; an approved 少交 sets the amount;
- 年薪制 and 个体 members: the month's income entry (dues.models.income) sets the amount when there
  is one (this month's pay / the previous quarter's average, in-service brackets).
The amount is the member's yearly base (the latest year up to this one, so a base carries over until
the next is verified) with the latest approved adjustment in force that month; the fixed categories
fall back to the national fixed amount when no base was entered.

Generation is reconciliation: the month's desired rows are compared with the ledger; a missing
charge is inserted, a charge that should not exist (a backdated transfer-out, an exemption, an
adjusted base) is cancelled by a reversing row. Running it twice creates nothing the second time."""

import calendar
import datetime

from django.db import connection, transaction
from django.utils import timezone

from audit.services import log_action
from branches.models import Organization
from members.models import ACTIVE_STATUSES, DuesCategory, Member, MemberStatus, StatusChange

from .calculator import FIXED_CATEGORIES
from .models import (
    AdjustmentStatus,
    DuesBase,
    DuesBaseAdjustment,
    DuesExemption,
    DuesIncomeEntry,
    DuesObligation,
    DuesPolicy,
    EntryKind,
    ExemptionKind,
    MonthRun,
    period_label,
    period_of,
    period_start,
)

ENDED_STATUSES = (
    MemberStatus.TRANSFERRED_OUT,
    MemberStatus.LAPSED,
    MemberStatus.DECEASED,
    MemberStatus.EXPELLED,
    MemberStatus.WITHDRAWN,
    MemberStatus.PROBATION_CANCELLED,
)
DESIRED = "dues_desired_tmp"


def _t(model):
    return connection.ops.quote_name(model._meta.db_table)


def _in(values):
    return "(" + ", ".join("%s" for _ in values) + ")", list(values)


def _desired_sql(period, *, paths=None, member_ids=None):
    """SELECT member_id, branch_id, amount of everyone who owes dues for `period`."""
    first = period_start(period)
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    year = first.year
    policy = DuesPolicy.for_org(None, first)
    active_sql, active = _in([str(s) for s in ACTIVE_STATUSES])
    ended_sql, ended = _in([str(s) for s in ENDED_STATUSES])
    fixed_sql, fixed = _in([str(c) for c in FIXED_CATEGORIES])
    # The exemption and adjustment lookups run per member only when such rows exist for this
    # month: usually there are a handful in a city, and 270,000 empty probes cost seconds.
    approved = AdjustmentStatus.APPROVED
    covering = DuesExemption.objects.filter(status=approved, start_period__lte=period, end_period__gte=period)
    has_reduce = covering.filter(kind=ExemptionKind.REDUCE).exists()
    has_exempt = covering.filter(kind=ExemptionKind.EXEMPT).exists()
    has_adjust = DuesBaseAdjustment.objects.filter(
        status=approved, base__year=year, from_period__lte=period
    ).exists()
    has_income = DuesIncomeEntry.objects.filter(period=period).exists()
    amounts, params = [], []
    if has_reduce:
        amounts.append(f"""(SELECT e.reduced_amount FROM {_t(DuesExemption)} e
      WHERE e.member_id = m.id AND e.status = %s AND e.kind = %s
        AND e.start_period <= %s AND e.end_period >= %s
      ORDER BY e.id DESC LIMIT 1)""")
        params += [approved, ExemptionKind.REDUCE, period, period]
    if has_income:
        # 年薪制: this month's pay; 个体: the previous quarter's average (dues.models.income).
        amounts.append(f"""(SELECT i.monthly_amount FROM {_t(DuesIncomeEntry)} i
      WHERE i.member_id = m.id AND i.period = %s)""")
        params += [period]
    if has_adjust:
        amounts.append(f"""(SELECT a.monthly_amount FROM {_t(DuesBaseAdjustment)} a JOIN {_t(DuesBase)} ab ON ab.id = a.base_id
      WHERE ab.member_id = m.id AND ab.year = %s AND a.status = %s AND a.from_period <= %s
      ORDER BY a.from_period DESC, a.id DESC LIMIT 1)""")
        params += [year, approved, period]
    amounts.append(f"""(SELECT b.monthly_amount FROM {_t(DuesBase)} b
      WHERE b.member_id = m.id AND b.year <= %s ORDER BY b.year DESC LIMIT 1)""")
    params += [year]
    amounts.append(f"""CASE WHEN m.dues_category IN {fixed_sql} THEN CAST(%s AS DECIMAL(10, 2))
         WHEN m.dues_category = %s THEN CAST(%s AS DECIMAL(10, 2)) END""")
    params += [*fixed, str(policy.fixed_amount), DuesCategory.FARMER, str(policy.farmer_min)]
    sql = f"""
SELECT m.id AS member_id, m.branch_id AS branch_id, amt.amount AS amount FROM (
  SELECT m.id AS member_id, COALESCE({", ".join(amounts)}) AS amount
  FROM {_t(Member)} m
  WHERE (m.admitted_on IS NULL OR m.admitted_on <= %s)
    AND (
      m.status IN {active_sql}
      OR (m.status IN {ended_sql} AND EXISTS (
        SELECT 1 FROM {_t(StatusChange)} sc
        WHERE sc.member_id = m.id AND sc.to_status = m.status AND sc.from_status IN {active_sql}
          AND sc.changed_on > %s))
    )
"""
    params += [last, *active, *ended, *active, first]
    if has_exempt:
        sql += f"""    AND NOT EXISTS (
      SELECT 1 FROM {_t(DuesExemption)} x
      WHERE x.member_id = m.id AND x.status = %s AND x.kind = %s
        AND x.start_period <= %s AND x.end_period >= %s)
"""
        params += [approved, ExemptionKind.EXEMPT, period, period]
    if member_ids is not None:
        ids_sql, ids = _in(member_ids or [0])
        sql += f"    AND m.id IN {ids_sql}\n"
        params += ids
    if paths is not None:
        clauses = " OR ".join("o.path LIKE %s" for _ in paths) or "1 = 0"
        sql += f"    AND m.branch_id IN (SELECT o.id FROM {_t(Organization)} o WHERE {clauses})\n"
        params += [f"{p}%" for p in paths]
    sql += f") amt JOIN {_t(Member)} m ON m.id = amt.member_id WHERE amt.amount > 0"
    return sql, params


def _scope_sql(alias, *, paths=None, member_ids=None):
    sql, params = "", []
    if member_ids is not None:
        ids_sql, ids = _in(member_ids or [0])
        sql += f" AND {alias}.member_id IN {ids_sql}"
        params += ids
    if paths is not None:
        clauses = " OR ".join("o.path LIKE %s" for _ in paths) or "1 = 0"
        sql += f" AND {alias}.branch_id IN (SELECT o.id FROM {_t(Organization)} o WHERE {clauses})"
        params += [f"{p}%" for p in paths]
    return sql, params


def reconcile_month(period, *, paths=None, member_ids=None, reason="", actor=None, refresh=True):
    """Bring the ledger for `period` in line with who owes what now; returns (charges, reversals)
    inserted. `paths` limits the run to those subtrees, `member_ids` to those members.

    With `refresh` (the default) the derived tables follow in the same transaction (dues.summary):
    the month's summary rows of the scope (one INSERT … SELECT … GROUP BY) and the arrears state of
    the scope's members. Bulk loads (scale data) pass refresh=False and rebuild once at the end."""
    now = timezone.now()
    obl = _t(DuesObligation)
    with transaction.atomic():
        run, _created = MonthRun.objects.get_or_create(
            period=period, defaults={"first_run_at": now, "last_run_at": now}
        )
        # Two runs for the same month (a beat task and a button) must not interleave: the second
        # waits here, then finds the charges the first inserted and adds nothing.
        run = MonthRun.objects.select_for_update().get(pk=run.pk)
        desired_sql, desired_params = _desired_sql(period, paths=paths, member_ids=member_ids)
        scope_sql, scope_params = _scope_sql("o", paths=paths, member_ids=member_ids)
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {DESIRED}")
            cursor.execute(f"CREATE TEMPORARY TABLE {DESIRED} AS {desired_sql}", desired_params)
            cursor.execute(f"CREATE INDEX {DESIRED}_member ON {DESIRED} (member_id)")
            open_charge = f"""o.kind = %s AND NOT EXISTS (SELECT 1 FROM {obl} r WHERE r.reverses_id = o.id)"""
            cursor.execute(
                f"""
INSERT INTO {obl} (member_id, branch_id, period, amount, kind, reverses_id, reason, created_at)
SELECT o.member_id, o.branch_id, o.period, -o.amount, %s, o.id, %s, %s FROM {obl} o
WHERE o.period = %s AND {open_charge}{scope_sql}
  AND NOT EXISTS (SELECT 1 FROM {DESIRED} d WHERE d.member_id = o.member_id AND d.amount = o.amount)""",
                [
                    EntryKind.REVERSAL,
                    reason[:200] or "应交情况变更，冲销",
                    now,
                    period,
                    EntryKind.CHARGE,
                    *scope_params,
                ],
            )
            reversals = cursor.rowcount
            cursor.execute(
                f"""
INSERT INTO {obl} (member_id, branch_id, period, amount, kind, reverses_id, reason, created_at)
SELECT d.member_id, d.branch_id, %s, d.amount, %s, NULL, '', %s FROM {DESIRED} d
WHERE NOT EXISTS (SELECT 1 FROM {obl} o WHERE o.member_id = d.member_id AND o.period = %s AND {open_charge})""",
                [period, EntryKind.CHARGE, now, period, EntryKind.CHARGE],
            )
            charges = cursor.rowcount
            cursor.execute(f"DROP TABLE {DESIRED}")
        if refresh:
            _refresh_derived(period, paths=paths, member_ids=member_ids, now=now)
        run.last_run_at = now
        run.charges, run.reversals = charges, reversals
        run.save(update_fields=["last_run_at", "charges", "reversals"])
        if member_ids is None and (charges or reversals):
            log_action(
                "dues.month.generated",
                run,
                actor=actor,
                data={
                    "period": period_label(period),
                    "charges": charges,
                    "reversals": reversals,
                    "paths": paths,
                },
            )
    return charges, reversals


def _refresh_derived(period, *, paths=None, member_ids=None, now=None):
    from . import summary

    if member_ids is not None:
        for member_id in member_ids:
            summary.refresh_for_member(
                member_id,
                [period],
                extra_branch_ids=DuesExemption.objects.filter(member_id=member_id).values_list(
                    "branch_id", flat=True
                ),
            )
        summary.refresh_arrears(member_ids=member_ids)
    else:
        summary.refresh_summary(paths=paths, periods=[period])
        summary.roll_arrears()
        if period < period_of(timezone.localdate()):
            # A past month corrected: the members whose rows changed in this run.
            summary.refresh_arrears(
                member_sql=f"SELECT member_id FROM {_t(DuesObligation)} WHERE period = %s AND created_at = %s",
                member_params=[period, now],
            )


def generate_month(day=None, *, paths=None, actor=None):
    """The obligations of the month containing `day` (today by default)."""
    day = day or timezone.localdate()
    return reconcile_month(period_of(day), paths=paths, actor=actor, reason="")


def generated_periods(since):
    """The months already generated from `since` on (the ones a correction must revisit)."""
    return list(
        MonthRun.objects.filter(period__gte=since).order_by("period").values_list("period", flat=True)
    )


def reconcile_member(member_id, since, *, reason):
    """Correct one member's generated months from `since` on (a backdated status change, an approved
    exemption or adjustment): reversing rows and new charges, nothing edited."""
    total = [0, 0]
    for period in generated_periods(since):
        charges, reversals = reconcile_month(period, member_ids=[member_id], reason=reason)
        total[0] += charges
        total[1] += reversals
    return tuple(total)


def on_status_change(sender, instance, created, raw=False, **kwargs):
    """A member who left (or was admitted) with a date in a month already generated: correct the
    ledger after the change is committed."""
    if raw or not created:
        return
    member_id, since = instance.member_id, period_of(instance.changed_on)
    transaction.on_commit(
        lambda: reconcile_member(member_id, since, reason=f"政治面貌变更（{instance.changed_on}）")
    )


def months_between(first, last):
    return list(range(first, last + 1))


def today_period():
    return period_of(timezone.localdate())


def month_bounds(period):
    first = period_start(period)
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


def add_period_months(day: datetime.date, months: int) -> int:
    return period_of(day) + months
