"""Per-organisation per-period rollups of compliance.metrics (the figures the quarterly report uses),
so a dashboard costs the same over a branch and over a city.

- `rebuild(periods, root=None)` — set-based: for each period one `branch_metrics` over the whole
  tree (a fixed number of queries), the sums up every ancestor in Python, rows replaced in bulk.
  Used by `manage.py rebuild_dashboards`, the scale data, and the nightly task (statuses move with
  the calendar: an open window becomes missing when it ends, arrears grow with the month).
- `refresh(branch_ids, days)` — after a change in a few branches (a meeting locked or unlocked, a
  payment recorded or reversed, an item moving, a member's status): their rows for the month,
  quarter and year of each day are recomputed and the difference is added to every ancestor's row,
  under a row lock so two refreshes never lose each other's change.
- `structure(root=None)` — the `now` row: membership structure, terms ending and vacancies.

A row's `data` holds sums (so an ancestor's row is its branches' rows added up): the counters of
INT_FIELDS, the money of DEC_FIELDS (as strings), `rules` {code: [met, late, open, missing,
required, held]} and, for a branch, its `score`, `rag` and `reasons` from compliance.metrics.
"""

import datetime
from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from branches.models import BRANCH_KINDS, Organization, OrgKind
from compliance import engine
from compliance.metrics import AMBER, GREEN, RED, BranchMetrics, RuleFigures, branch_metrics
from compliance.periods import MONTH, QUARTER, YEAR, containing

from .models import OrgFigures

INT_FIELDS = (
    "branches",
    "red",
    "amber",
    "green",
    "scored",
    "att_expected",
    "att_present",
    "dues_owing",
    "dues_paid_up",
    "arrears_b12",
    "arrears_b35",
    "arrears_b6",
    "arrears_lapse",
    "items_open",
    "items_overdue",
    "items_closed",
    "dev_pipeline",
    "dev_overdue",
)
DEC_FIELDS = ("dues_due", "dues_paid", "arrears_owed", "collected", "remitted", "confirmed", "score_sum")
STATUS_SLOTS = {engine.MET: 0, engine.LATE: 1, engine.OPEN: 2, engine.MISSING: 3}
SLOT_STATUSES = {slot: status for status, slot in STATUS_SLOTS.items()}
NOW = "now"
BATCH = 2000


def empty():
    data = dict.fromkeys(INT_FIELDS, 0)
    data.update(dict.fromkeys(DEC_FIELDS, "0.00"))
    data["rules"] = {}
    return data


def branch_data(row):
    """A branch's rollup data from its compliance.metrics row."""
    data = empty()
    data.update(
        branches=1,
        red=int(row.rag == RED),
        amber=int(row.rag == AMBER),
        green=int(row.rag == GREEN),
        scored=int(row.score is not None),
    )
    for name in INT_FIELDS[5:]:
        # int(): PostgreSQL's SUM over a bigint is numeric (a Decimal), which JSON cannot hold.
        data[name] = int(getattr(row, name) or 0)
    for name in DEC_FIELDS[:-1]:
        data[name] = str(getattr(row, name))
    data["score_sum"] = str(row.score if row.score is not None else Decimal("0.0"))
    for code, rule in row.rules.items():
        counts = [0, 0, 0, 0, rule.required, rule.held]
        counts[STATUS_SLOTS[rule.status]] = 1
        data["rules"][code] = counts
    data["score"] = str(row.score) if row.score is not None else None
    data["rag"] = row.rag
    data["reasons"] = [[kind, code, str(n)] for kind, code, n in row.reasons]
    return data


