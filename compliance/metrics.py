"""Per-branch figures of domain spec §5 for a subtree and a period — what the dashboards, their
rollups and the quarterly report show. One set-based computation: a fixed number of queries
whatever the subtree's size (no query per branch).

    figures = branch_metrics(org, period, today=None)

`org` is any organisation (a branch gives one row; a committee every branch of its subtree),
`period` a `compliance.periods.Period` (month, quarter or year: `parse_period("2026-Q3")`), `today`
the date statuses are judged on (default `timezone.localdate()`). Returns a `Metrics` with
`branches`: a list of `BranchMetrics` in tree order (by path), ranked (`rank`, 1 = best score). Each BranchMetrics has:

- meetings — from the compliance engine (`compliance.engine.evaluate`, never re-implemented):
  `rules` {rule code: RuleFigures(status, required, held)} for the rules that apply, `rules_met`,
  `rules_late`, `rules_open`, `rules_missing`, `missing_rules` (codes), `meeting_rate` (% of decided
  rules met or made up late; open rules are not decided yet).
- attendance — locked meetings held in the period: `att_expected`, `att_present`, `attendance_rate`.
- dues — the dues ledger's summary tables (`dues.summary`, the same the dues roll-up reads):
  `dues_due`, `dues_paid` (allocated to the period's months), `rate_amount`; `dues_owing`
  (member-months with an amount owed), `dues_paid_up` (member-months paid in full), `rate_heads`; `arrears_b12`, `arrears_b35`, `arrears_b6` (members 1–2, 3–5, ≥ 6 months behind,
  as of today), `arrears_lapse` (the 自行脱党 review flag), `arrears_owed`; `collected` (received in
  the period), `remitted`, `confirmed`, `remittance_status` ("none", "partial", "remitted",
  "confirmed", or "" when nothing was collected).
- rectifications — items whose responsible units include the branch: `items_open` (not closed),
  `items_overdue` (past the deadline, not closed — as of today), `items_closed` (closed 销号 in the
  period), `close_rate` (closed / (closed + open)).
- development — `dev_pipeline` (people with a next step), `dev_overdue` (next step past its deadline).
- `score` (0–100, weighted mean of the component rates that apply — `ScoreRule`), `rag`
  ("red", "amber", "green") and `reasons`: [(kind, code, n)] — kind "rule" (code = the missed
  rule), "lapse", "items_overdue", "dev_overdue", "score" (n = the score).

Rates are Decimals with one decimal place (percent), None when there is nothing to rate. Money is
Decimal. The weights and thresholds come from `compliance.models.ScoreRule` (versioned, per subtree),
the rule in force at the period's end (or today, when earlier).
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils import timezone

from branches.models import Organization

from . import engine
from .models import ScoreRule

ZERO = Decimal("0.00")
WHOLE = 10_000  # a substring length longer than any path: group by the branch's own path
RED, AMBER, GREEN = "red", "amber", "green"
RAG_ORDER = {RED: 0, AMBER: 1, GREEN: 2}
DECIDED = (engine.MET, engine.LATE, engine.MISSING)


def pct(part, whole):
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"))


@dataclass(slots=True)
class RuleFigures:
    status: str
    required: int
    held: int


@dataclass
class BranchMetrics:
    id: int
    name: str
    path: str
    rules: dict = field(default_factory=dict)
    att_expected: int = 0
    att_present: int = 0
    dues_due: Decimal = ZERO
    dues_paid: Decimal = ZERO
    dues_owing: int = 0
    dues_paid_up: int = 0
    arrears_b12: int = 0
    arrears_b35: int = 0
    arrears_b6: int = 0
    arrears_lapse: int = 0
    arrears_owed: Decimal = ZERO
    collected: Decimal = ZERO
    remitted: Decimal = ZERO
    confirmed: Decimal = ZERO
    items_open: int = 0
    items_overdue: int = 0
    items_closed: int = 0
    dev_pipeline: int = 0
    dev_overdue: int = 0
    score: Decimal | None = None
    rag: str = GREEN
    reasons: list = field(default_factory=list)
    rank: int = 0

    def _count(self, status):
        return sum(1 for r in self.rules.values() if r.status == status)

    @property
    def rules_met(self):
        return self._count(engine.MET)

    @property
    def rules_late(self):
        return self._count(engine.LATE)

    @property
    def rules_open(self):
        return self._count(engine.OPEN)

    @property
    def rules_missing(self):
        return self._count(engine.MISSING)

    @property
    def missing_rules(self):
        return [code for code, r in self.rules.items() if r.status == engine.MISSING]

    @property
    def meeting_rate(self):
        decided = sum(1 for r in self.rules.values() if r.status in DECIDED)
        return pct(self.rules_met + self.rules_late, decided)

    @property
    def attendance_rate(self):
        return pct(self.att_present, self.att_expected)

    @property
    def rate_amount(self):
        return pct(self.dues_paid, self.dues_due)

    @property
    def rate_heads(self):
        return pct(self.dues_paid_up, self.dues_owing)

    @property
    def close_rate(self):
        return pct(self.items_closed, self.items_closed + self.items_open)

    @property
    def dev_on_time_rate(self):
        return pct(self.dev_pipeline - self.dev_overdue, self.dev_pipeline)

    @property
    def remittance_status(self):
        return remittance_status(self.collected, self.remitted, self.confirmed)


def remittance_status(collected, remitted, confirmed):
    if not collected and not remitted:
        return ""
    if not remitted:
        return "none"
    if remitted < collected:
        return "partial"
    return "confirmed" if confirmed >= remitted else "remitted"


@dataclass
class Metrics:
    org: Organization
    period: object
    today: datetime.date
    branches: list

    def branch(self, pk):
        return next((b for b in self.branches if b.id == pk), None)


def branch_metrics(org, period, *, today=None):
    """The per-branch figures of §5 for `org`'s subtree and `period` (see the module docstring)."""
    today = today or timezone.localdate()
    report = engine.evaluate(org, period, today=today)
    rows = {}
    for b in report.branches:
        row = BranchMetrics(id=b.id, name=b.name, path=b.path)
        row.rules = {
            code: RuleFigures(r.status, r.required, r.held) for code, r in b.rules.items() if r.applicable
        }
        rows[b.id] = row
    if rows:
        _attendance(org, period, rows)
        _dues(org, period, rows, today)
        _rectifications(org, period, rows, today)
        _development(org, rows, today)
    out = list(rows.values())
    _score(out, period, today)
    return Metrics(org=org, period=period, today=today, branches=out)


