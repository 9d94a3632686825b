"""三会一课 pages as their users see them: record form with attendance grid and live quorum, sign
buttons only for who may press them, review queue, printable minutes, calendar, list filters,
talks, 我的待办; the permission matrix and query counts (1 row vs 50)."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from meetings import services
from meetings.models import ActionItem, Meeting, MeetingKind, MinutesState, Talk
from tests.conftest import make_member

from .conftest import TODAY, all_present, record


@pytest.fixture
def held(cast, recorder):
    meeting = record(cast, recorder)
    all_present(meeting, cast.secretary_a)
    meeting.refresh_from_db()
    return meeting


@pytest.fixture
def held_general(cast, recorder):
    """A 支部党员大会: every member of the branch may read it (a 支委会 only its attendees)."""
    meeting = record(cast, recorder, MeetingKind.GENERAL_MEETING, topic="九月党员大会")
    all_present(meeting, cast.secretary_a)
    meeting.refresh_from_db()
    return meeting


def test_record_a_committee_meeting_on_the_page_then_both_sign(cast, recorder, client_for):
    client = client_for(cast.secretary_a)
    response = client.get(reverse("meetings:record_new"))
    assert response.status_code == 200 and 'data-testid="record-form"' in response.content.decode()
    response = client.post(
        reverse("meetings:record_new"),
        {
            "organization": cast.a.pk,
            "kind": MeetingKind.COMMITTEE_MEETING,
            "topic": "九月支委会",
            "held_on": "2026-09-14",
            "host": cast.sec_a.pk,
            "recorder": recorder.pk,
            "minutes": "研究九月工作。",
        },
    )
    meeting = Meeting.objects.get(topic="九月支委会")
    assert response.status_code == 302 and response["Location"] == reverse(
        "meetings:record", args=[meeting.pk]
    )
    body = client.get(response["Location"]).content.decode()
    assert f'data-testid="attendance-{cast.sec_a.pk}-present"' in body
    assert 'data-quorate="no"' in body
    # The live panel: the same rule as the service, nothing saved.
    live = client.post(
        reverse("meetings:quorum", args=[meeting.pk]),
        {f"status_{cast.sec_a.pk}": "present", f"status_{recorder.pk}": "present"},
    )
    assert 'data-quorate="yes"' in live.content.decode()
    meeting.refresh_from_db()
    assert meeting.is_quorate is False
    form = {
        "kind": MeetingKind.COMMITTEE_MEETING,
        "topic": "九月支委会",
        "held_on": "2026-09-14",
        "host": cast.sec_a.pk,
        "recorder": recorder.pk,
        "minutes": "研究九月工作。",
        f"status_{cast.sec_a.pk}": "present",
        f"status_{recorder.pk}": "present",
    }
    response = client.post(reverse("meetings:record", args=[meeting.pk]), form)
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert (meeting.is_quorate, meeting.present_count) == (True, 2)
    body = client.get(reverse("meetings:detail", args=[meeting.pk])).content.decode()
    assert 'data-testid="sign-recorder"' not in body  # the secretary is not the recorder
    recorder_client = client_for(recorder.user)
    body = recorder_client.get(reverse("meetings:detail", args=[meeting.pk])).content.decode()
    assert 'data-testid="sign-recorder"' in body
    recorder_client.post(reverse("meetings:sign", args=[meeting.pk, "recorder"]))
    client = client_for(cast.secretary_a)
    body = client.get(reverse("meetings:detail", args=[meeting.pk])).content.decode()
    assert 'data-testid="sign-secretary"' in body
    client.post(reverse("meetings:sign", args=[meeting.pk, "secretary"]))
    meeting.refresh_from_db()
    assert meeting.minutes_state == MinutesState.LOCKED and meeting.locked_at is not None
    body = client.get(reverse("meetings:detail", args=[meeting.pk])).content.decode()
    assert 'data-testid="submit-minutes"' in body and 'data-testid="edit-record"' not in body


def test_record_form_reports_field_errors_and_saves_nothing(cast, client_for):
    client = client_for(cast.secretary_a)
    response = client.post(
        reverse("meetings:record_new"),
        {
            "organization": cast.a.pk,
            "kind": MeetingKind.PARTY_LECTURE,
            "topic": "党课",
            "held_on": "2026-12-01",
        },
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="error-held_on"' in body and 'data-testid="error-host"' in body
    assert not Meeting.objects.exists()


def test_signing_inquorate_minutes_shows_why(cast, recorder, client_for):
    meeting = record(cast, recorder)
    client = client_for(recorder.user)
    body = client.get(reverse("meetings:detail", args=[meeting.pk])).content.decode()
    assert 'data-testid="sign-problems"' in body and "法定人数" in body
    response = client.post(reverse("meetings:sign", args=[meeting.pk, "recorder"]), follow=True)
    assert "法定人数" in response.content.decode()
    meeting.refresh_from_db()
    assert meeting.minutes_state == MinutesState.DRAFT


def test_review_queue_and_review_on_the_page(cast, recorder, held, client_for):
    services.meeting_sign(user=recorder.user, meeting=held, role="recorder")
    services.meeting_sign(user=cast.secretary_a, meeting=held, role="secretary")
    services.minutes_submit(user=cast.secretary_a, meeting=held)
    client = client_for(cast.committee)
    body = client.get(reverse("meetings:review_queue")).content.decode()
    assert held.topic in body
    assert (
        held.topic
        not in client_for(cast.other_committee).get(reverse("meetings:review_queue")).content.decode()
    )
    assert client_for(cast.secretary_a).get(reverse("meetings:review_queue")).status_code == 403
    client = client_for(cast.committee)
    assert (
        'data-testid="review-return"'
        in client.get(reverse("meetings:detail", args=[held.pk])).content.decode()
    )
    response = client.post(
        reverse("meetings:review", args=[held.pk]), {"decision": "return", "comment": ""}, follow=True
    )
    assert "退回须填写审阅意见" in response.content.decode()
    client.post(reverse("meetings:review", args=[held.pk]), {"decision": "return", "comment": "补充决议"})
    held.refresh_from_db()
    assert held.minutes_state == MinutesState.RETURNED and held.locked_at is None
    body = client_for(cast.secretary_a).get(reverse("meetings:detail", args=[held.pk])).content.decode()
    assert "补充决议" in body and 'data-testid="edit-record"' in body


def test_amend_on_the_page_and_the_print_shows_history_and_signatures(cast, recorder, held, client_for):
    services.meeting_sign(user=recorder.user, meeting=held, role="recorder")
    services.meeting_sign(user=cast.secretary_a, meeting=held, role="secretary")
    client = client_for(cast.secretary_a)
    client.post(
        reverse("meetings:amend", args=[held.pk]),
        {"field": "minutes", "new_value": "更正后的记录", "reason": "漏记一项"},
    )
    body = client.get(reverse("meetings:print", args=[held.pk])).content.decode()
    assert "更正后的记录" in body and "漏记一项" in body and "会议讨论了……" in body
    assert "甲记录人" in body and "记录人签字" in body and "甲书记" in body
    assert "@media print" in body


def test_votes_and_action_items_and_attachments_on_the_page(cast, recorder, held, client_for, media_root):
    client = client_for(cast.secretary_a)
    client.post(
        reverse("meetings:resolution_add", args=[held.pk]), {"text": "通过九月计划", "put_to_vote": "on"}
    )
    resolution = held.resolutions.get()
    response = client.post(
        reverse("meetings:resolution_vote", args=[resolution.pk]),
        {"votes_for": 3, "votes_against": 0, "votes_abstain": 0},
        follow=True,
    )
    assert "超过有表决权的实到人数" in response.content.decode()
    client.post(
        reverse("meetings:resolution_vote", args=[resolution.pk]),
        {"votes_for": 2, "votes_against": 0, "votes_abstain": 0},
    )
    resolution.refresh_from_db()
    assert resolution.passed is True and resolution.vote_base == 2
    client.post(
        reverse("meetings:action_add", args=[held.pk]),
        {"text": "报送学习计划", "owner": cast.mem_a.pk, "due_on": "2026-09-30"},
    )
    item = ActionItem.objects.get()
    response = client.post(
        reverse("meetings:attachment_upload", args=[held.pk]),
        {"kind": "photo", "file": SimpleUploadedFile("x.gif", b"GIF89a")},
        follow=True,
    )
    assert "只能上传 JPG、PNG 图片或 PDF 文件" in response.content.decode()
    # The owner sees the item on 我的待办 and marks it done.
    member = client_for(cast.member_a)
    body = member.get(reverse("meetings:todo")).content.decode()
    assert "报送学习计划" in body
    assert reverse("meetings:todo") in member.get(reverse("accounts:me")).content.decode()
    member.post(reverse("meetings:action_done", args=[item.pk]), {"note": "已报送"})
    item.refresh_from_db()
    assert item.done_at is not None


def test_list_filters_and_search(cast, recorder, held):
    from django.test import Client

    services.meeting_plan(
        user=cast.secretary_a,
        organization=cast.a,
        kind=MeetingKind.THEMED_DAY,
        topic="十月主题党日",
        planned_on=datetime.date(2026, 10, 10),
    )
    client = Client()
    client.force_login(cast.secretary_a)
    url = reverse("meetings:list")
    body = client.get(url).content.decode()
    assert "九月支委会" in body and "十月主题党日" in body
    body = client.get(url, {"status": "planned"}).content.decode()
    assert "九月支委会" not in body and "十月主题党日" in body
    body = client.get(url, {"kind": "committee_meeting"}).content.decode()
    assert "九月支委会" in body and "十月主题党日" not in body
    body = client.get(url, {"q": "主题"}).content.decode()
    assert "九月支委会" not in body
    body = client.get(url, {"date_from": "2026-10-01", "date_to": "2026-10-31"}).content.decode()
    assert "九月支委会" not in body and "十月主题党日" in body
    body = client.get(url, {"minutes_state": "draft", "status": "held"}).content.decode()
    assert "九月支委会" in body
    body = client.get(url, {"date_from": "2026-10-31", "date_to": "2026-10-01"}).content.decode()
    assert "结束日期须不早于开始日期" in body


def test_the_meeting_page_cancels_a_planned_meeting_with_a_reason(cast, client_for, planned):
    """The page's 取消会议 form: without a reason it says so and the meeting stays planned."""
    client = client_for(cast.secretary_a)
    page = client.get(reverse("meetings:detail", args=[planned.pk])).content.decode()
    assert reverse("meetings:cancel", args=[planned.pk]) in page and "取消会议" in page
    response = client.post(reverse("meetings:cancel", args=[planned.pk]), {"reason": " "}, follow=True)
    assert "请填写取消原因" in response.content.decode()
    planned.refresh_from_db()
    assert planned.status == "planned"
    response = client.post(
        reverse("meetings:cancel", args=[planned.pk]), {"reason": "与上级会议冲突"}, follow=True
    )
    assert "会议已取消" in response.content.decode()
    planned.refresh_from_db()
    assert planned.status == "cancelled"
    assert "取消会议" not in client.get(reverse("meetings:detail", args=[planned.pk])).content.decode()


