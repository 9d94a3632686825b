import datetime

import pytest
import time_machine

from branches.models import CommitteePost, PostRole
from meetings import services
from meetings.models import AttendanceStatus, MeetingKind
from tests.conftest import make_member

TODAY = datetime.date(2026, 9, 15)


@pytest.fixture(autouse=True)
def _frozen_day():
    """Meeting dates in these tests sit in September 2026 (Asia/Shanghai)."""
    with time_machine.travel(datetime.datetime(2026, 9, 15, 10, 0, tzinfo=datetime.UTC), tick=False):
        yield


@pytest.fixture
def recorder(cast, django_user_model):
    """An organisation member (组织委员) of branch a with a login, who records the meetings."""
    user = django_user_model.objects.create_user(username="recorder_a", password="x", name="recorder_a")
    person = make_member(cast.a, "甲记录人", user=user)
    CommitteePost.objects.create(
        organization=cast.a,
        role=PostRole.PROPAGANDA_MEMBER,
        member=person,
        started_on=datetime.date(2024, 1, 1),
    )
    return person


@pytest.fixture
def planned(cast):
    """A 集中学习 of branch a, planned for 20 September and not yet held."""
    return services.meeting_plan(
        user=cast.secretary_a,
        organization=cast.a,
        kind=MeetingKind.STUDY,
        topic="集中学习",
        planned_on=datetime.date(2026, 9, 20),
    )


def record(cast, recorder, kind=MeetingKind.COMMITTEE_MEETING, *, held_on=TODAY, user=None, **extra):
    fields = {
        "topic": "九月支委会",
        "held_on": held_on,
        "host": cast.sec_a,
        "recorder": recorder,
        "minutes": "会议讨论了……",
        **extra,
    }
    return services.meeting_record(user=user or cast.secretary_a, organization=cast.a, kind=kind, **fields)


def mark(meeting, user, statuses):
    """statuses: {member: status}; everyone else absent."""
    rows = [
        {
            "member": a.member_id,
            "status": statuses.get(a.member_id, AttendanceStatus.ABSENT),
            "reason": "出差",
        }
        for a in meeting.attendance.filter(expected=True)
    ]
    return services.attendance_save(user=user, meeting=meeting, rows=rows)


def all_present(meeting, user):
    return mark(meeting, user, {a.member_id: AttendanceStatus.PRESENT for a in meeting.attendance.all()})