def branch_row(org, data):
    """The compliance.metrics row a branch's rollup data was made from (`branch_data` reversed; the
    rank, which needs the other branches, is left 0)."""
    row = BranchMetrics(id=org.pk, name=org.name, path=org.path)
    for name in INT_FIELDS[5:]:
        setattr(row, name, data.get(name, 0))
    for name in DEC_FIELDS[:-1]:
        setattr(row, name, Decimal(data.get(name, "0")))
    for code, counts in data.get("rules", {}).items():
        status = next(SLOT_STATUSES[slot] for slot in range(4) if counts[slot])
        row.rules[code] = RuleFigures(status, counts[4], counts[5])
    row.score = Decimal(data["score"]) if data.get("score") is not None else None
    row.rag = data.get("rag", GREEN)
    row.reasons = [
        (kind, code, Decimal(n) if kind == "score" else int(n)) for kind, code, n in data.get("reasons", [])
    ]
    return row


def add(total, data, sign=1):
    """total += sign × data (the summable parts), in place."""
    for name in INT_FIELDS:
        total[name] = total.get(name, 0) + sign * data.get(name, 0)
    for name in DEC_FIELDS:
        total[name] = str(Decimal(total.get(name, "0")) + sign * Decimal(data.get(name, "0")))
    rules = total.setdefault("rules", {})
    for code, counts in data.get("rules", {}).items():
        mine = rules.setdefault(code, [0] * 6)
        rules[code] = [a + sign * b for a, b in zip(mine, counts, strict=True)]
    for code in [c for c, counts in rules.items() if not any(counts)]:
        del rules[code]
    for name, value in data.get("structure", {}).items():
        bucket = total.setdefault("structure", {})
        bucket[name] = bucket.get(name, 0) + sign * value
    return total


def periods_of(day):
    """The month, quarter and year containing `day`."""
    return [containing(MONTH, day), containing(QUARTER, day), containing(YEAR, day)]


def current_periods(today):
    """What the nightly run rebuilds: the periods whose figures move with the calendar (a window
    ends, arrears grow a month, an item falls overdue) and that committees read — the month,
    quarter and year of today and of the previous month, and the quarter just ended with its year
    (the one the quarterly report covers and a committee reviews through the next quarter; without
    it every dashboard of that quarter was computed live from the day after a rebuild)."""
    previous = containing(MONTH, today).start - datetime.timedelta(days=1)
    ended = containing(QUARTER, today).start - datetime.timedelta(days=1)
    periods = [*periods_of(previous), *periods_of(today), containing(QUARTER, ended), containing(YEAR, ended)]
    return list({p.code: p for p in periods}.values())


def periods_between(first, last):
    """Every month, quarter and year overlapping [first, last]."""
    out, seen = [], set()
    day = first.replace(day=1)
    while day <= last:
        for p in periods_of(day):
            if p.code not in seen:
                seen.add(p.code)
                out.append(p)
        day = containing(MONTH, day).end + datetime.timedelta(days=1)
    return out


def _tree(root):
    """[(id, path, kind)] of the organisations a rollup row is kept for (party groups have none)."""
    qs = Organization.objects.exclude(kind=OrgKind.PARTY_GROUP)
    if root is not None:
        qs = qs.filter(path__startswith=root.path)
    return list(qs.order_by("path").values_list("id", "path", "kind"))


def _ancestor_paths(path, top):
    step = Organization.steplen
    return [path[:n] for n in range(len(top), len(path), step)]


def _replace(period_code, top, tree, by_path, today):
    OrgFigures.objects.filter(period=period_code, organization__path__startswith=top.path).delete()
    rows = [
        OrgFigures(
            organization_id=pk, period=period_code, data=by_path.get(path) or empty(), computed_on=today
        )
        for pk, path, _kind in tree
    ]
    OrgFigures.objects.bulk_create(rows, batch_size=BATCH)


