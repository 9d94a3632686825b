"""Meetings in generate_scale_data (tier S): three years of locked meetings with attendance, mostly
compliant branches with some misses, and members the 6-month flag finds."""

import io

import pytest
from django.core.management import call_command

from branches.models import Organization
from compliance.engine import MET, MISSING, evaluate
from compliance.periods import containing, parse_period
from compliance.selectors import members_without_org_life
from meetings.models import Attendance, Meeting, Talk
from members.models import Member


@pytest.fixture
def tier_s(scale_tier_s, db):
    return Organization.objects.get(code="SCALE-S", depth=1)


def test_a_year_of_meetings_at_tier_s_and_three_years_on_request(tier_s, monkeypatch):
    meetings = Meeting.objects.filter(organization__path__startswith=tier_s.path)
    first, last = (
        min(meetings.values_list("held_on", flat=True)),
        max(meetings.values_list("held_on", flat=True)),
    )
    assert 365 - 40 < (last - first).days <= 365 + 31
    monkeypatch.setenv("SCALE_MEETING_MONTHS", "36")  # tier M's default
    call_command("generate_scale_data", "--tier", "S", "--replace", stdout=io.StringIO())
    root = Organization.objects.get(code="SCALE-S", depth=1)
    held = Meeting.objects.filter(organization__path__startswith=root.path).values_list("held_on", flat=True)
    assert (max(held) - min(held)).days > 3 * 365 - 40


def test_meetings_with_attendance(tier_s):
    meetings = Meeting.objects.filter(organization__path__startswith=tier_s.path)
    assert meetings.locked().count() > 0.9 * meetings.count()
    assert meetings.filter(also_themed_day=True).exists()
    assert Talk.objects.filter(organization__path__startswith=tier_s.path).exists()
    attendance = Attendance.objects.filter(meeting__organization__path__startswith=tier_s.path)
    assert attendance.count() > 20 * meetings.count()
    # The quorum snapshot agrees with the attendance sheet.
    sample = meetings.order_by("pk").first()
    assert sample.expected_count == attendance.filter(meeting=sample).count()


def test_most_branches_mostly_compliant_some_missing(tier_s):
    last = Meeting.objects.latest("held_on").held_on
    quarter = containing("quarter", last).previous()
    report = evaluate(tier_s, parse_period(quarter.code))
    windows = [
        w for b in report.branches for r in b.rule_list for w in r.windows if w.window.end <= quarter.end
    ]
    met = sum(w.status == MET for w in windows) / len(windows)
    assert 0.75 < met < 0.97  # most obligations met on time …
    assert any(w.status == MISSING for w in windows)  # … some missed
    # Most branches miss at most one rule in the quarter; a few miss several.
    misses = sorted(b.missing for b in report.branches)
    assert misses[len(misses) // 2] <= 1 and misses[-1] >= 2


def test_some_members_have_no_organisational_life(tier_s):
    members = Member.objects.filter(branch__path__startswith=tier_s.path)
    flagged = members_without_org_life(members).count()
    assert 0 < flagged < 0.1 * members.count()