def test_calendar_shows_planned_and_held_meetings_in_the_month(cast, recorder, held, client_for):
    services.meeting_plan(
        user=cast.secretary_a,
        organization=cast.a,
        kind=MeetingKind.THEMED_DAY,
        topic="九月主题党日",
        planned_on=datetime.date(2026, 9, 28),
    )
    client = client_for(cast.secretary_a)
    body = client.get(reverse("meetings:calendar")).content.decode()
    assert "九月支委会" in body and "九月主题党日" in body and "2026年9月" in body
    body = client.get(reverse("meetings:calendar"), {"month": "2026-10"}).content.decode()
    assert "九月支委会" not in body
    assert client.get(reverse("meetings:calendar"), {"month": "bogus"}).status_code == 200


def test_talk_form_and_list(cast, recorder, client_for):
    client = client_for(cast.secretary_a)
    response = client.post(
        reverse("meetings:talk_create"),
        {
            "organization": cast.a.pk,
            "held_on": "2026-09-01",
            "pair_type": "committee_member",
            "participants": [cast.sec_a.pk],
            "topic": "谈心",
        },
    )
    assert "至少须有两人" in response.content.decode()
    response = client.post(
        reverse("meetings:talk_create"),
        {
            "organization": cast.a.pk,
            "held_on": "2026-09-01",
            "pair_type": "committee_member",
            "participants": [cast.sec_a.pk, cast.mem_a.pk],
            "topic": "年度谈心",
            "summary": "交流",
        },
    )
    assert response.status_code == 302 and Talk.objects.count() == 1
    assert "年度谈心" in client.get(reverse("meetings:talks")).content.decode()
    assert "年度谈心" not in client_for(cast.secretary_b).get(reverse("meetings:talks")).content.decode()