def _attendance(org, period, rows):
    from meetings.models import Meeting

    qs = (
        Meeting.objects.locked()
        .filter(organization__path__startswith=org.path, held_on__gte=period.start, held_on__lte=period.end)
        .order_by()
        .values("organization_id")
        .annotate(e=Sum("expected_count"), p=Sum("present_count"))
    )
    for r in qs:
        row = rows.get(r["organization_id"])
        if row is not None:
            row.att_expected, row.att_present = r["e"] or 0, r["p"] or 0


def _dues(org, period, rows, today):
    """From the dues ledger's summary tables (dues.summary, kept current by the dues services),
    grouped by each branch's own path; remittances from the ledger."""
    from dues import selectors as dues
    from dues import summary
    from dues.models import Remittance, RemittanceStatus, period_of

    by_path = {row.path: row for row in rows.values()}
    start, end = period_of(period.start), period_of(period.end)
    for path, f in summary.summary_by_node(org, start, end, WHOLE).items():
        row = by_path.get(path)
        if row is not None:
            row.dues_due, row.dues_paid = f["due"], f["paid"]
            row.dues_owing, row.dues_paid_up = f["owing"], f["paid_up"]
            row.collected = f["received_regular"] + f["received_voluntary"]
    for path, a in dues.arrears_buckets_by_node(org, WHOLE, today).items():
        row = by_path.get(path)
        if row is not None:
            row.arrears_b12, row.arrears_b35, row.arrears_b6 = a["b12"], a["b35"], a["b6"]
            row.arrears_lapse, row.arrears_owed = a["lapse"], a["owed"]
    for r in (
        Remittance.objects.filter(
            branch__path__startswith=org.path, start_period__gte=start, end_period__lte=end
        )
        .order_by()
        .values("branch_id")
        .annotate(v=Sum("amount"), c=Sum("amount", filter=Q(status=RemittanceStatus.CONFIRMED)))
    ):
        if r["branch_id"] in rows:
            row = rows[r["branch_id"]]
            row.remitted, row.confirmed = dues._dec(r["v"]), dues._dec(r["c"])


