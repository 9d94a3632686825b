"""支委会 minutes are for those asked to attend and for the officers and committees above: a plain
member of the branch does not see them (list, detail, API), but sees the branch's other meetings."""

import pytest
from django.urls import reverse

from meetings.models import Meeting, MeetingKind

from .conftest import record

pytestmark = pytest.mark.django_db


@pytest.fixture
def meetings(cast, recorder):
    committee = record(cast, recorder, topic="支委会：研究发展对象")
    general = record(cast, recorder, MeetingKind.GENERAL_MEETING, topic="党员大会：学习")
    return committee, general


def visible_ids(user):
    return set(Meeting.objects.visible_to(user).values_list("pk", flat=True))


def test_plain_member_sees_the_general_meeting_not_the_committee_meeting(cast, meetings):
    committee, general = meetings
    assert visible_ids(cast.member_a) == {general.pk}


@pytest.mark.parametrize("who", ["admin", "committee", "secretary_a"])
def test_officers_and_committees_see_both(cast, meetings, who):
    assert visible_ids(getattr(cast, who)) == {m.pk for m in meetings}


def test_a_committee_member_who_attends_sees_it(cast, recorder, meetings):
    # The recorder is 宣传委员: not an officer in the scope sense, but an expected attendee.
    assert visible_ids(recorder.user) == {m.pk for m in meetings}


def test_an_invited_member_sees_it(cast, meetings):
    committee, _general = meetings
    committee.attendance.create(member=cast.mem_a, expected=False, has_vote=False)
    assert committee.pk in visible_ids(cast.member_a)


def test_the_recorder_sees_it_to_sign_it(cast, meetings):
    committee, general = meetings
    committee.attendance.filter(member=cast.mem_a).delete()
    type(committee).objects.filter(pk=committee.pk).update(recorder=cast.mem_a)
    assert visible_ids(cast.member_a) == {committee.pk, general.pk}


def test_pages_and_api_follow(cast, meetings, client, api_for):
    committee, general = meetings
    client.force_login(cast.member_a)
    assert client.get(reverse("meetings:detail", args=[committee.pk])).status_code == 404
    assert client.get(reverse("meetings:detail", args=[general.pk])).status_code == 200
    listing = client.get(reverse("meetings:list")).content.decode()
    assert "党员大会：学习" in listing and "研究发展对象" not in listing
    api = api_for(cast.member_a)
    assert api.get(f"/api/v1/meetings/{committee.pk}/").status_code == 404
    assert [m["id"] for m in api.get("/api/v1/meetings/").json()["results"]] == [general.pk]
