import datetime
import io

import pytest
import time_machine
from django.core.management import call_command

from meetings.models import ActionItem, Meeting, MeetingStatus, MinutesState, Talk


@pytest.mark.django_db
def test_demo_meetings_for_the_secretarys_branch(settings):
    settings.DEBUG = True
    with time_machine.travel(datetime.datetime(2026, 9, 15, 10, tzinfo=datetime.UTC), tick=False):
        call_command("seed_demo", stdout=io.StringIO())
        meetings = Meeting.objects.filter(organization__code="DEMO-B1")
        assert meetings.locked().count() >= 10
        assert meetings.filter(status=MeetingStatus.PLANNED).count() == 1
        submitted = meetings.get(minutes_state=MinutesState.SUBMITTED)
        assert submitted.kind == "committee_meeting"
        assert meetings.filter(minutes_state=MinutesState.ACCEPTED).count() >= 2
        assert all(m.is_quorate is not False for m in meetings)
        general = meetings.get(kind="general_meeting")
        assert general.resolutions.get().passed is True
        assert ActionItem.objects.filter(owner__user__username="member", done_at__isnull=True).exists()
        assert Talk.objects.filter(organization__code="DEMO-B1").count() == 2
        count = meetings.count()
        call_command("seed_demo", stdout=io.StringIO())
        assert Meeting.objects.filter(organization__code="DEMO-B1").count() == count