def _local_bounds(period):
    tz = timezone.get_current_timezone()
    start = datetime.datetime.combine(period.start, datetime.time.min, tzinfo=tz)
    return start, datetime.datetime.combine(
        period.end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz
    )


def _rectifications(org, period, rows, today):
    from rectifications.models import ACTIVE_STATUSES, Item, ItemStatus

    start, after = _local_bounds(period)
    active = Q(item__status__in=ACTIVE_STATUSES)
    qs = (
        Item.units.through.objects.filter(organization__path__startswith=org.path)
        .order_by()
        .values("organization_id")
        .annotate(
            open=Count("item_id", filter=active),
            overdue=Count("item_id", filter=active & Q(item__deadline__lt=today)),
            closed=Count(
                "item_id",
                filter=Q(
                    item__status=ItemStatus.CLOSED, item__closed_at__gte=start, item__closed_at__lt=after
                ),
            ),
        )
    )
    for r in qs:
        row = rows.get(r["organization_id"])
        if row is not None:
            row.items_open, row.items_overdue, row.items_closed = r["open"], r["overdue"], r["closed"]


def _development(org, rows, today):
    from members.models import Member

    qs = (
        Member.objects.filter(branch__path__startswith=org.path, next_step_no__isnull=False)
        .order_by()
        .values("branch_id")
        .annotate(n=Count("pk"), late=Count("pk", filter=Q(next_step_due__lt=today)))
    )
    for r in qs:
        row = rows.get(r["branch_id"])
        if row is not None:
            row.dev_pipeline, row.dev_overdue = r["n"], r["late"]


def _rules_by_scope(on):
    """{scope path ("" = global): ScoreRule in force on `on`} — one query for the whole subtree."""
    best = {}
    for rule in ScoreRule.objects.filter(effective_from__lte=on).select_related("organization"):
        key = rule.organization.path if rule.organization_id else ""
        if key not in best or rule.effective_from > best[key].effective_from:
            best[key] = rule
    return best


def rule_for(path, rules):
    """The most specific scope's rule for a branch path; the built-in defaults when none."""
    scopes = [p for p in rules if path.startswith(p)]
    if not scopes:
        return ScoreRule(effective_from=datetime.date(2000, 1, 1))
    return rules[max(scopes, key=len)]


def score_of(row, rule):
    """(score, rag, reasons) of one branch under `rule` (ScoreRule)."""
    parts = (
        (rule.weight_meetings, row.meeting_rate),
        (rule.weight_attendance, row.attendance_rate),
        (rule.weight_dues, row.rate_amount),
        (rule.weight_rectification, row.close_rate),
        (rule.weight_development, row.dev_on_time_rate),
    )
    weight = sum(w for w, rate in parts if rate is not None and w)
    score = None
    if weight:
        score = (sum(Decimal(w) * rate for w, rate in parts if rate is not None and w) / weight).quantize(
            Decimal("0.1")
        )
    reasons = [("rule", code, 1) for code in row.missing_rules]
    red = bool(rule.red_on_missing and reasons)
    if row.arrears_lapse:
        reasons.append(("lapse", "", row.arrears_lapse))
        red = red or rule.red_on_lapse
    if score is not None and score < rule.red_below:
        red = True
        reasons.append(("score", "", score))
    amber = False
    if row.items_overdue:
        reasons.append(("items_overdue", "", row.items_overdue))
        amber = True
    if row.dev_overdue:
        reasons.append(("dev_overdue", "", row.dev_overdue))
        amber = True
    if score is not None and rule.red_below <= score < rule.amber_below:
        reasons.append(("score", "", score))
        amber = True
    return score, RED if red else AMBER if amber else GREEN, reasons


def _score(rows, period, today):
    rules = _rules_by_scope(min(period.end, today))
    for row in rows:
        row.score, row.rag, row.reasons = score_of(row, rule_for(row.path, rules))
    ranked = sorted(rows, key=lambda r: (-(r.score if r.score is not None else Decimal(-1)), r.path))
    for n, row in enumerate(ranked, 1):
        row.rank = n
