import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import make_member

SHANGHAI = ZoneInfo("Asia/Shanghai")


def locked(day, hour=20):
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=SHANGHAI)


@pytest.fixture
def meeting():
    """`meeting(org, kind, held_on, locked_on=held_on, …)` — a held meeting, locked unless
    `locked_on=None`."""
    from meetings.models import Meeting, MeetingStatus

    def make(org, kind, held_on, *, locked_on="same", group=None, themed=False, lecturer_type="", **extra):
        if locked_on == "same":
            locked_on = held_on
        return Meeting.objects.create(
            organization=org,
            party_group=group,
            kind=kind,
            topic=f"{kind} {held_on}",
            held_on=held_on,
            status=MeetingStatus.HELD,
            locked_at=locked(locked_on) if locked_on else None,
            minutes_state="locked" if locked_on else "draft",
            also_themed_day=themed,
            lecturer_type=lecturer_type,
            **extra,
        )

    return make


@pytest.fixture
def full_members():
    """`full_members(branch, n)` — add n full members to a branch."""

    def add(branch, n, group=None):
        return [make_member(branch, f"{branch.name}党员{i}", group=group) for i in range(n)]

    return add