def test_member_timeline_shows_their_meetings(cast, recorder, held, client_for):
    body = client_for(cast.secretary_a).get(reverse("members:detail", args=[cast.mem_a.pk])).content.decode()
    assert "九月支委会" not in body  # not on the committee
    assert (
        "九月支委会"
        in client_for(cast.secretary_a).get(reverse("members:detail", args=[recorder.pk])).content.decode()
    )


# --- Permission matrix ---------------------------------------------------------------------------

ROLES = ["admin", "committee", "other_committee", "secretary_a", "secretary_b", "member_a", "outsider"]
# (can see branch a's meeting, can edit it)
ACCESS = {
    "admin": (True, True),
    "committee": (True, True),
    "other_committee": (False, False),
    "secretary_a": (True, True),
    "secretary_b": (False, False),
    "member_a": (True, False),
    "outsider": (False, False),
}


@pytest.mark.parametrize("who", ROLES)
@pytest.mark.parametrize("page", ["detail", "print", "record"])
def test_permission_matrix_own_and_sibling_branch(cast, recorder, held_general, client_for, who, page):
    held = held_general
    see, edit = ACCESS[who]
    sibling = Meeting.objects.create(
        organization=cast.b, kind=MeetingKind.STUDY, topic="乙学习", planned_on=TODAY
    )
    client = client_for(getattr(cast, who))
    response = client.get(reverse(f"meetings:{page}", args=[held.pk]))
    expected = (200 if edit else 403 if see else 404) if page == "record" else (200 if see else 404)
    assert response.status_code == expected
    sibling_status = client.get(reverse(f"meetings:{page}", args=[sibling.pk])).status_code
    sees_sibling = who in ("admin", "committee", "secretary_b")  # b is secretary_b's own branch
    assert (sibling_status != 404) is sees_sibling


