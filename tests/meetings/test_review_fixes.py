"""Acceptance-review fixes on the meeting pages: a flashed form error names its field and the
action-item done form goes back only to a page of this site."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from meetings.models import ActionItem, MeetingKind

from .conftest import all_present, record

pytestmark = pytest.mark.django_db


@pytest.fixture
def held(cast, recorder):
    meeting = record(cast, recorder, MeetingKind.COMMITTEE_MEETING)
    all_present(meeting, cast.secretary_a)
    meeting.refresh_from_db()
    return meeting


def _messages(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.mark.parametrize(
    ("name", "data", "label"),
    [
        ("meetings:attendance_adjust", {"action": "add", "reason": "调入"}, "人员"),
        ("meetings:attendance_adjust", {"action": "add", "reason": ""}, "原因"),
        ("meetings:action_add", {"text": "报送计划"}, "责任人"),
        ("meetings:attachment_upload", {"kind": "photo"}, "文件"),
        ("meetings:amend", {"field": "topic", "new_value": "新议题"}, "更正原因"),
    ],
)
def test_a_flashed_form_error_names_the_field(cast, held, client_for, name, data, label):
    response = client_for(cast.secretary_a).post(reverse(name, args=[held.pk]), data)
    assert response.status_code == 302
    errors = _messages(response)
    assert any(message.startswith(f"{label}：") for message in errors), errors


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "http://evil.example"])
def test_action_done_never_redirects_off_site(cast, held, client_for, target):
    item = ActionItem.objects.create(meeting=held, text="报送学习计划", owner=cast.mem_a)
    response = client_for(cast.member_a).post(
        reverse("meetings:action_done", args=[item.pk]), {"note": "已报送", "next": target}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("meetings:todo")
    item.refresh_from_db()
    assert item.done_at is not None


def test_action_done_goes_back_to_a_page_of_this_site(cast, held, client_for):
    item = ActionItem.objects.create(meeting=held, text="报送学习计划", owner=cast.mem_a)
    back = reverse("meetings:detail", args=[held.pk])
    response = client_for(cast.secretary_a).post(
        reverse("meetings:action_done", args=[item.pk]), {"next": back}
    )
    assert response["Location"] == back
