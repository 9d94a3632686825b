"""Reads for member pages: the roster with its filters and search, the development schedule, and a
person's timeline."""

import re

from django.db.models import Q
from django.utils import timezone

from .development import ASSESSED_STATUSES
from .models import (
    CURRENT_STATUSES,
    Assessment,
    DevelopmentStep,
    MobileRecord,
    StatusChange,
    Transfer,
    search_text,
)
from .pipeline import STEP_BY_NO

ID_TAIL = re.compile(r"^\d{3}[\dXx]$|^\d{4}$")


def search_q(text):
    """Name contains, pinyin initials start with, or the last four characters of the 身份证号.

    Each branch of the OR has an index on PostgreSQL (a trigram index on `name_search` and on
    `id_masked`, a pattern btree on `name_initials`), so the search is a bitmap OR of index scans
    instead of a scan of every member; the name is matched through `name_search` (see
    `search_text`), which is what "name contains, ignoring case" is."""
    text = (text or "").strip()
    if not text:
        return Q()
    condition = Q(name_search__contains=search_text(text))
    if text.isascii() and text.isalpha():
        condition |= Q(name_initials__startswith=text.lower())
    if ID_TAIL.match(text):
        condition |= Q(id_masked__endswith=text.upper())
    return condition


def within_q(org):
    return Q(branch__path__startswith=org.path)


def roster(qs, *, q="", status="", dues_category="", party_group=None, flag="", within=None):
    if status == "all":
        pass
    elif status:
        qs = qs.filter(status=status)
    else:
        qs = qs.filter(status__in=CURRENT_STATUSES)
    if dues_category:
        qs = qs.filter(dues_category=dues_category)
    if party_group is not None:
        qs = qs.filter(party_group=party_group)
    flags = {
        "mobile": "is_mobile",
        "elderly": "is_elderly_infirm",
        "hardship": "is_hardship",
        "excluded": "quorum_excluded",
    }
    if flag in flags:
        qs = qs.filter(**{flags[flag]: True})
    if within is not None:
        qs = qs.filter(within_q(within))
    return qs.filter(search_q(q)).select_related("branch", "party_group")


def upcoming(qs, *, state="", q="", within=None, today=None):
    """People with a next development step, nearest deadline first (undated last)."""
    today = today or timezone.localdate()
    qs = qs.filter(next_step_no__isnull=False)
    if state == "overdue":
        qs = qs.filter(next_step_due__lt=today)
    elif state == "soon":
        qs = qs.filter(next_step_due__gte=today, next_step_due__lte=today + timezone.timedelta(days=30))
    if within is not None:
        qs = qs.filter(within_q(within))
    qs = qs.filter(search_q(q)).select_related("branch")
    from django.db.models import F

    return qs.order_by(F("next_step_due").asc(nulls_last=True), "branch__path", "name", "pk")


def annotate_schedule(members, today=None):
    """Attach the next step's definition and how it stands to each member (for display)."""
    today = today or timezone.localdate()
    for m in members:
        m.next_step = STEP_BY_NO.get(m.next_step_no)
        m.days_left = (m.next_step_due - today).days if m.next_step_due else None
        m.overdue = m.days_left is not None and m.days_left < 0
        m.days_late = -m.days_left if m.overdue else 0
        # Activists and development targets owe a half-yearly assessment; until the branch meeting
        # their steps have no deadline of their own, so the date shown is the assessment's.
        m.due_is_assessment = m.status in ASSESSED_STATUSES and (m.next_step_no or 0) <= 15
        m.not_yet = bool(m.next_step_earliest and m.next_step_earliest > today)
    return members


# Higher apps add their events to a person's timeline (members never imports them): each source is
# a callable member → iterable of (date, kind, title, detail, obj), registered in its app's ready().
TIMELINE_SOURCES = []


def add_timeline_source(source):
    if source not in TIMELINE_SOURCES:
        TIMELINE_SOURCES.append(source)


def timeline(member):
    """Everything that happened to a person, newest first: (date, kind, title, detail, obj)."""
    events = []
    for source in TIMELINE_SOURCES:
        events.extend(source(member))
    for change in StatusChange.objects.filter(member=member).select_related("changed_by"):
        from .models import MemberStatus

        before = MemberStatus(change.from_status).label if change.from_status else ""
        after = MemberStatus(change.to_status).label
        events.append(
            (change.changed_on, "status", f"{before} → {after}" if before else after, change.reason, change)
        )
    for step in DevelopmentStep.objects.filter(member=member):
        definition = STEP_BY_NO[step.step_no]
        events.append((step.done_on, "step", f"{step.step_no}. {definition.name}", step.note, step))
    for a in Assessment.objects.filter(member=member):
        events.append((a.done_on, "assessment", a.get_kind_display(), a.summary, a))
    for t in Transfer.objects.filter(member=member).select_related("from_branch", "to_branch"):
        where = t.to_branch.name if t.to_branch else t.external_org
        events.append((t.issued_on, "transfer", t.get_direction_display(), where, t))
    for r in MobileRecord.objects.filter(member=member):
        events.append((r.since, "mobile", r.get_direction_display(), r.location, r))
    events.sort(key=lambda e: (e[0], e[1]), reverse=True)
    return events


def upcoming_counts(qs, *, within=None, today=None):
    """How many people are in the pipeline, overdue, and due within 30 days (one query)."""
    from django.db.models import Count

    today = today or timezone.localdate()
    qs = qs.filter(next_step_no__isnull=False)
    if within is not None:
        qs = qs.filter(within_q(within))
    return qs.aggregate(
        total=Count("pk"),
        overdue=Count("pk", filter=Q(next_step_due__lt=today)),
        soon=Count(
            "pk", filter=Q(next_step_due__gte=today, next_step_due__lte=today + timezone.timedelta(days=30))
        ),
    )