@pytest.mark.parametrize("who", ["other_committee", "secretary_b", "member_a", "outsider"])
def test_foreign_or_readonly_users_cannot_post_writes(cast, recorder, held, client_for, who):
    client = client_for(getattr(cast, who))
    response = client.post(reverse("meetings:resolution_add", args=[held.pk]), {"text": "x"})
    assert response.status_code in (403, 404)
    assert not held.resolutions.exists()


@pytest.mark.parametrize("name", ["meetings:list", "meetings:calendar", "meetings:talks", "meetings:todo"])
def test_index_pages_open_for_every_role(cast, client_for, name):
    for who in ROLES:
        assert client_for(getattr(cast, who)).get(reverse(name)).status_code == 200


def test_plan_and_record_need_a_branch_to_manage(cast, client_for):
    client = client_for(cast.member_a)
    assert client.get(reverse("meetings:plan")).status_code == 403
    assert client.get(reverse("meetings:record_new")).status_code == 403
    assert client.get(reverse("meetings:talk_create")).status_code == 403
    assert 'data-testid="plan-meeting"' not in client.get(reverse("meetings:list")).content.decode()


# --- Query counts: the same for 1 row and 50 -----------------------------------------------------


def _meetings(cast, n, **extra):
    Meeting.objects.bulk_create(
        [
            Meeting(
                organization=cast.a,
                kind=MeetingKind.STUDY,
                topic=f"学习{i}",
                planned_on=TODAY - datetime.timedelta(days=i % 20),
                **extra,
            )
            for i in range(n)
        ]
    )


def _count(client, url, django_assert_max_num_queries, params=None):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # Warm up first: the first request after signing in also writes the session's idle expiry.
    assert client.get(url, params or {}).status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params or {}).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    ("user", "name", "params"),
    [
        ("secretary_a", "meetings:list", None),
        ("committee", "meetings:list", {"kind": "study"}),
        ("secretary_a", "meetings:calendar", None),
    ],
)
def test_meeting_pages_query_count_is_the_same_for_1_and_50_rows(
    cast, client_for, user, name, params, django_assert_max_num_queries
):
    client = client_for(getattr(cast, user))
    _meetings(cast, 1)
    one = _count(client, reverse(name), django_assert_max_num_queries, params)
    _meetings(cast, 49)
    assert _count(client, reverse(name), django_assert_max_num_queries, params) == one


