"""Quorum and vote rules (条例§11, §12): exactly half is not a quorum; exclusions leave the base;
probationary and mobile inflow members attend without a vote; a resolution passes against those
with a vote who should attend, not those present."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from branches.models import CommitteePost, PostRole
from meetings import services
from meetings.models import AttendanceStatus, MeetingKind
from meetings.quorum import Row, compute, more_than_half, resolution_passes
from members.models import MemberStatus, MobileDirection, MobileRecord
from tests.conftest import make_member

from .conftest import TODAY, all_present, mark, record

P, A, L, LATE = (
    AttendanceStatus.PRESENT,
    AttendanceStatus.ABSENT,
    AttendanceStatus.LEAVE,
    AttendanceStatus.LATE,
)


@pytest.mark.parametrize(("base", "needed"), [(1, 1), (2, 2), (3, 2), (4, 3), (10, 6), (11, 6), (0, 1)])
def test_more_than_half(base, needed):
    assert more_than_half(base) == needed


def test_exactly_half_present_is_not_a_quorum():
    rows = [Row(P), Row(P), Row(A), Row(A)]
    result = compute(MeetingKind.GENERAL_MEETING, rows)
    assert (result.voting_expected, result.voting_present, result.is_quorate) == (4, 2, False)
    assert compute(MeetingKind.GENERAL_MEETING, [*rows[:2], Row(LATE), Row(A)]).is_quorate is True


def test_probationary_members_attend_without_a_vote():
    rows = [Row(P), Row(A), Row(A), Row(P, has_vote=False), Row(P, has_vote=False)]
    result = compute(MeetingKind.GENERAL_MEETING, rows)
    assert (result.expected, result.present) == (5, 3)
    assert (result.voting_expected, result.voting_present) == (3, 1)
    assert result.is_quorate is False


def test_quorum_exclusions_leave_the_base():
    rows = [Row(P), Row(P), Row(A), Row(A, quorum_excluded=True)]
    result = compute(MeetingKind.GENERAL_MEETING, rows)
    assert (result.voting_expected, result.voting_present, result.is_quorate) == (3, 2, True)


def test_rows_taken_off_the_list_do_not_count_and_leave_is_not_presence():
    rows = [Row(P), Row(L), Row(A, expected=False)]
    result = compute(MeetingKind.GENERAL_MEETING, rows)
    assert (result.voting_expected, result.voting_present, result.is_quorate) == (2, 1, False)


def test_committee_meeting_counts_every_committee_member():
    rows = [Row(P, has_vote=False), Row(P), Row(A)]
    assert compute(MeetingKind.COMMITTEE_MEETING, rows).is_quorate is True
    assert compute(MeetingKind.COMMITTEE_MEETING, rows[1:]).is_quorate is False  # 1 of 2: half


def test_other_kinds_have_no_quorum_rule():
    assert compute(MeetingKind.PARTY_LECTURE, [Row(A)]).is_quorate is None
    assert compute(MeetingKind.GROUP_MEETING, [Row(A)]).is_quorate is None


def test_empty_list_is_never_a_quorum():
    assert compute(MeetingKind.GENERAL_MEETING, []).is_quorate is False


@pytest.mark.parametrize(
    ("ayes", "base", "passes"), [(3, 5, True), (2, 4, False), (3, 4, True), (0, 0, False)]
)
def test_resolution_passes_when_ayes_exceed_half_of_the_base(ayes, base, passes):
    assert resolution_passes(ayes, base) is passes


# --- From the roster at the meeting date -----------------------------------------------------------


@pytest.fixture
def general(cast, recorder):
    """Branch a: 甲书记, 甲党员, 甲记录人 (full) + a probationary member, an excluded member and a
    mobile member staying with us (流入)."""
    make_member(cast.a, "甲预备", status=MemberStatus.PROBATIONARY)
    excluded = make_member(cast.a, "甲出国")
    excluded.quorum_excluded = True
    excluded.save()
    inflow = make_member(cast.a, "甲流入")
    MobileRecord.objects.create(
        member=inflow, direction=MobileDirection.INFLOW, location="本单位", since=datetime.date(2026, 1, 1)
    )
    make_member(cast.a, "甲申请人", status=MemberStatus.APPLICANT)
    return record(cast, recorder, MeetingKind.GENERAL_MEETING, topic="三季度党员大会")


def test_general_meeting_expects_full_and_probationary_members_with_the_right_votes(cast, general):
    lines = {a.member.name: a for a in general.attendance.select_related("member")}
    assert set(lines) == {"甲书记", "甲党员", "甲记录人", "甲预备", "甲出国", "甲流入"}
    assert not lines["甲预备"].has_vote
    assert not lines["甲流入"].has_vote
    assert lines["甲出国"].quorum_excluded
    assert lines["甲书记"].has_vote and not lines["甲书记"].quorum_excluded
    # Base: 甲书记, 甲党员, 甲记录人 — three with a vote who should attend.
    assert general.voting_expected == 3 and general.expected_count == 5


def test_two_of_three_voting_present_is_a_quorum_and_non_voters_do_not_help(cast, general):
    ids = {a.member.name: a.member_id for a in general.attendance.select_related("member")}
    result = mark(general, cast.secretary_a, {ids["甲书记"]: P, ids["甲预备"]: P, ids["甲流入"]: P})
    assert (result.voting_present, result.is_quorate) == (1, False)
    result = mark(general, cast.secretary_a, {ids["甲书记"]: P, ids["甲党员"]: LATE})
    assert (result.voting_present, result.is_quorate) == (2, True)
    general.refresh_from_db()
    assert general.is_quorate is True and general.present_count == 2


def test_vote_passes_against_those_who_should_attend_not_those_present(cast, general):
    ids = {a.member.name: a.member_id for a in general.attendance.select_related("member")}
    mark(general, cast.secretary_a, {ids["甲书记"]: P, ids["甲党员"]: P})
    resolution = services.resolution_add(
        user=cast.secretary_a, meeting=general, text="同意接收张三为预备党员"
    )
    # 2 ayes of 2 present, base 3: passes (2 > 1.5).
    voted = services.resolution_vote(
        user=cast.secretary_a, resolution=resolution, votes_for=2, votes_against=0, votes_abstain=0
    )
    assert (voted.vote_base, voted.passed) == (3, True)
    # 1 aye, 1 abstain: a majority of those voting but not of the base.
    voted = services.resolution_vote(
        user=cast.secretary_a, resolution=resolution, votes_for=1, votes_against=0, votes_abstain=1
    )
    assert (voted.vote_base, voted.passed) == (3, False)


def test_votes_cannot_exceed_the_voting_members_present(cast, general):
    ids = {a.member.name: a.member_id for a in general.attendance.select_related("member")}
    mark(general, cast.secretary_a, {ids["甲书记"]: P, ids["甲党员"]: P, ids["甲预备"]: P})
    resolution = services.resolution_add(user=cast.secretary_a, meeting=general, text="决议")
    with pytest.raises(ValidationError) as exc:
        services.resolution_vote(
            user=cast.secretary_a, resolution=resolution, votes_for=2, votes_against=1, votes_abstain=0
        )
    assert "votes_for" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.resolution_vote(
            user=cast.secretary_a, resolution=resolution, votes_for=-1, votes_against=0, votes_abstain=0
        )
    assert "votes_for" in exc.value.message_dict


def test_an_inquorate_meeting_cannot_vote(cast, general):
    resolution = services.resolution_add(user=cast.secretary_a, meeting=general, text="决议")
    with pytest.raises(ValidationError) as exc:
        services.resolution_vote(
            user=cast.secretary_a, resolution=resolution, votes_for=0, votes_against=0, votes_abstain=0
        )
    assert "法定人数" in str(exc.value.message_dict["votes_for"])


def test_members_admitted_after_the_date_are_not_expected(cast, recorder):
    late = make_member(cast.a, "甲新党员", status=MemberStatus.PROBATIONARY)
    late.admitted_on = TODAY
    late.save()
    meeting = record(cast, recorder, MeetingKind.GENERAL_MEETING, held_on=TODAY - datetime.timedelta(days=1))
    assert not meeting.attendance.filter(member=late).exists()


def test_full_member_regularised_after_the_date_had_no_vote_then(cast, recorder):
    person = make_member(cast.a, "甲转正")
    person.regularised_on = TODAY
    person.save()
    meeting = record(cast, recorder, MeetingKind.GENERAL_MEETING, held_on=TODAY - datetime.timedelta(days=3))
    assert meeting.attendance.get(member=person).has_vote is False


def test_committee_meeting_expects_the_post_holders_on_the_date(cast, recorder):
    ended = make_member(cast.a, "甲前委员")
    CommitteePost.objects.create(
        organization=cast.a,
        role=PostRole.DISCIPLINE_MEMBER,
        member=ended,
        started_on=datetime.date(2024, 1, 1),
        ended_on=datetime.date(2026, 6, 30),
    )
    meeting = record(cast, recorder)
    assert set(meeting.attendance.values_list("member__name", flat=True)) == {"甲书记", "甲记录人"}
    result = mark(meeting, cast.secretary_a, {cast.sec_a.pk: P})
    assert result.is_quorate is False  # 1 of 2: exactly half
    assert all_present(meeting, cast.secretary_a).is_quorate is True
    earlier = record(cast, recorder, held_on=datetime.date(2026, 6, 1))
    assert earlier.attendance.filter(member=ended).exists()


def test_group_meeting_expects_the_groups_members(cast, recorder):
    meeting = record(cast, recorder, MeetingKind.GROUP_MEETING, party_group=cast.a_group, host=cast.mem_a)
    assert set(meeting.attendance.values_list("member__name", flat=True)) == {"甲书记", "甲党员"}
    assert meeting.is_quorate is None


def test_group_meeting_needs_a_group_of_the_branch(cast, recorder):
    with pytest.raises(ValidationError) as exc:
        record(cast, recorder, MeetingKind.GROUP_MEETING)
    assert "party_group" in exc.value.message_dict


def test_the_secretary_adds_and_removes_people_with_a_reason(cast, general):
    guest = make_member(cast.a, "甲列席")
    with pytest.raises(ValidationError) as exc:
        services.attendance_adjust(user=cast.secretary_a, meeting=general, member=guest, add=True, reason=" ")
    assert "reason" in exc.value.message_dict
    services.attendance_adjust(
        user=cast.secretary_a, meeting=general, member=guest, add=True, reason="新转入"
    )
    general.refresh_from_db()
    assert general.voting_expected == 4
    services.attendance_adjust(
        user=cast.secretary_a, meeting=general, member=cast.mem_a, add=False, reason="长期病假，经批准"
    )
    general.refresh_from_db()
    assert general.voting_expected == 3
    line = general.attendance.get(member=cast.mem_a)
    assert (line.expected, line.adjustment_reason) == (False, "长期病假，经批准")


def test_leave_needs_a_reason_and_unknown_people_are_refused(cast, general):
    with pytest.raises(ValidationError) as exc:
        services.attendance_save(
            user=cast.secretary_a,
            meeting=general,
            rows=[{"member": cast.mem_a.pk, "status": L, "reason": ""}],
        )
    assert "请假须填写原因" in str(exc.value.message_dict["attendance"])
    with pytest.raises(ValidationError):
        services.attendance_save(
            user=cast.secretary_a, meeting=general, rows=[{"member": cast.sec_b.pk, "status": P}]
        )
