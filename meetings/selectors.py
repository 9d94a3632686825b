"""Reads for meetings: who is expected at a meeting (from the roster at the meeting date), the list
filters, the month calendar, the review queue, a person's meetings and open action items."""

import calendar
import datetime

from django.db.models import Count, Q
from django.utils import timezone

from branches.models import CommitteePost, Organization, PostRole
from members.models import ACTIVE_STATUSES, Member, MemberStatus, MobileDirection, MobileRecord

from .models import ActionItem, Attendance, Meeting, MeetingKind, MinutesState


def _voting_on(member, on):
    """Full members vote; a probationary member (or one regularised only after the date) does not."""
    if member.status != MemberStatus.FULL:
        return False
    return member.regularised_on is None or member.regularised_on <= on


def expected_attendees(meeting, on=None):
    """Who should attend `meeting` on its date, as dicts of Attendance fields (unsaved):

    - 支部党员大会: the branch's full and probationary members (probationary: no vote; an approved
      `Member.quorum_excluded` is removed from the base);
    - 党小组会: the party group's members;
    - 支委会: the branch's committee members holding a post on that date;
    - other kinds: every active member of the branch.
    Mobile members staying with us (流入, an open record on the date) attend without a vote
    (流动党员活动证 rules). Members admitted after the date are not expected. Two queries."""
    on = on or meeting.held_on or meeting.planned_on or timezone.localdate()
    if meeting.kind == MeetingKind.COMMITTEE_MEETING:
        member_ids = (
            CommitteePost.objects.current(on=on)
            .filter(organization_id=meeting.organization_id)
            .exclude(role=PostRole.GROUP_LEADER)
            .values("member_id")
        )
        people = Member.objects.filter(pk__in=member_ids)
    elif meeting.kind == MeetingKind.GROUP_MEETING:
        people = Member.objects.filter(party_group_id=meeting.party_group_id, status__in=ACTIVE_STATUSES)
    else:
        people = Member.objects.filter(branch_id=meeting.organization_id, status__in=ACTIVE_STATUSES)
    people = list(people.exclude(admitted_on__gt=on).order_by("name", "pk"))
    inflow = set(
        MobileRecord.objects.filter(
            member__in=[p.pk for p in people], direction=MobileDirection.INFLOW, since__lte=on
        )
        .filter(Q(until__isnull=True) | Q(until__gte=on))
        .values_list("member_id", flat=True)
    )
    committee = meeting.kind == MeetingKind.COMMITTEE_MEETING
    return [
        {
            "member": p,
            "expected": True,
            "has_vote": True if committee else (_voting_on(p, on) and p.pk not in inflow),
            "quorum_excluded": False if committee else p.quorum_excluded,
        }
        for p in people
    ]


def meeting_list(
    qs, *, kind="", status="", minutes_state="", date_from=None, date_to=None, q="", within=None
):
    """The meeting list's filters; a meeting's day is when it was held, else when it is planned."""
    if within is not None:
        qs = qs.filter(organization__path__startswith=within.path)
    if kind:
        qs = qs.filter(
            Q(kind=kind) | Q(also_themed_day=True) if kind == MeetingKind.THEMED_DAY else Q(kind=kind)
        )
    if status:
        qs = qs.filter(status=status)
    if minutes_state:
        qs = qs.filter(minutes_state=minutes_state)
    if date_from:
        qs = qs.filter(Q(held_on__gte=date_from) | Q(held_on__isnull=True, planned_on__gte=date_from))
    if date_to:
        qs = qs.filter(Q(held_on__lte=date_to) | Q(held_on__isnull=True, planned_on__lte=date_to))
    if q:
        qs = qs.filter(Q(topic__icontains=q) | Q(place__icontains=q) | Q(organization__name__icontains=q))
    return qs


def with_list_facts(qs):
    return qs.select_related("organization", "party_group", "host", "recorder").annotate(
        attachment_count=Count("attachments", distinct=True)
    )


def month_bounds(year, month):
    last = calendar.monthrange(year, month)[1]
    return datetime.date(year, month, 1), datetime.date(year, month, last)


def calendar_weeks(qs, year, month):
    """The month as weeks (Monday first) of (day, [meetings]); a meeting sits on the day it was
    held, or the day it is planned for. One query."""
    start, end = month_bounds(year, month)
    meetings = (
        qs.filter(Q(held_on__range=(start, end)) | Q(held_on__isnull=True, planned_on__range=(start, end)))
        .select_related("organization", "party_group")
        .order_by("starts_at", "pk")
    )
    by_day = {}
    for m in meetings:
        by_day.setdefault(m.held_on or m.planned_on, []).append(m)
    weeks = []
    for week in calendar.Calendar(firstweekday=0).monthdatescalendar(year, month):
        weeks.append([(day, by_day.get(day, []), day.month == month) for day in week])
    return weeks


def review_queue(user):
    """Minutes submitted to the user's committee: submitted meetings in the subtrees they
    supervise, oldest submission first."""
    from branches.scoping import scope_for

    scope = scope_for(user)
    qs = Meeting.objects.filter(minutes_state=MinutesState.SUBMITTED)
    if not scope.is_admin:
        if not scope.staff_paths:
            return qs.none()
        qs = qs.filter(scope.staff_q("organization__")).exclude(organization__path__in=scope.staff_paths)
    return qs.order_by("submitted_at", "pk")


def open_action_items(user):
    """我的待办: open action items owned by the user's member record."""
    return (
        ActionItem.objects.filter(owner__user=user, done_at__isnull=True)
        .select_related("meeting__organization", "owner")
        .order_by("due_on", "pk")
    )


def meetings_of(member, limit=50):
    """A person's meetings with their attendance, newest first (for the member timeline)."""
    return (
        Attendance.objects.filter(member=member, meeting__status="held")
        .select_related("meeting")
        .order_by("-meeting__held_on", "-pk")[:limit]
    )


def visible_branches_for_meetings(user):
    """Organisations whose meetings the user may plan or record (branches and committees)."""
    from branches.models import OrgKind
    from branches.scoping import scope_for

    return Organization.objects.filter(scope_for(user).editable_q()).exclude(kind=OrgKind.PARTY_GROUP)
