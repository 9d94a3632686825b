"""The compliance engine: for an organisation and a period, per rule and per branch — required,
held, status and the meetings that satisfy it. Reads only.

Set-based: whatever the subtree's size, one computation runs a fixed number of queries — the rule
rows, the branches and party groups, the full-member counts, the locked meetings and the talks —
and resolves each branch's rules in Python by path prefix (branches under the same overriding
scopes share one resolution).

Definitions (documented in the README):
- A meeting counts once its minutes are locked (`locked_at`) and only for the window its `held_on`
  falls in. A 主题党日 combined with another kind (`also_themed_day`) counts for both; a 党课 given by
  the branch secretary (`lecturer_type`) also counts for "支部书记讲党课".
- Windows follow the rule's frequency; a monthly rule over a quarter is three windows, a yearly rule
  over a month is the year that contains it (to date).
- The rule applied to a window is the one in force on the window's first day (effective from/to,
  most specific scope, then the newest date); disabled, or a branch below `min_full_members`
  (支委会: ≥ 7 full members, counted now), means "not applicable".
- Status of a window, with deadline = window end + the rule's `grace_days`:
  met — enough meetings locked by the deadline; open — not met and the deadline has not passed;
  late (补录) — met only with meetings held in the window but locked after the deadline;
  missing — not met.
  A rule over several windows (or several party groups / pair types) takes the worst status:
  missing, then late, then open, then met.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property

from django.db import connection
from django.db.models import BooleanField, Count, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from branches.models import BRANCH_KINDS, Organization, OrgKind
from meetings.models import LecturerType, Meeting, MeetingKind, Talk, TalkPairType
from members.models import MemberStatus

from .defaults import default_rules
from .models import ComplianceRule, Frequency, RuleCode
from .periods import containing

MET, OPEN, LATE, MISSING, NOT_APPLICABLE = "met", "open", "late", "missing", "n/a"
STATUS_LABELS = {
    MET: _("已达标"),
    OPEN: _("进行中"),
    LATE: _("补录"),
    MISSING: _("未达标"),
    NOT_APPLICABLE: _("不适用"),
}
# Worst first: the status of a rule over several windows is the worst of theirs.
SEVERITY = {MISSING: 4, LATE: 3, OPEN: 2, MET: 1, NOT_APPLICABLE: 0}
RULE_ORDER = list(RuleCode.values)

# What each rule counts: the meeting kind (谈心谈话 are Talk rows).
RULE_KIND = {
    RuleCode.COMMITTEE_MEETING: MeetingKind.COMMITTEE_MEETING,
    RuleCode.GROUP_MEETING: MeetingKind.GROUP_MEETING,
    RuleCode.GENERAL_MEETING: MeetingKind.GENERAL_MEETING,
    RuleCode.PARTY_LECTURE: MeetingKind.PARTY_LECTURE,
    RuleCode.THEMED_DAY: MeetingKind.THEMED_DAY,
    RuleCode.ORG_LIFE: MeetingKind.ORG_LIFE,
    RuleCode.APPRAISAL: MeetingKind.APPRAISAL,
    RuleCode.SECRETARY_LECTURE: MeetingKind.PARTY_LECTURE,
}
ONE_DAY = datetime.timedelta(days=1)


@dataclass(slots=True)
class WindowResult:
    window: object  # periods.Period
    required: int
    held: int
    status: str
    meeting_ids: list
    unit_id: int | None = None  # the party group (党小组会)
    unit: str = ""  # the party group's name or the talk pair type's label

    @property
    def status_label(self):
        return STATUS_LABELS[self.status]


@dataclass
class RuleResult:
    """One rule for one branch over the period. `evaluate` fills `windows` before returning the
    result; what is derived from them is computed once, on first use (a page of the compliance
    API reads each rule's status three times: the roll-up, the branch's misses, the JSON)."""

    code: str
    windows: list = field(default_factory=list)
    rule_id: int | None = None
    frequency: str = ""
    min_count: int = 0

    @property
    def label(self):
        return RuleCode(self.code).label

    @property
    def applicable(self):
        return bool(self.windows)

    @cached_property
    def required(self):
        return sum(w.required for w in self.windows)

    @cached_property
    def held(self):
        return sum(w.held for w in self.windows)

    @cached_property
    def status(self):
        if not self.windows:
            return NOT_APPLICABLE
        return max((w.status for w in self.windows), key=SEVERITY.__getitem__)

    @property
    def status_label(self):
        return STATUS_LABELS[self.status]

    @property
    def meeting_ids(self):
        return sorted({pk for w in self.windows for pk in w.meeting_ids})

    @property
    def missed_windows(self):
        return [w for w in self.windows if w.status == MISSING]


@dataclass
class BranchResult:
    id: int
    name: str
    path: str
    full_members: int
    rules: dict  # code → RuleResult, in RULE_ORDER

    def status_count(self, status):
        return sum(1 for r in self.rules.values() if r.status == status)

    @property
    def missing(self):
        return self.status_count(MISSING)

    @property
    def rule_list(self):
        return list(self.rules.values())


@dataclass
class RollUp:
    """One rule over every branch of a subtree: how many branches are in each status."""

    code: str
    counts: dict
    required: int
    held: int

    @property
    def label(self):
        return RuleCode(self.code).label

    @property
    def applicable(self):
        return sum(n for s, n in self.counts.items() if s != NOT_APPLICABLE)

    @property
    def status(self):
        present = [s for s, n in self.counts.items() if n and s != NOT_APPLICABLE]
        return max(present, key=SEVERITY.__getitem__) if present else NOT_APPLICABLE

    @property
    def status_label(self):
        return STATUS_LABELS[self.status]

    @property
    def met_rate(self):
        return round(100 * self.counts.get(MET, 0) / self.applicable) if self.applicable else None


@dataclass
class Report:
    org: Organization
    period: object
    today: datetime.date
    branches: list

    @cached_property
    def rules(self):
        """RollUp per rule over the report's branches, on first use (the compliance API over a
        rolled-up committee reads the summary from the rollups instead)."""
        return _roll_up(self.branches)

    @property
    def is_branch(self):
        return self.org.kind in BRANCH_KINDS

    def branch(self, pk):
        return next((b for b in self.branches if b.id == pk), None)


class _Rules:
    """Every rule row, loaded once; resolution by scope paths and date, memoised."""

    def __init__(self):
        self.rows = defaultdict(list)
        for rule in ComplianceRule.objects.select_related("organization").only(
            "id",
            "code",
            "enabled",
            "frequency",
            "min_count",
            "min_full_members",
            "grace_days",
            "effective_from",
            "effective_to",
            "organization__path",
            "organization__depth",
        ):
            rule.scope_path = rule.organization.path if rule.organization_id else ""
            rule.scope_depth = rule.organization.depth if rule.organization_id else 0
            self.rows[rule.code].append(rule)
        if not self.rows:
            for rule in default_rules():
                rule.scope_path, rule.scope_depth = "", 0
                self.rows[rule.code].append(rule)
        self.scoped_paths = sorted(
            {r.scope_path for rows in self.rows.values() for r in rows if r.scope_path}
        )
        self._memo = {}

    def scope_key(self, path):
        return tuple(p for p in self.scoped_paths if path.startswith(p))

    def resolve(self, code, day, key):
        memo_key = (code, day, key)
        if memo_key not in self._memo:
            candidates = [
                r
                for r in self.rows.get(code, ())
                if (not r.scope_path or r.scope_path in key) and r.in_force_on(day)
            ]
            best = max(candidates, key=ComplianceRule.rank, default=None)
            self._memo[memo_key] = best if best is not None and best.enabled else None
        return self._memo[memo_key]

    def windows(self, code, period, key):
        """[(window, rule)] covering `period` for branches under scopes `key`; a stretch with no
        enabled rule contributes no window."""
        memo_key = ("w", code, period, key)
        if memo_key in self._memo:
            return self._memo[memo_key]
        out, day = [], period.start
        while day <= period.end:
            rule = self.resolve(code, day, key)
            if rule is None:
                day = containing(Frequency.MONTH, day).end + ONE_DAY
                continue
            window = containing(rule.frequency, day)
            at_start = self.resolve(code, window.start, key)
            if at_start is not None and at_start.frequency == rule.frequency:
                rule = at_start
            out.append((window, rule))
            day = window.end + ONE_DAY
        self._memo[memo_key] = out
        return out


def evaluate(org, period, *, today=None, only=None):
    """The compliance of `org` (a branch, or every branch in a committee's subtree) for `period`.

    `only` (branches of the subtree, e.g. a page of them) narrows every query to those branches:
    the same fixed number of queries, their cost following the page instead of the subtree. The
    report's roll-up is then over those branches only."""
    today = today or timezone.localdate()
    rules = _Rules()
    # 1 — branches and their party groups in the subtree.
    orgs = Organization.objects.filter(path__startswith=org.path)
    within = None  # the branch ids every query is narrowed to (None: the whole subtree)
    if only is not None:
        # The branches by id and their party groups by path prefix, the prefixes as one SQL
        # condition: Django took a millisecond to build 50 `path__startswith` lookups, and a
        # condition on the parent's path instead (Left(path) IN …) cannot use the path index.
        within = {b.pk for b in only}
        column = (
            f"{connection.ops.quote_name(Organization._meta.db_table)}.{connection.ops.quote_name('path')}"
        )
        under = RawSQL(
            "(" + " OR ".join([f"{column} LIKE %s"] * len(only)) + ")",
            [b.path + "%" for b in only],  # paths are digits and capitals: nothing to escape
            output_field=BooleanField(),
        )
        orgs = (
            orgs.filter(Q(pk__in=within, kind__in=BRANCH_KINDS) | Q(under, kind=OrgKind.PARTY_GROUP))
            if within
            else orgs.none()
        )
    else:
        orgs = orgs.filter(kind__in=(*BRANCH_KINDS, OrgKind.PARTY_GROUP))
    branches, groups = [], defaultdict(list)
    for row in orgs.order_by("path").values("id", "name", "path", "kind"):
        if row["kind"] == OrgKind.PARTY_GROUP:
            groups[row["path"][: -Organization.steplen]].append(row)
        elif within is None or row["id"] in within:
            branches.append(row)
    # 2 — full members per branch (支委会 only where ≥ 7: a committee exists).
    full = dict(_full_member_counts(org, within)) if branches else {}
    # Each branch's windows per rule; branches under the same overriding scopes share them.
    plans = {}
    spans = defaultdict(lambda: [datetime.date.max, datetime.date.min])
    for branch in branches:
        key = rules.scope_key(branch["path"])
        if key not in plans:
            plans[key] = {code: rules.windows(code, period, key) for code in RULE_ORDER}
            for code, windows in plans[key].items():
                for window, _rule in windows:
                    span = spans[code]
                    span[0], span[1] = min(span[0], window.start), max(span[1], window.end)
        branch["key"] = key
    meetings = _locked_meetings(org, spans, within) if branches else {}
    talks = _talks(org, spans.get(RuleCode.TALK), within) if branches else {}

    pair_types = [(pair, str(label)) for pair, label in TalkPairType.choices]
    results = []
    for branch in branches:
        members = full.get(branch["id"], 0)
        rule_results = {}
        for code in RULE_ORDER:
            result = RuleResult(code=code)
            for window, rule in plans[branch["key"]][code]:
                if members < rule.min_full_members:
                    continue
                result.rule_id, result.frequency, result.min_count = rule.id, rule.frequency, rule.min_count
                if code == RuleCode.GROUP_MEETING:
                    items = meetings.get((branch["id"], code), ())
                    for group in groups.get(branch["path"], ()):
                        mine = [m for m in items if m[3] == group["id"]]
                        result.windows.append(
                            _window(window, rule, mine, today, unit_id=group["id"], unit=group["name"])
                        )
                elif code == RuleCode.TALK:
                    items = talks.get(branch["id"], ())
                    for pair, label in pair_types:
                        mine = [t for t in items if t[3] == pair]
                        result.windows.append(_window(window, rule, mine, today, unit=label))
                else:
                    items = meetings.get((branch["id"], code), ())
                    result.windows.append(_window(window, rule, items, today))
            # The rule's figures over its windows, set on the instance (what its cached properties
            # would compute on first use, without a descriptor call and a generator for each).
            required = held = 0
            status, severity = NOT_APPLICABLE, -1
            for w in result.windows:
                required += w.required
                held += w.held
                if SEVERITY[w.status] > severity:
                    status, severity = w.status, SEVERITY[w.status]
            result.required, result.held, result.status = required, held, status
            rule_results[code] = result
        results.append(
            BranchResult(
                id=branch["id"],
                name=branch["name"],
                path=branch["path"],
                full_members=members,
                rules=rule_results,
            )
        )
    return Report(org=org, period=period, today=today, branches=results)


def _in_subtree(qs, org, within, field):
    """`qs` narrowed to the subtree of `org`, or to the branches `within` (ids) when given."""
    if within is not None:
        return qs.filter(**{f"{field}_id__in": within})
    return qs.filter(**{f"{field}__path__startswith": org.path})


def _full_member_counts(org, within=None):
    from members.models import Member

    return (
        _in_subtree(Member.objects.filter(status=MemberStatus.FULL), org, within, "branch")
        .order_by()  # not Member's default order: it joins the branch
        .values("branch_id")
        .annotate(n=Count("id"))
        .values_list("branch_id", "n")
    )


def _window(window, rule, items, today, *, unit_id=None, unit=""):
    """Status of one window from the (held_on, locked_on, id, …) rows that may fall in it. Called
    once per branch, rule, window and unit — the hot loop of a city-wide computation."""
    start, end = window.start, window.end
    deadline = end + datetime.timedelta(days=rule.grace_days) if rule.grace_days else end
    ids, timely = [], 0
    for item in items:
        if start <= item[0] <= end:
            ids.append(item[2])  # in the order held (the queries sort by date)
            if item[1] <= deadline:
                timely += 1
    need = rule.min_count
    if timely >= need:
        status = MET
    elif today <= deadline:
        status = OPEN
    elif len(ids) >= need:
        status = LATE
    else:
        status = MISSING
    return WindowResult(window, need, len(ids), status, ids, unit_id, unit)


def _locked_meetings(org, spans, within=None):
    """{(branch id, rule code): [(held_on, locked_on, id, party_group_id)]} — one query over the
    subtree for every rule's date span. The rules sharing a span share one condition (the kinds in
    a list): the same rows as a condition per rule, with a third of the lookups to build."""
    by_span = defaultdict(list)
    for code in RULE_KIND:
        if code in spans:
            by_span[tuple(spans[code])].append(code)
    conditions = Q()
    for (start, end), codes in by_span.items():
        kinds = [RULE_KIND[code] for code in codes if code != RuleCode.SECRETARY_LECTURE]
        kind_q = Q(kind__in=kinds) if kinds else Q()
        if RuleCode.THEMED_DAY in codes:
            kind_q |= Q(also_themed_day=True)
        if RuleCode.SECRETARY_LECTURE in codes and MeetingKind.PARTY_LECTURE not in kinds:
            # (Within the span of 党课 the secretary's lectures are among its rows already.)
            kind_q |= Q(kind=MeetingKind.PARTY_LECTURE, lecturer_type=LecturerType.BRANCH_SECRETARY)
        conditions |= kind_q & Q(held_on__gte=start, held_on__lte=end)
    if not conditions:
        return {}
    out = defaultdict(list)
    rows = (
        _in_subtree(Meeting.objects.locked(), org, within, "organization")
        .filter(conditions)
        .values_list(
            "id",
            "organization_id",
            "party_group_id",
            "kind",
            "also_themed_day",
            "lecturer_type",
            "held_on",
            "locked_at",
        )
        .order_by("held_on", "id")
    )
    kind_codes = {kind: code for code, kind in RULE_KIND.items() if code != RuleCode.SECRETARY_LECTURE}
    tz = timezone.get_current_timezone()  # a lock counts on its date in Asia/Shanghai
    for pk, org_id, group_id, kind, themed, lecturer, held_on, locked_at in rows:
        item = (held_on, locked_at.astimezone(tz).date(), pk, group_id)
        code = kind_codes.get(kind)
        if code in spans:
            out[(org_id, code)].append(item)
        if themed and kind != MeetingKind.THEMED_DAY and RuleCode.THEMED_DAY in spans:
            out[(org_id, RuleCode.THEMED_DAY)].append(item)
        secretary = kind == MeetingKind.PARTY_LECTURE and lecturer == LecturerType.BRANCH_SECRETARY
        if secretary and RuleCode.SECRETARY_LECTURE in spans:
            out[(org_id, RuleCode.SECRETARY_LECTURE)].append(item)
    return out


def _talks(org, span, within=None):
    """{branch id: [(held_on, held_on, id, pair_type)]}: a talk is a record, it counts on its date."""
    if span is None:
        return {}
    out = defaultdict(list)
    rows = (
        _in_subtree(
            Talk.objects.filter(held_on__gte=span[0], held_on__lte=span[1]), org, within, "organization"
        )
        .values_list("id", "organization_id", "pair_type", "held_on")
        .order_by("held_on", "id")
    )
    for pk, org_id, pair, held_on in rows:
        out[org_id].append((held_on, held_on, pk, pair))
    return out


def _roll_up(results):
    out = []
    for code in RULE_ORDER:
        counts = dict.fromkeys(STATUS_LABELS, 0)
        required = held = 0
        for branch in results:
            rule = branch.rules[code]
            counts[rule.status] += 1
            required += rule.required
            held += rule.held
        out.append(RollUp(code=code, counts=counts, required=required, held=held))
    return out


def sort_branches(report, key="", descending=False):
    """Branches ordered by `key`: "name" (tree order), "missing" (number of rules missed), or a rule
    code (by that rule's status, worst first when descending)."""
    if key in RuleCode.values:

        def by(b):
            return (SEVERITY[b.rules[key].status], b.path)
    elif key == "missing":

        def by(b):
            return (b.missing, b.path)
    else:

        def by(b):
            return b.path

    return sorted(report.branches, key=by, reverse=descending)