def rebuild(periods, *, root=None, today=None):
    """Rows for `periods` for every organisation under `root` (every tree when None): one
    compliance.metrics computation per root and period. Returns the number of rows written."""
    today = today or timezone.localdate()
    roots = [root] if root is not None else list(Organization.objects.filter(depth=1))
    written = 0
    for top in roots:
        tree = _tree(top)
        for period in periods:
            metrics = branch_metrics(top, period, today=today)
            by_path = defaultdict(empty)
            for row in metrics.branches:
                data = branch_data(row)
                by_path[row.path] = data
                for path in _ancestor_paths(row.path, top.path):
                    add(by_path[path], data)
            with transaction.atomic():
                _replace(period.code, top, tree, by_path, today)
            written += len(tree)
        structure(top, today=today, tree=tree)
        written += len(tree)
    return written


def _common_ancestor(branches):
    step = Organization.steplen
    prefix = branches[0].path
    for b in branches[1:]:
        while not b.path.startswith(prefix):
            prefix = prefix[:-step]
    return prefix


def refresh(branch_ids, days, *, today=None):
    """Recompute the rows of these branches for the month, quarter and year of each day and add the
    difference to their ancestors' rows: per period one compliance.metrics run over the branches'
    nearest common ancestor. Periods whose rollup was never built are left to `rebuild` (an
    ancestor row without the others' sums would be wrong)."""
    today = today or timezone.localdate()
    branches = list(Organization.objects.filter(pk__in=set(branch_ids), kind__in=BRANCH_KINDS))
    if not branches:
        return
    wanted = {p.code: p for day in days for p in periods_of(day)}
    built = set(
        OrgFigures.objects.filter(
            organization_id__in=[b.pk for b in branches], period__in=wanted
        ).values_list("period", flat=True)
    )
    prefix = _common_ancestor(branches)
    anchor = branches[0] if len(branches) == 1 else Organization.objects.get(path=prefix)
    paths = {p for b in branches for p in b.scope_paths()}
    for code in sorted(built):
        metrics = branch_metrics(anchor, wanted[code], today=today)
        fresh = {row.id: branch_data(row) for row in metrics.branches if row.id in {b.pk for b in branches}}
        with transaction.atomic():
            rows = {
                r.organization.path: r
                for r in OrgFigures.objects.select_for_update()
                .filter(period=code, organization__path__in=paths)
                .select_related("organization")
                .order_by("organization__path")
            }
            changed = {}
            for branch in branches:
                mine = rows.get(branch.path)
                if mine is None or branch.pk not in fresh:
                    continue
                old, new = mine.data, fresh[branch.pk]
                mine.data, mine.computed_on = new, today
                changed[branch.path] = mine
                for path in branch.scope_paths()[:-1]:
                    ancestor = rows.get(path)
                    if ancestor is not None:
                        add(ancestor.data, old, -1)
                        add(ancestor.data, new)
                        ancestor.computed_on = today
                        changed[path] = ancestor
            OrgFigures.objects.bulk_update(list(changed.values()), ["data", "computed_on"])


# --- Membership structure, terms and vacancies (the `now` row) ---------------------------------------

AGE_BANDS = (("age_u35", 0, 34), ("age_35_45", 35, 45), ("age_46_60", 46, 60), ("age_o60", 61, None))
TERM_SOON_DAYS = 183  # the superior's reminder about 6 months before expiry (中组部 practice)


def _years_before(day, years):
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def structure_counts(member_qs, today):
    """Conditional counts for the membership structure (for `.values(group).annotate(**…)`)."""
    from django.db.models import Count, Q

    from members.models import (
        ACTIVE_STATUSES,
        PIPELINE_STATUSES,
        DuesCategory,
        Education,
        Gender,
        MemberStatus,
    )

    active = Q(status__in=ACTIVE_STATUSES)
    counts = {
        "members": Count("pk", filter=active),
        "full": Count("pk", filter=Q(status=MemberStatus.FULL)),
        "probationary": Count("pk", filter=Q(status=MemberStatus.PROBATIONARY)),
        "mobile": Count("pk", filter=active & Q(is_mobile=True)),
    }
    for status in PIPELINE_STATUSES:
        counts[f"status_{status}"] = Count("pk", filter=Q(status=status))
    for value in Gender.values:
        counts[f"gender_{value}"] = Count("pk", filter=active & Q(gender=value))
    for value in Education.values:
        counts[f"edu_{value}"] = Count("pk", filter=active & Q(education=value))
    counts["edu_unknown"] = Count("pk", filter=active & Q(education=""))
    for value in DuesCategory.values:
        counts[f"cat_{value}"] = Count("pk", filter=active & Q(dues_category=value))
    for name, low, high in AGE_BANDS:
        # born after the day `high + 1` years ago and on or before the day `low` years ago
        q = active & Q(birth_date__lte=_years_before(today, low))
        if high is not None:
            q &= Q(birth_date__gt=_years_before(today, high + 1))
        counts[name] = Count("pk", filter=q)
    counts["age_unknown"] = Count("pk", filter=active & Q(birth_date__isnull=True))
    return counts


