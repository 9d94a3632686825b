"""The minutes sign-off chain: recorder → secretary (host for a 党小组会) → locked → submitted →
accepted, or returned (unlocks, clears signatures); amendments after locking; who may do each."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AuditEntry
from meetings import services
from meetings.models import Amendment, AttendanceStatus, Meeting, MeetingKind, MinutesState
from tests.conftest import make_member

from .conftest import all_present, mark, record


@pytest.fixture
def held(cast, recorder):
    meeting = record(cast, recorder)
    all_present(meeting, cast.secretary_a)
    meeting.refresh_from_db()
    return meeting


def sign_both(cast, recorder, meeting):
    services.meeting_sign(user=recorder.user, meeting=meeting, role="recorder")
    return services.meeting_sign(user=cast.secretary_a, meeting=meeting, role="secretary")


def test_recorder_then_secretary_sign_and_the_minutes_lock(cast, recorder, held):
    assert held.locked_at is None
    services.meeting_sign(user=recorder.user, meeting=held, role="recorder")
    held.refresh_from_db()
    assert held.minutes_state == MinutesState.RECORDER_SIGNED and held.recorder_signed_by == recorder.user
    assert held.locked_at is None
    services.meeting_sign(user=cast.secretary_a, meeting=held, role="secretary")
    held.refresh_from_db()
    assert held.minutes_state == MinutesState.LOCKED
    assert held.locked_at is not None and held.secretary_signed_by == cast.secretary_a
    assert Meeting.objects.locked().filter(pk=held.pk).exists()
    codes = set(AuditEntry.objects.filter(object_id=str(held.pk)).values_list("action", flat=True))
    assert {"meetings.minutes.signed", "meetings.minutes.locked", "meetings.meeting.recorded"} <= codes


def test_secretary_cannot_sign_before_the_recorder(cast, held):
    with pytest.raises(ValidationError) as exc:
        services.meeting_sign(user=cast.secretary_a, meeting=held, role="secretary")
    assert "minutes_state" in exc.value.message_dict


@pytest.mark.parametrize("who", ["secretary_a", "member_a", "committee", "secretary_b", "admin"])
def test_only_the_recorders_user_signs_as_recorder(cast, held, who):
    with pytest.raises(PermissionDenied):
        services.meeting_sign(user=getattr(cast, who), meeting=held, role="recorder")


@pytest.mark.parametrize("who", ["member_a", "committee", "secretary_b"])
def test_only_the_secretary_signs_as_secretary(cast, recorder, held, who):
    services.meeting_sign(user=recorder.user, meeting=held, role="recorder")
    with pytest.raises(PermissionDenied):
        services.meeting_sign(user=getattr(cast, who), meeting=held, role="secretary")


def test_an_officer_signs_for_a_recorder_without_a_login_but_not_twice(cast, recorder):
    clerk = make_member(cast.a, "甲无账号记录人")
    meeting = record(cast, clerk)
    all_present(meeting, cast.secretary_a)
    services.meeting_sign(user=cast.secretary_a, meeting=meeting, role="recorder")
    entry = AuditEntry.objects.filter(action="meetings.minutes.signed", object_id=str(meeting.pk)).get()
    assert entry.data["on_behalf"] is True
    with pytest.raises(ValidationError) as exc:
        services.meeting_sign(user=cast.secretary_a, meeting=meeting, role="secretary")
    assert "两人" in str(exc.value.message_dict["minutes_state"])


def test_the_host_signs_a_party_group_meeting(cast, recorder):
    meeting = record(cast, recorder, MeetingKind.GROUP_MEETING, party_group=cast.a_group, host=cast.mem_a)
    all_present(meeting, cast.secretary_a)
    services.meeting_sign(user=recorder.user, meeting=meeting, role="recorder")
    with pytest.raises(PermissionDenied):
        services.meeting_sign(user=cast.secretary_a, meeting=meeting, role="secretary")
    services.meeting_sign(user=cast.member_a, meeting=meeting, role="secretary")
    meeting.refresh_from_db()
    assert meeting.minutes_state == MinutesState.LOCKED


def test_inquorate_minutes_are_recorded_but_cannot_be_signed(cast, recorder):
    meeting = record(cast, recorder)
    mark(meeting, cast.secretary_a, {cast.sec_a.pk: AttendanceStatus.PRESENT})
    meeting.refresh_from_db()
    assert meeting.status == "held" and meeting.is_quorate is False
    with pytest.raises(ValidationError) as exc:
        services.meeting_sign(user=recorder.user, meeting=meeting, role="recorder")
    assert "法定人数" in str(exc.value.message_dict["attendance"])


def test_empty_minutes_cannot_be_signed(cast, recorder):
    meeting = record(cast, recorder, minutes="")
    all_present(meeting, cast.secretary_a)
    with pytest.raises(ValidationError) as exc:
        services.meeting_sign(user=recorder.user, meeting=meeting, role="recorder")
    assert "minutes" in exc.value.message_dict


def test_locked_minutes_refuse_edits_attendance_and_votes(cast, recorder, held):
    sign_both(cast, recorder, held)
    with pytest.raises(ValidationError) as exc:
        services.meeting_record(user=cast.secretary_a, meeting=held, minutes="改写")
    assert "更正" in str(exc.value.message_dict["minutes"])
    with pytest.raises(ValidationError):
        all_present(held, cast.secretary_a)
    with pytest.raises(ValidationError):
        services.resolution_add(user=cast.secretary_a, meeting=held, text="追加")


def test_recorder_signed_minutes_are_frozen_until_withdrawn(cast, recorder, held):
    services.meeting_sign(user=recorder.user, meeting=held, role="recorder")
    with pytest.raises(ValidationError):
        services.meeting_record(user=cast.secretary_a, meeting=held, minutes="改写")
    services.meeting_unsign(user=recorder.user, meeting=held)
    services.meeting_record(user=cast.secretary_a, meeting=held, minutes="改写")
    held.refresh_from_db()
    assert (held.minutes_state, held.minutes) == (MinutesState.DRAFT, "改写")


def test_submit_then_accept(cast, recorder, held):
    sign_both(cast, recorder, held)
    with pytest.raises(PermissionDenied):
        services.minutes_submit(user=cast.member_a, meeting=held)
    services.minutes_submit(user=cast.secretary_a, meeting=held)
    held.refresh_from_db()
    assert held.minutes_state == MinutesState.SUBMITTED and held.submitted_by == cast.secretary_a
    for who in (cast.secretary_a, cast.other_committee, cast.member_a):
        with pytest.raises(PermissionDenied):
            services.minutes_review(user=who, meeting=held, accept=True)
    services.minutes_review(user=cast.committee, meeting=held, accept=True, comment="规范")
    held.refresh_from_db()
    assert held.minutes_state == MinutesState.ACCEPTED and held.locked_at is not None
    assert held.reviewed_by == cast.committee


def test_unlocked_minutes_cannot_be_submitted(cast, held):
    with pytest.raises(ValidationError):
        services.minutes_submit(user=cast.secretary_a, meeting=held)


def test_return_needs_a_comment_and_unlocks_for_correction(cast, recorder, held):
    sign_both(cast, recorder, held)
    services.minutes_submit(user=cast.secretary_a, meeting=held)
    with pytest.raises(ValidationError) as exc:
        services.minutes_review(user=cast.committee, meeting=held, accept=False, comment="")
    assert "comment" in exc.value.message_dict
    services.minutes_review(user=cast.committee, meeting=held, accept=False, comment="议程不完整")
    held.refresh_from_db()
    assert held.minutes_state == MinutesState.RETURNED
    assert held.locked_at is None and held.recorder_signed_at is None and held.secretary_signed_at is None
    assert held.review_comment == "议程不完整"
    assert not Meeting.objects.locked().filter(pk=held.pk).exists()
    # Corrected, signed again by both, locked again.
    services.meeting_record(user=cast.secretary_a, meeting=held, agenda="一、二、三")
    sign_both(cast, recorder, held)
    held.refresh_from_db()
    assert held.minutes_state == MinutesState.LOCKED and held.locked_at is not None


def test_amendments_keep_the_original_and_every_change(cast, recorder, held):
    with pytest.raises(ValidationError):
        services.minutes_amend(
            user=cast.secretary_a, meeting=held, field="minutes", new_value="x", reason="y"
        )
    sign_both(cast, recorder, held)
    with pytest.raises(ValidationError) as exc:
        services.minutes_amend(
            user=cast.secretary_a, meeting=held, field="minutes", new_value="新", reason=""
        )
    assert "reason" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.minutes_amend(
            user=cast.secretary_a, meeting=held, field="held_on", new_value="x", reason="y"
        )
    assert "field" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        services.minutes_amend(
            user=cast.member_a, meeting=held, field="minutes", new_value="新", reason="错字"
        )
    services.minutes_amend(
        user=cast.secretary_a, meeting=held, field="minutes", new_value="第一次更正", reason="错字"
    )
    services.minutes_amend(
        user=cast.secretary_a, meeting=held, field="minutes", new_value="第二次更正", reason="补漏"
    )
    held.refresh_from_db()
    assert held.minutes == "第二次更正" and held.minutes_state == MinutesState.LOCKED
    history = list(Amendment.objects.filter(meeting=held).values_list("old_value", "new_value", "reason"))
    assert history == [("会议讨论了……", "第一次更正", "错字"), ("第一次更正", "第二次更正", "补漏")]


def test_sibling_secretary_cannot_touch_the_meeting(cast, held):
    with pytest.raises(PermissionDenied):
        services.meeting_record(user=cast.secretary_b, meeting=held, minutes="x")
    with pytest.raises(PermissionDenied):
        all_present(held, cast.secretary_b)


def test_planning_then_recording_a_planned_meeting(cast, recorder):
    planned = services.meeting_plan(
        user=cast.secretary_a,
        organization=cast.a,
        kind=MeetingKind.THEMED_DAY,
        topic="十月主题党日",
        planned_on=datetime.date(2026, 10, 10),
        place="党员活动室",
    )
    assert planned.status == "planned" and planned.attendance.count() == 0
    with pytest.raises(ValidationError) as exc:
        services.meeting_record(user=cast.secretary_a, meeting=planned, held_on=datetime.date(2026, 10, 10))
    assert "held_on" in exc.value.message_dict  # in the future
    with pytest.raises(ValidationError) as exc:
        services.meeting_plan(
            user=cast.secretary_a, organization=cast.a, kind="bogus", topic="", planned_on=None
        )
    assert {"kind", "topic", "planned_on"} <= set(exc.value.message_dict)
    done = services.meeting_record(
        user=cast.secretary_a,
        meeting=planned,
        held_on=datetime.date(2026, 9, 14),
        host=cast.sec_a,
        recorder=recorder,
    )
    assert done.status == "held" and done.attendance.count() == 3


def test_a_lecture_needs_its_lecturer_and_type(cast, recorder):
    with pytest.raises(ValidationError) as exc:
        record(cast, recorder, MeetingKind.PARTY_LECTURE)
    assert {"lecturer", "lecturer_type"} <= set(exc.value.message_dict)
    lecture = record(
        cast, recorder, MeetingKind.PARTY_LECTURE, lecturer=cast.sec_a, lecturer_type="branch_secretary"
    )
    assert lecture.lecturer_name == "甲书记"


def test_cancel_a_planned_meeting_with_a_reason(cast, planned):
    with pytest.raises(ValidationError):
        services.meeting_cancel(user=cast.secretary_a, meeting=planned, reason="")
    services.meeting_cancel(user=cast.secretary_a, meeting=planned, reason="与上级会议冲突")
    planned.refresh_from_db()
    assert planned.status == "cancelled"


def test_action_items_done_by_their_owner(cast, recorder, held):
    item = services.action_item_add(
        user=cast.secretary_a,
        meeting=held,
        text="整理学习笔记",
        owner=cast.mem_a,
        due_on=datetime.date(2026, 9, 30),
    )
    with pytest.raises(ValidationError) as exc:
        services.action_item_add(
            user=cast.secretary_a, meeting=held, text="x", owner=cast.mem_a, due_on=datetime.date(2026, 1, 1)
        )
    assert "due_on" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        services.action_item_done(user=cast.secretary_b, item=item)
    services.action_item_done(user=cast.member_a, item=item, note="已完成")
    item.refresh_from_db()
    assert item.done_at is not None
    with pytest.raises(ValidationError):
        services.action_item_done(user=cast.member_a, item=item)


PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


def test_attachment_type_size_and_content_limits(cast, held, media_root, monkeypatch):
    ok = services.attachment_upload(
        user=cast.secretary_a, meeting=held, file=SimpleUploadedFile("签到表.png", PNG), kind="sign_in"
    )
    assert ok.size == len(PNG) and ok.original_name == "签到表.png"
    with pytest.raises(ValidationError) as exc:
        services.attachment_upload(user=cast.secretary_a, meeting=held, file=SimpleUploadedFile("a.exe", PNG))
    assert "JPG" in str(exc.value.message_dict["file"])
    with pytest.raises(ValidationError) as exc:
        services.attachment_upload(user=cast.secretary_a, meeting=held, file=SimpleUploadedFile("a.jpg", PNG))
    assert "不符" in str(exc.value.message_dict["file"])
    monkeypatch.setattr(services, "ATTACHMENT_MAX_BYTES", 16)
    with pytest.raises(ValidationError) as exc:
        services.attachment_upload(user=cast.secretary_a, meeting=held, file=SimpleUploadedFile("b.png", PNG))
    assert "过大" in str(exc.value.message_dict["file"])
    with pytest.raises(PermissionDenied):
        services.attachment_upload(user=cast.member_a, meeting=held, file=SimpleUploadedFile("c.png", PNG))


def test_talk_needs_two_people_of_the_branch_and_a_matching_pair_type(cast, recorder):
    day = datetime.date(2026, 9, 1)
    with pytest.raises(ValidationError) as exc:
        services.talk_record(
            user=cast.secretary_a,
            organization=cast.a,
            held_on=day,
            pair_type="member_member",
            participants=[cast.mem_a],
            topic="谈心",
        )
    assert "participants" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.talk_record(
            user=cast.secretary_a,
            organization=cast.a,
            held_on=day,
            pair_type="committee_committee",
            participants=[cast.sec_a, cast.mem_a],
            topic="谈心",
        )
    assert "pair_type" in exc.value.message_dict
    talk = services.talk_record(
        user=cast.secretary_a,
        organization=cast.a,
        held_on=day,
        pair_type="committee_member",
        participants=[cast.sec_a, cast.mem_a],
        topic="谈心",
        summary="交流思想",
    )
    assert set(talk.participants.values_list("name", flat=True)) == {"甲书记", "甲党员"}
    with pytest.raises(PermissionDenied):
        services.talk_record(
            user=cast.secretary_b,
            organization=cast.a,
            held_on=day,
            pair_type="committee_member",
            participants=[cast.sec_a, cast.mem_a],
            topic="谈心",
        )


@pytest.mark.parametrize(
    ("utc", "allowed"),
    [
        (datetime.datetime(2026, 9, 30, 15, 59, tzinfo=datetime.UTC), False),  # 23:59 on 30 Sep in Shanghai
        (datetime.datetime(2026, 9, 30, 16, 0, tzinfo=datetime.UTC), True),  # 00:00 on 1 Oct in Shanghai
    ],
)
def test_a_meeting_held_today_is_judged_by_the_shanghai_date(cast, recorder, utc, allowed):
    import time_machine

    with time_machine.travel(utc, tick=False):
        if allowed:
            meeting = record(cast, recorder, held_on=datetime.date(2026, 10, 1))
            assert meeting.held_on == datetime.date(2026, 10, 1)
        else:
            with pytest.raises(ValidationError) as exc:
                record(cast, recorder, held_on=datetime.date(2026, 10, 1))
            assert "held_on" in exc.value.message_dict


def test_signing_at_the_end_of_a_quarter_locks_with_that_moment(cast, recorder):
    import time_machine

    with time_machine.travel(datetime.datetime(2026, 9, 30, 15, 59, 59, tzinfo=datetime.UTC), tick=False):
        meeting = record(cast, recorder, held_on=datetime.date(2026, 9, 30))
        all_present(meeting, cast.secretary_a)
        sign_both(cast, recorder, meeting)
    meeting.refresh_from_db()
    assert meeting.locked_at == datetime.datetime(2026, 9, 30, 15, 59, 59, tzinfo=datetime.UTC)
