"""Meetings API: scoping (foreign → 404), writes through the services (field errors → 400 naming
the field, not allowed → 403), the sign-off chain, votes, talks, action items, query counts."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from meetings import services
from meetings.models import ActionItem, Meeting, MeetingKind, MinutesState, Resolution, Talk

from .conftest import TODAY, all_present, record

ROLES = ["admin", "committee", "other_committee", "secretary_a", "secretary_b", "member_a", "outsider"]


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
    meeting.refresh_from_db()
    return meeting


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("admin", 200),
        ("committee", 200),
        ("other_committee", 404),
        ("secretary_a", 200),
        ("secretary_b", 404),
        ("member_a", 404),  # a 支委会 is for its attendees and the officers (test_committee_minutes_privacy)
        ("outsider", 404),
    ],
)
def test_meeting_detail_permission_matrix(cast, held, api_for, who, status):
    response = api_for(getattr(cast, who)).get(f"/api/v1/meetings/{held.pk}/")
    assert response.status_code == status
    if status == 200:
        assert {a["member"] for a in response.json()["attendance"]} == {cast.sec_a.pk, held.recorder_id}


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("committee", 200),
        ("secretary_a", 200),
        ("member_a", 403),
        ("secretary_b", 404),
        ("other_committee", 404),
    ],
)
def test_attendance_write_permission_matrix(cast, held_general, api_for, who, status):
    rows = [{"member": cast.sec_a.pk, "status": "late", "reason": "堵车"}]
    response = api_for(getattr(cast, who)).post(
        f"/api/v1/meetings/{held_general.pk}/attendance/", {"rows": rows}, format="json"
    )
    assert response.status_code == status


def test_list_shows_only_visible_meetings_and_filters(cast, held, api_for):
    Meeting.objects.create(organization=cast.b, kind=MeetingKind.STUDY, topic="乙学习", planned_on=TODAY)
    topics = {m["topic"] for m in api_for(cast.secretary_a).get("/api/v1/meetings/").json()["results"]}
    assert topics == {"九月支委会"}
    api = api_for(cast.committee)
    assert {m["topic"] for m in api.get("/api/v1/meetings/").json()["results"]} == {"九月支委会", "乙学习"}
    assert [m["topic"] for m in api.get("/api/v1/meetings/", {"status": "planned"}).json()["results"]] == [
        "乙学习"
    ]
    assert [
        m["topic"] for m in api.get("/api/v1/meetings/", {"organization": cast.a.pk}).json()["results"]
    ] == ["九月支委会"]
    assert api.get("/api/v1/meetings/", {"organization": cast.d.pk}).json()["results"] == []
    assert api.get("/api/v1/meetings/", {"kind": "bogus"}).status_code == 400


def test_plan_then_record_through_the_api(cast, recorder, api_for):
    api = api_for(cast.secretary_a)
    response = api.post(
        "/api/v1/meetings/",
        {
            "organization": cast.a.pk,
            "kind": "general_meeting",
            "topic": "三季度党员大会",
            "planned_on": "2026-09-20",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    pk = response.json()["id"]
    assert response.json()["status"] == "planned"
    response = api.patch(f"/api/v1/meetings/{pk}/", {"minutes": "x"}, format="json")
    assert response.status_code == 400 and "minutes" in response.json()
    response = api.patch(
        f"/api/v1/meetings/{pk}/",
        {"held_on": "2026-09-14", "host": cast.sec_a.pk, "recorder": recorder.pk, "minutes": "会议记录"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "held" and body["voting_expected"] == 3 and body["is_quorate"] is False


def test_field_errors_name_the_field_and_foreign_ids_are_refused(cast, api_for):
    api = api_for(cast.secretary_a)
    response = api.post(
        "/api/v1/meetings/",
        {
            "organization": cast.a.pk,
            "kind": "party_lecture",
            "topic": "党课",
            "held_on": "2026-09-10",
            "host": cast.sec_a.pk,
        },
        format="json",
    )
    assert response.status_code == 400
    assert {"recorder", "lecturer", "lecturer_type"} <= set(response.json())
    response = api.post(
        "/api/v1/meetings/",
        {"organization": cast.b.pk, "kind": "study", "topic": "x", "planned_on": "2026-09-20"},
        format="json",
    )
    assert response.status_code == 400 and "organization" in response.json()
    response = api.post("/api/v1/meetings/", {"topic": "x"}, format="json")
    assert response.status_code == 400 and {"organization", "kind"} <= set(response.json())


def test_sign_submit_review_and_amend_through_the_api(cast, recorder, held, api_for):
    response = api_for(cast.secretary_a).post(
        f"/api/v1/meetings/{held.pk}/sign/", {"role": "secretary"}, format="json"
    )
    assert response.status_code == 400 and "minutes_state" in response.json()
    assert (
        api_for(cast.secretary_a).post(f"/api/v1/meetings/{held.pk}/sign/", {"role": "recorder"}).status_code
        == 403
    )
    assert (
        api_for(recorder.user).post(f"/api/v1/meetings/{held.pk}/sign/", {"role": "recorder"}).status_code
        == 200
    )
    response = api_for(cast.secretary_a).post(f"/api/v1/meetings/{held.pk}/sign/", {"role": "secretary"})
    assert response.status_code == 200 and response.json()["minutes_state"] == "locked"
    assert response.json()["locked_at"]
    assert api_for(cast.secretary_a).post(f"/api/v1/meetings/{held.pk}/submit/").status_code == 200
    assert (
        api_for(cast.secretary_a)
        .post(f"/api/v1/meetings/{held.pk}/review/", {"decision": "accept"})
        .status_code
        == 403
    )
    assert (
        api_for(cast.other_committee)
        .post(f"/api/v1/meetings/{held.pk}/review/", {"decision": "accept"})
        .status_code
        == 404
    )
    response = api_for(cast.committee).post(f"/api/v1/meetings/{held.pk}/review/", {"decision": "return"})
    assert response.status_code == 400 and "comment" in response.json()
    response = api_for(cast.committee).post(
        f"/api/v1/meetings/{held.pk}/review/", {"decision": "return", "comment": "请补充"}
    )
    assert response.json()["minutes_state"] == "returned" and response.json()["locked_at"] is None
    services.meeting_sign(user=recorder.user, meeting=held, role="recorder")
    services.meeting_sign(user=cast.secretary_a, meeting=held, role="secretary")
    response = api_for(cast.secretary_a).post(
        f"/api/v1/meetings/{held.pk}/amend/", {"field": "minutes", "new_value": "更正", "reason": "笔误"}
    )
    assert response.status_code == 200
    assert response.json()["amendments"][0]["old_value"] == "会议讨论了……"
    response = api_for(cast.secretary_a).patch(
        f"/api/v1/meetings/{held.pk}/", {"minutes": "直接改"}, format="json"
    )
    assert response.status_code == 400 and "minutes" in response.json()


def test_votes_through_the_api(cast, held, api_for):
    api = api_for(cast.secretary_a)
    response = api.post("/api/v1/resolutions/", {"meeting": held.pk, "text": "通过计划", "put_to_vote": True})
    assert response.status_code == 201
    rid = response.json()["id"]
    response = api.post(f"/api/v1/resolutions/{rid}/votes/", {"votes_for": 2, "votes_against": 1})
    assert response.status_code == 400 and "votes_for" in response.json()
    response = api.post(f"/api/v1/resolutions/{rid}/votes/", {"votes_for": 2})
    assert response.json()["passed"] is True and response.json()["vote_base"] == 2
    assert (
        api_for(cast.secretary_b).post(f"/api/v1/resolutions/{rid}/votes/", {"votes_for": 1}).status_code
        == 404
    )
    response = api_for(cast.secretary_b).post("/api/v1/resolutions/", {"meeting": held.pk, "text": "x"})
    assert response.status_code == 400 and "meeting" in response.json()


def test_action_items_and_talks_through_the_api(cast, held, api_for):
    api = api_for(cast.secretary_a)
    response = api.post(
        "/api/v1/action-items/", {"meeting": held.pk, "text": "写总结", "owner": cast.mem_a.pk}
    )
    assert response.status_code == 201
    item = response.json()["id"]
    mine = (
        api_for(cast.member_a)
        .get("/api/v1/action-items/", {"mine": "true", "open": "true"})
        .json()["results"]
    )
    assert [i["id"] for i in mine] == [item]
    assert (
        api_for(cast.member_a).post(f"/api/v1/action-items/{item}/done/", {"note": "好"}).status_code == 200
    )
    assert api_for(cast.secretary_b).get("/api/v1/action-items/").json()["results"] == []
    response = api.post(
        "/api/v1/talks/",
        {
            "organization": cast.a.pk,
            "held_on": "2026-09-01",
            "pair_type": "committee_member",
            "participants": [cast.sec_a.pk, cast.mem_a.pk],
            "topic": "谈心",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    response = api.post(
        "/api/v1/talks/",
        {
            "organization": cast.a.pk,
            "held_on": "2026-09-01",
            "pair_type": "committee_member",
            "participants": [cast.sec_a.pk],
            "topic": "谈心",
        },
        format="json",
    )
    assert response.status_code == 400 and "participants" in response.json()
    assert len(api_for(cast.secretary_b).get("/api/v1/talks/").json()["results"]) == 0


def _count(api_for, user, url):
    api = api_for(type(user).objects.get(pk=user.pk))  # a fresh user: the scope is not cached
    with CaptureQueriesContext(connection) as ctx:
        assert api.get(url).status_code == 200
    return len(ctx.captured_queries)


def _rows(cast, n):
    Meeting.objects.bulk_create(
        [
            Meeting(organization=cast.a, kind=MeetingKind.STUDY, topic=f"学习{i}", planned_on=TODAY)
            for i in range(n)
        ]
    )
    meeting = Meeting.objects.filter(organization=cast.a).first()
    Resolution.objects.bulk_create([Resolution(meeting=meeting, text=f"决议{i}") for i in range(n)])
    ActionItem.objects.bulk_create(
        [ActionItem(meeting=meeting, text=f"事项{i}", owner=cast.mem_a) for i in range(n)]
    )
    for i in range(n):
        talk = Talk.objects.create(
            organization=cast.a, held_on=TODAY, pair_type="member_member", topic=f"谈{i}"
        )
        talk.participants.set([cast.sec_a, cast.mem_a])


@pytest.mark.parametrize(
    "url", ["/api/v1/meetings/", "/api/v1/resolutions/", "/api/v1/action-items/", "/api/v1/talks/"]
)
@pytest.mark.parametrize("who", ["secretary_a", "committee"])
def test_list_endpoints_query_count_is_the_same_for_1_and_50_rows(cast, api_for, url, who):
    user = getattr(cast, who)
    _rows(cast, 1)
    one = _count(api_for, user, url)
    _rows(cast, 49)
    assert _count(api_for, user, url) == one


def test_schema_documents_the_meetings_api(api_for, cast):
    response = api_for(cast.admin).get("/api/schema/")
    assert response.status_code == 200
    body = response.content.decode()
    for path in (
        "/api/v1/meetings/{id}/sign/",
        "/api/v1/meetings/{id}/review/",
        "/api/v1/meetings/{id}/attendance/",
        "/api/v1/resolutions/{id}/votes/",
        "/api/v1/talks/",
        "/api/v1/action-items/{id}/done/",
    ):
        assert path in body


def test_lock_state_is_visible_to_compliance_readers(cast, recorder, held):
    services.meeting_sign(user=recorder.user, meeting=held, role="recorder")
    services.meeting_sign(user=cast.secretary_a, meeting=held, role="secretary")
    counted = Meeting.objects.locked().held_between(datetime.date(2026, 9, 1), datetime.date(2026, 9, 30))
    assert list(counted.counting_as(MeetingKind.COMMITTEE_MEETING)) == [held]
    assert held.__class__.objects.get(pk=held.pk).minutes_state == MinutesState.LOCKED


def test_adjust_the_expected_list_through_the_api(cast, held, api_for):
    from tests.conftest import make_member

    guest = make_member(cast.a, "甲列席")
    api = api_for(cast.secretary_a)
    url = f"/api/v1/meetings/{held.pk}/attendance-adjust/"
    response = api.post(url, {"member": guest.pk, "add": True, "reason": ""}, format="json")
    assert response.status_code == 400 and "reason" in response.json()
    response = api.post(url, {"member": cast.sec_b.pk, "add": True, "reason": "列席"}, format="json")
    assert response.status_code == 400 and "member" in response.json()
    response = api.post(url, {"member": guest.pk, "add": True, "reason": "列席"}, format="json")
    assert response.status_code == 200
    assert response.json()["expected_count"] == 3 and response.json()["is_quorate"] is True