def structure(root, *, today=None, tree=None):
    """The `now` rows of `root`'s tree: three queries (members, terms, secretaries)."""
    from branches.models import CommitteePost, PostRole
    from members.models import Member

    today = today or timezone.localdate()
    tree = tree if tree is not None else _tree(root)
    top = root.path
    members = Member.objects.filter(branch__path__startswith=top)
    per_branch = {
        r.pop("branch_id"): r
        for r in members.order_by().values("branch_id").annotate(**structure_counts(members, today))
    }
    secretaries = set(
        CommitteePost.objects.current(today)
        .filter(role=PostRole.SECRETARY, organization__path__startswith=top)
        .values_list("organization_id", flat=True)
    )
    terms = dict(
        Organization.objects.filter(path__startswith=top, term_end__isnull=False).values_list(
            "id", "term_end"
        )
    )
    soon = today + datetime.timedelta(days=TERM_SOON_DAYS)
    by_path = defaultdict(empty)
    for pk, path, kind in tree:
        own = dict(per_branch.get(pk, {}))
        end = terms.get(pk)
        own["term_overdue"] = int(end is not None and end < today)
        own["term_soon"] = int(end is not None and today <= end <= soon)
        own["vacant_secretary"] = int(kind in BRANCH_KINDS and pk not in secretaries)
        data = {"structure": own}
        add(by_path[path], data)
        for ancestor in _ancestor_paths(path, top):
            add(by_path[ancestor], data)
    with transaction.atomic():
        _replace(NOW, root, tree, by_path, today)


def _own_structure(branch, today):
    from branches.models import CommitteePost, PostRole
    from members.models import Member

    members = Member.objects.filter(branch=branch)
    own = members.order_by().aggregate(**structure_counts(members, today))
    end = branch.term_end
    own["term_overdue"] = int(end is not None and end < today)
    own["term_soon"] = int(
        end is not None and today <= end <= today + datetime.timedelta(days=TERM_SOON_DAYS)
    )
    has_secretary = CommitteePost.objects.current(today).filter(organization=branch, role=PostRole.SECRETARY)
    own["vacant_secretary"] = int(not has_secretary.exists())
    return own


def refresh_structure(branch_ids, *, today=None):
    """The `now` rows of these branches recomputed, the difference added to their ancestors'."""
    today = today or timezone.localdate()
    for branch in Organization.objects.filter(pk__in=set(branch_ids), kind__in=BRANCH_KINDS):
        new = {"structure": _own_structure(branch, today)}
        with transaction.atomic():
            rows = {
                r.organization_id: r
                for r in OrgFigures.objects.select_for_update().filter(
                    period=NOW, organization__path__in=branch.scope_paths()
                )
            }
            mine = rows.pop(branch.pk, None)
            if mine is None:
                continue
            old = {"structure": mine.data.get("structure", {})}
            mine.data = add(empty(), new)
            for ancestor in rows.values():
                add(ancestor.data, old, -1)
                add(ancestor.data, new)
            OrgFigures.objects.bulk_update([mine, *rows.values()], ["data"])