def test_review_queue_query_count_is_the_same_for_1_and_50_rows(
    cast, client_for, django_assert_max_num_queries
):
    client = client_for(cast.committee)
    now = datetime.datetime(2026, 9, 15, tzinfo=datetime.UTC)
    _meetings(cast, 1, minutes_state=MinutesState.SUBMITTED, submitted_at=now)
    one = _count(client, reverse("meetings:review_queue"), django_assert_max_num_queries)
    _meetings(cast, 49, minutes_state=MinutesState.SUBMITTED, submitted_at=now)
    assert _count(client, reverse("meetings:review_queue"), django_assert_max_num_queries) == one


def test_talks_and_todo_query_counts_are_the_same_for_1_and_50_rows(
    cast, client_for, recorder, django_assert_max_num_queries
):
    meeting = Meeting.objects.create(
        organization=cast.a, kind=MeetingKind.STUDY, topic="学习", planned_on=TODAY
    )

    def add(n):
        for i in range(n):
            talk = Talk.objects.create(
                organization=cast.a, held_on=TODAY, pair_type="member_member", topic=f"谈话{i}"
            )
            talk.participants.set([cast.sec_a, cast.mem_a])
            ActionItem.objects.create(meeting=meeting, text=f"事项{i}", owner=cast.mem_a)

    add(1)
    talks_one = _count(client_for(cast.secretary_a), reverse("meetings:talks"), django_assert_max_num_queries)
    todo_one = _count(client_for(cast.member_a), reverse("meetings:todo"), django_assert_max_num_queries)
    add(49)
    assert (
        _count(client_for(cast.secretary_a), reverse("meetings:talks"), django_assert_max_num_queries)
        == talks_one
    )
    assert (
        _count(client_for(cast.member_a), reverse("meetings:todo"), django_assert_max_num_queries) == todo_one
    )


def test_detail_query_count_does_not_grow_with_attendance(
    cast, recorder, client_for, django_assert_max_num_queries
):
    meeting = record(cast, recorder, MeetingKind.GENERAL_MEETING)
    client = client_for(cast.secretary_a)
    one = _count(client, reverse("meetings:detail", args=[meeting.pk]), django_assert_max_num_queries)
    for i in range(50):
        make_member(cast.a, f"党员{i}")
    services.meeting_record(
        user=cast.secretary_a, meeting=meeting, held_on=TODAY - datetime.timedelta(days=1)
    )
    assert meeting.attendance.count() > 50
    assert _count(client, reverse("meetings:detail", args=[meeting.pk]), django_assert_max_num_queries) == one


def test_a_committee_picks_the_branch_first_and_is_offered_only_its_people(cast, recorder, client_for):
    client = client_for(cast.committee)
    body = client.get(reverse("meetings:record_new")).content.decode()
    assert "甲党员" not in body and "乙书记" not in body
    body = client.get(reverse("meetings:record_new"), {"branch": cast.a.pk}).content.decode()
    assert "甲党员" in body and "乙书记" not in body and "甲第一党小组" in body
    body = client.get(reverse("meetings:record_new"), {"branch": cast.d.pk}).content.decode()
    assert "丁党员" not in body  # a foreign branch is ignored
    response = client.post(
        reverse("meetings:plan"),
        {"organization": cast.b.pk, "kind": "study", "topic": "乙集中学习", "planned_on": "2026-09-20"},
    )
    assert response.status_code == 302 and Meeting.objects.get(topic="乙集中学习").organization == cast.b


def test_attachments_are_served_only_to_those_who_see_the_meeting(cast, held_general, client_for, media_root):
    held = held_general
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 16
    client = client_for(cast.secretary_a)
    client.post(
        reverse("meetings:attachment_upload", args=[held.pk]),
        {"kind": "sign_in", "file": SimpleUploadedFile("签到表.png", png)},
    )
    attachment = held.attachments.get()
    assert "签到表.png" in client.get(reverse("meetings:detail", args=[held.pk])).content.decode()
    response = client_for(cast.member_a).get(reverse("meetings:attachment_file", args=[attachment.pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content) == png
    assert (
        client_for(cast.secretary_b)
        .get(reverse("meetings:attachment_file", args=[attachment.pk]))
        .status_code
        == 404
    )
