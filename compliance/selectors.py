"""Reads for the compliance pages: members with no organisational life, the meetings behind a cell,
and the compliance API's subtree summary and branch order from the dashboards' rollups."""

from django.apps import apps
from django.db.models import Exists, F, IntegerField, Max, OuterRef, Q, Subquery, Value
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from branches.models import BRANCH_KINDS, Organization
from meetings.models import ATTENDED_STATUSES, Attendance, Meeting
from members.development import add_months
from members.models import ACTIVE_STATUSES

from .engine import LATE, MET, MISSING, NOT_APPLICABLE, OPEN, RULE_ORDER, SEVERITY, RollUp

# 党章§9: a member who, without good reason, takes no part in organisational life for six
# consecutive months is regarded as having given up membership (自行脱党) — a ground for review.
NO_ORG_LIFE_MONTHS = 6


def no_org_life_since(today=None, months=NO_ORG_LIFE_MONTHS):
    """The first day of the look-back: the flag means no attended locked meeting on or after it."""
    return add_months(today or timezone.localdate(), -months)


def members_without_org_life(members, *, today=None, months=NO_ORG_LIFE_MONTHS, last_attended=True):
    """Members (full or probationary) of `members` — already scoped (visible_to, a branch, a
    subtree) — who attended (present or late) no locked meeting held in the last `months` months,
    annotated with `last_attended_on` (None: never). Not flagged: someone admitted within the
    look-back (not yet a member for six months), and members of a branch whose records do not reach
    back that far (no locked meeting held before the look-back began: a branch that started
    recording its meetings recently would otherwise flag everyone). Correlated subqueries on the
    (member, meeting) and (organisation, held_on) indexes; no per-member queries. `last_attended`
    False leaves the annotation out (a count does not need it; building it costs the page)."""
    since = no_org_life_since(today, months)
    attended = Attendance.objects.filter(
        member=OuterRef("pk"), status__in=ATTENDED_STATUSES, meeting__locked_at__isnull=False
    )
    recent = attended.filter(meeting__held_on__gte=since)
    recorded = Meeting.objects.filter(
        organization=OuterRef("branch_id"), locked_at__isnull=False, held_on__lt=since
    )
    flagged = (
        members.filter(status__in=ACTIVE_STATUSES)
        .filter(Q(admitted_on__isnull=True) | Q(admitted_on__lte=since))
        .filter(Exists(recorded))
        .filter(~Exists(recent))
    )
    if not last_attended:
        return flagged
    last = attended.order_by().values("member").annotate(last=Max("meeting__held_on")).values("last")
    return flagged.annotate(last_attended_on=Subquery(last))


def meetings_for(ids, user):
    """The meetings behind a compliance cell, as the user may see them."""
    return (
        Meeting.objects.visible_to(user)
        .filter(pk__in=ids)
        .select_related("organization", "party_group")
        .order_by("held_on", "pk")
    )


# --- The compliance API over a committee's subtree: the summary and the order of its branches from
# the dashboards' rollups (one row per organisation and period, kept current by their signals and
# rebuilt nightly), so that a request runs the engine for one page of branches only. Read through
# the app registry: the dashboards app sits above this one (it imports the engine) and documents the
# row's `data`: `branches` (how many) and `rules` {code: [met, late, open, missing, required, held]}.

ROLLUP_SLOTS = {MET: 0, LATE: 1, OPEN: 2, MISSING: 3}


def _rollups():
    return apps.get_model("dashboards", "OrgFigures") if apps.is_installed("dashboards") else None


def subtree_summary(org, period):
    """(the engine's RollUp per rule over the subtree of `org`, the day it was computed) from the
    rollup row of `org` for `period` — one query; None when there is no such row (a period never
    rolled up), and the caller evaluates the subtree instead."""
    OrgFigures = _rollups()
    if OrgFigures is None:
        return None
    row = (
        OrgFigures.objects.filter(organization=org, period=period.code).values("data", "computed_on").first()
    )
    if row is None:
        return None
    data = row["data"]
    rules = []
    for code in RULE_ORDER:
        met, late, open_, missing, required, held = data.get("rules", {}).get(code, [0] * 6)
        counts = {MET: met, OPEN: open_, LATE: late, MISSING: missing}
        counts[NOT_APPLICABLE] = data.get("branches", 0) - sum(counts.values())
        rules.append(RollUp(code=code, counts=counts, required=required, held=held))
    return rules, row["computed_on"]


def branches_in_order(org, period, key="", descending=False):
    """The branches of the subtree of `org` as a queryset in the order of engine.sort_branches:
    tree order ("name"), the number of rules missed ("missing") or a rule's status (a rule code),
    these two read from each branch's rollup row for `period` as of its computation (a branch
    without one counts as nothing missed, n/a)."""
    qs = Organization.objects.filter(path__startswith=org.path, kind__in=BRANCH_KINDS)

    def slot(code, status):
        value = Cast(KT(f"data__rules__{code}__{ROLLUP_SLOTS[status]}"), IntegerField())
        return Coalesce(value, Value(0))

    if key in RULE_ORDER:
        value = sum((SEVERITY[status] * slot(key, status) for status in ROLLUP_SLOTS), Value(0))
    elif key == "missing":
        value = sum((slot(code, MISSING) for code in RULE_ORDER), Value(0))
    else:
        return qs.order_by("-path" if descending else "path")
    figures = _rollups().objects.filter(organization=OuterRef("pk"), period=period.code)
    qs = qs.annotate(sort_value=Coalesce(Subquery(figures.annotate(v=value).values("v")[:1]), Value(0)))
    if descending:
        return qs.order_by(F("sort_value").desc(), F("path").desc())
    return qs.order_by("sort_value", "path")
