"""The 6-month flag (党章§9): no attendance (present or late) at a locked meeting for six months."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from compliance.selectors import members_without_org_life
from meetings.models import Attendance
from members.models import Member
from tests.conftest import make_member

D = datetime.date
SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def flagged(qs=None):
    return set(members_without_org_life(qs or Member.objects.all()).values_list("name", flat=True))


def attend(meeting, member, status="present"):
    Attendance.objects.create(meeting=meeting, member=member, status=status)


@pytest.fixture(autouse=True)
def _mid_september():
    with time_machine.travel(datetime.datetime(2026, 9, 15, 10, tzinfo=SH), tick=False):
        yield


@pytest.fixture
def records(cast, meeting):
    """The branches have kept records since 2025 (a locked meeting before the look-back)."""
    for branch in (cast.a, cast.b, cast.d):
        meeting(branch, "general_meeting", D(2025, 1, 10))


def test_a_branch_whose_records_start_within_the_look_back_flags_nobody(cast, meeting):
    meeting(cast.a, "themed_day", D(2026, 4, 1))  # the branch began recording in April
    assert flagged(Member.objects.filter(branch=cast.a)) == set()
    meeting(cast.a, "themed_day", D(2026, 3, 1))
    assert flagged(Member.objects.filter(branch=cast.a)) == {"甲书记", "甲党员"}


def test_boundary_is_six_months_to_the_day(cast, meeting):
    on_boundary = meeting(cast.a, "themed_day", D(2026, 3, 15))
    day_before = meeting(cast.a, "themed_day", D(2026, 3, 14))
    attend(on_boundary, cast.sec_a)
    attend(day_before, cast.mem_a)
    assert flagged(Member.objects.filter(branch=cast.a)) == {"甲党员"}
    row = members_without_org_life(Member.objects.filter(branch=cast.a)).get()
    assert row.last_attended_on == D(2026, 3, 14)
    with time_machine.travel(datetime.datetime(2026, 9, 14, 10, tzinfo=SH), tick=False):
        assert flagged(Member.objects.filter(branch=cast.a)) == set()


def test_only_attendance_at_locked_meetings_counts(cast, meeting, records):
    attend(meeting(cast.a, "themed_day", D(2026, 8, 1), locked_on=None), cast.sec_a)
    attend(meeting(cast.a, "themed_day", D(2026, 8, 2)), cast.mem_a, "late")
    assert flagged(Member.objects.filter(branch=cast.a)) == {"甲书记"}


def test_leave_and_absence_do_not_count(cast, meeting, records):
    m = meeting(cast.a, "general_meeting", D(2026, 8, 1))
    attend(m, cast.sec_a, "leave")
    attend(m, cast.mem_a, "absent")
    assert flagged(Member.objects.filter(branch=cast.a)) == {"甲书记", "甲党员"}


def test_recently_admitted_and_non_members_are_not_flagged(cast, records):
    make_member(cast.a, "新预备党员", status="probationary")
    Member.objects.filter(name="新预备党员").update(admitted_on=D(2026, 5, 1))
    make_member(cast.a, "积极分子", status="activist")
    make_member(cast.a, "老预备党员", status="probationary")
    Member.objects.filter(name="老预备党员").update(admitted_on=D(2026, 3, 1))
    assert flagged(Member.objects.filter(branch=cast.a)) == {"甲书记", "甲党员", "老预备党员"}


def test_for_a_committee_subtree(cast, records):
    subtree = Member.objects.filter(branch__path__startswith=cast.c1.path)
    assert flagged(subtree) == {"甲书记", "甲党员", "乙书记"}
    assert flagged(Member.objects.filter(branch__path__startswith=cast.c2.path)) == {"丁党员"}


def test_fixed_queries_for_any_number_of_members(cast, meeting, records, django_assert_num_queries):
    for i in range(30):
        attend(meeting(cast.b, "themed_day", D(2026, 1, 1 + i % 28)), make_member(cast.b, f"乙{i}"))
    with django_assert_num_queries(1):
        assert len(list(members_without_org_life(Member.objects.filter(branch=cast.b)))) == 31
