"""The engine per rule at period boundaries (time frozen in Asia/Shanghai)."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from branches.models import Organization
from compliance.engine import LATE, MET, MISSING, NOT_APPLICABLE, OPEN, evaluate
from compliance.models import ComplianceRule
from compliance.periods import parse_period
from meetings.models import Talk

D = datetime.date
SH = ZoneInfo("Asia/Shanghai")


def at(day, hour=12):
    return time_machine.travel(datetime.datetime.combine(day, datetime.time(hour), tzinfo=SH), tick=False)


def rule(report, code, branch=None):
    result = report.branches[0] if branch is None else report.branch(branch.pk)
    return result.rules[code]


def branch_report(org, period):
    return evaluate(org, parse_period(period))


pytestmark = pytest.mark.django_db


def test_monthly_rule_open_on_the_last_day_missing_on_the_first_of_the_next(cast):
    with at(D(2026, 9, 30)):
        assert rule(branch_report(cast.a, "2026-09"), "themed_day").status == OPEN
    with at(D(2026, 10, 1)):
        result = rule(branch_report(cast.a, "2026-09"), "themed_day")
    assert (result.status, result.required, result.held) == (MISSING, 1, 0)


def test_met_by_a_meeting_on_the_last_day_locked_that_day(cast, meeting):
    m = meeting(cast.a, "themed_day", D(2026, 9, 30))
    meeting(cast.a, "themed_day", D(2026, 10, 1))  # the next window's, not September's
    with at(D(2026, 10, 1)):
        result = rule(branch_report(cast.a, "2026-09"), "themed_day")
    assert (result.status, result.held, result.meeting_ids) == (MET, 1, [m.pk])


def test_only_locked_minutes_count_and_a_late_lock_is_made_up_late(cast, meeting):
    m = meeting(cast.a, "themed_day", D(2026, 9, 30), locked_on=None)
    with at(D(2026, 9, 30)):
        assert rule(branch_report(cast.a, "2026-09"), "themed_day").status == OPEN
    with at(D(2026, 10, 1)):
        assert rule(branch_report(cast.a, "2026-09"), "themed_day").status == MISSING
    m.locked_at = datetime.datetime(2026, 10, 2, 9, tzinfo=SH)
    m.minutes_state = "locked"
    m.save()
    with at(D(2026, 10, 3)):
        result = rule(branch_report(cast.a, "2026-09"), "themed_day")
    assert (result.status, result.meeting_ids) == (LATE, [m.pk])


def test_grace_days_make_a_lock_within_them_on_time(cast, meeting):
    ComplianceRule.objects.filter(code="themed_day").update(grace_days=5)
    meeting(cast.a, "themed_day", D(2026, 9, 30), locked_on=D(2026, 10, 5))
    with at(D(2026, 10, 3)):
        # Within the grace the window is still open: the minutes may yet be signed.
        assert rule(branch_report(cast.a, "2026-09"), "themed_day").status == MET
    with at(D(2026, 10, 20)):
        assert rule(branch_report(cast.a, "2026-09"), "themed_day").status == MET


def test_a_lock_before_the_end_of_the_window_in_the_last_minute(cast, meeting):
    """Locked at 23:30 Shanghai on 30 September (15:30 UTC) is on time."""
    m = meeting(cast.a, "themed_day", D(2026, 9, 30))
    m.locked_at = datetime.datetime(2026, 9, 30, 23, 30, tzinfo=SH)
    m.save()
    with at(D(2026, 10, 1)):
        assert rule(branch_report(cast.a, "2026-09"), "themed_day").status == MET


def test_combined_themed_day_counts_for_both(cast, meeting, full_members):
    full_members(cast.a, 5)  # 7 full members: the branch has a committee
    m = meeting(cast.a, "committee_meeting", D(2026, 9, 10), themed=True)
    with at(D(2026, 10, 1)):
        report = branch_report(cast.a, "2026-09")
    assert rule(report, "committee_meeting").meeting_ids == [m.pk]
    assert rule(report, "themed_day").meeting_ids == [m.pk]
    assert rule(report, "themed_day").status == MET


def test_committee_meetings_only_for_branches_with_seven_full_members(cast, full_members):
    full_members(cast.a, 4)  # 6 full members
    from tests.conftest import make_member

    make_member(cast.a, "预备党员", status="probationary")
    with at(D(2026, 10, 1)):
        assert rule(branch_report(cast.a, "2026-09"), "committee_meeting").status == NOT_APPLICABLE
        full_members(cast.a, 1)
        result = rule(branch_report(cast.a, "2026-09"), "committee_meeting")
    assert (result.status, result.required) == (MISSING, 1)


def test_the_threshold_is_data(cast, full_members):
    ComplianceRule.objects.filter(code="committee_meeting").update(min_full_members=2)
    with at(D(2026, 10, 1)):
        assert rule(branch_report(cast.a, "2026-09"), "committee_meeting").status == MISSING


def test_party_group_meetings_per_group(cast, meeting):
    second = Organization.objects.add_child(
        Organization.objects.get(pk=cast.a.pk), {"name": "甲第二党小组", "kind": "party_group"}
    )
    m = meeting(cast.a, "group_meeting", D(2026, 9, 3), group=cast.a_group)
    with at(D(2026, 10, 1)):
        result = rule(branch_report(cast.a, "2026-09"), "group_meeting")
    by_group = {w.unit_id: w for w in result.windows}
    assert by_group[cast.a_group.pk].status == MET and by_group[cast.a_group.pk].meeting_ids == [m.pk]
    assert by_group[second.pk].status == MISSING and by_group[second.pk].unit == "甲第二党小组"
    assert (result.status, result.required, result.held) == (MISSING, 2, 1)
    with at(D(2026, 10, 1)):
        assert rule(branch_report(cast.b, "2026-09"), "group_meeting").status == NOT_APPLICABLE


def test_monthly_rule_over_a_quarter_is_evaluated_per_month(cast, meeting):
    meeting(cast.a, "themed_day", D(2026, 7, 1))
    meeting(cast.a, "themed_day", D(2026, 8, 31))
    with at(D(2026, 9, 15)):
        result = rule(branch_report(cast.a, "2026-Q3"), "themed_day")
    assert [w.status for w in result.windows] == [MET, MET, OPEN]
    assert (result.status, result.required, result.held) == (OPEN, 3, 2)
    with at(D(2026, 10, 1)):
        assert rule(branch_report(cast.a, "2026-Q3"), "themed_day").status == MISSING


def test_quarterly_rule_at_the_quarter_boundary(cast, meeting):
    with at(D(2026, 9, 30)):
        assert rule(branch_report(cast.a, "2026-Q3"), "general_meeting").status == OPEN
        # A month of the quarter shows the quarter's window.
        assert [w.window.code for w in rule(branch_report(cast.a, "2026-08"), "general_meeting").windows] == [
            "2026-Q3"
        ]
    with at(D(2026, 10, 1)):
        assert rule(branch_report(cast.a, "2026-Q3"), "general_meeting").status == MISSING
        meeting(cast.a, "general_meeting", D(2026, 7, 1))
        assert rule(branch_report(cast.a, "2026-Q3"), "general_meeting").status == MET


def test_party_lectures_and_the_secretary_lecture(cast, meeting):
    other = meeting(cast.a, "party_lecture", D(2026, 3, 5), lecturer_type="superior_leader")
    with at(D(2027, 1, 1)):
        report = branch_report(cast.a, "2026")
        assert rule(report, "secretary_lecture").status == MISSING
        assert rule(report, "party_lecture").windows[0].meeting_ids == [other.pk]
        assert [w.status for w in rule(report, "party_lecture").windows] == [MET, MISSING, MISSING, MISSING]
        own = meeting(cast.a, "party_lecture", D(2026, 12, 31), lecturer_type="branch_secretary")
        report = branch_report(cast.a, "2026")
    assert rule(report, "secretary_lecture").meeting_ids == [own.pk]
    assert rule(report, "secretary_lecture").status == MET


def test_yearly_rules_over_a_quarter_stay_open_until_year_end(cast, meeting):
    with at(D(2026, 12, 31)):
        assert rule(branch_report(cast.a, "2026-Q3"), "org_life").status == OPEN
    with at(D(2027, 1, 1)):
        assert rule(branch_report(cast.a, "2026-Q3"), "org_life").status == MISSING
        meeting(cast.a, "org_life", D(2026, 12, 20))
        meeting(cast.a, "appraisal", D(2026, 12, 20))
        report = branch_report(cast.a, "2026-Q3")
    assert rule(report, "org_life").status == MET and rule(report, "appraisal").status == MET


def test_talks_per_pair_type(cast):
    for pair in ("committee_committee", "committee_member"):
        Talk.objects.create(organization=cast.a, held_on=D(2026, 5, 1), pair_type=pair, topic="谈心")
    with at(D(2027, 1, 1)):
        result = rule(branch_report(cast.a, "2026"), "talk")
    assert [w.status for w in result.windows] == [MET, MET, MISSING]
    assert result.status == MISSING and result.required == 3


def test_override_for_one_subtree_with_its_effective_dates(cast, meeting):
    # c1 switches the 主题党日 off from Q3 2026 to the end of the year; d (under c2) keeps it.
    ComplianceRule.objects.create(
        code="themed_day",
        organization=cast.c1,
        enabled=False,
        frequency="month",
        effective_from=D(2026, 7, 1),
        effective_to=D(2026, 12, 31),
    )
    # ... and branch b, inside c1, requires two 党课 a quarter.
    ComplianceRule.objects.create(
        code="party_lecture",
        organization=cast.b,
        frequency="quarter",
        min_count=2,
        effective_from=D(2026, 1, 1),
    )
    meeting(cast.b, "party_lecture", D(2026, 8, 1))
    with at(D(2027, 2, 1)):
        q3 = evaluate(cast.root, parse_period("2026-Q3"))
        q2 = evaluate(cast.root, parse_period("2026-Q2"))
        jan = evaluate(cast.root, parse_period("2027-01"))
    assert rule(q3, "themed_day", cast.a).status == NOT_APPLICABLE
    assert rule(q3, "themed_day", cast.b).status == NOT_APPLICABLE
    assert rule(q3, "themed_day", cast.d).status == MISSING
    assert rule(q2, "themed_day", cast.a).status == MISSING  # before the override
    assert rule(jan, "themed_day", cast.a).status == MISSING  # after its effective_to
    lecture_b = rule(q3, "party_lecture", cast.b)
    assert (lecture_b.status, lecture_b.required, lecture_b.held) == (MISSING, 2, 1)
    assert rule(q3, "party_lecture", cast.a).required == 1


def test_a_newer_global_rule_replaces_the_older(cast):
    ComplianceRule.objects.create(
        code="general_meeting", frequency="month", min_count=1, effective_from=D(2026, 8, 1)
    )
    with at(D(2026, 10, 1)):
        q3 = rule(branch_report(cast.a, "2026-Q3"), "general_meeting")
        july = rule(branch_report(cast.a, "2026-07"), "general_meeting")
    # The quarterly rule governs the quarter (in force on its first day); the monthly one from August.
    assert [w.window.code for w in q3.windows] == ["2026-Q3"]
    assert [w.window.code for w in july.windows] == ["2026-Q3"]
    with at(D(2026, 10, 1)):
        q4 = rule(branch_report(cast.a, "2026-Q4"), "general_meeting")
    assert [w.window.code for w in q4.windows] == ["2026-10", "2026-11", "2026-12"]


def test_committee_rolls_up_over_its_subtree(cast, meeting):
    meeting(cast.a, "themed_day", D(2026, 9, 1))
    with at(D(2026, 10, 1)):
        report = evaluate(cast.c1, parse_period("2026-09"))
    assert [b.id for b in report.branches] == [cast.a.pk, cast.b.pk]
    themed = next(r for r in report.rules if r.code == "themed_day")
    assert themed.counts[MET] == 1 and themed.counts[MISSING] == 1
    assert themed.status == MISSING and themed.met_rate == 50


def _add_branches(parent, n, meeting):
    parent = Organization.objects.get(pk=parent.pk)
    for i in range(n):
        parent.refresh_from_db()
        branch = Organization.objects.add_child(parent, {"name": f"新支部{i}", "kind": "branch"})
        group = Organization.objects.add_child(branch, {"name": f"新支部{i}党小组", "kind": "party_group"})
        meeting(branch, "group_meeting", D(2026, 7, 2), group=group, themed=True)
        Talk.objects.create(
            organization=branch, held_on=D(2026, 7, 3), pair_type="member_member", topic="谈心"
        )


def test_query_count_is_fixed_whatever_the_subtree_size(cast, meeting, django_assert_num_queries):
    _add_branches(cast.c1, 2, meeting)
    period = parse_period("2026-Q3")
    with at(D(2026, 10, 1)):
        with django_assert_num_queries(5):  # rules, organisations, full members, meetings, talks
            small = evaluate(cast.c1, period)
        _add_branches(cast.c1, 30, meeting)
        with django_assert_num_queries(5):
            large = evaluate(cast.c1, period)
    assert len(small.branches) == 4 and len(large.branches) == 34
    assert large.branches[-1].rules["group_meeting"].status == MISSING  # Aug, Sep missing


def _snapshot(branch):
    return (
        branch.id,
        branch.full_members,
        {
            code: (
                r.status,
                r.required,
                r.held,
                r.meeting_ids,
                [(w.unit_id, w.unit, w.status) for w in r.windows],
            )
            for code, r in branch.rules.items()
        },
    )


def test_evaluating_some_branches_gives_their_results_from_narrowed_queries(
    cast, meeting, django_assert_num_queries
):
    """`only`: a page of branches — the same results as over the whole subtree (their 党小组
    included), from the same five queries, each restricted to those branches."""
    _add_branches(cast.c1, 6, meeting)
    meeting(cast.a, "group_meeting", D(2026, 8, 5), group=cast.a_group)
    period = parse_period("2026-Q3")
    with at(D(2026, 10, 1)):
        whole = evaluate(cast.c1, period)
        some = list(Organization.objects.filter(kind="branch", path__startswith=cast.c1.path))[::3]
        with django_assert_num_queries(5) as captured:
            part = evaluate(cast.c1, period, only=some)
    assert [b.id for b in part.branches] == sorted((b.id for b in some), key=lambda pk: whole.branch(pk).path)
    assert [_snapshot(b) for b in part.branches] == [_snapshot(whole.branch(b.id)) for b in part.branches]
    meetings_sql = next(q["sql"] for q in captured.captured_queries if "meetings_meeting" in q["sql"])
    assert '"organization_id" IN' in meetings_sql
    with django_assert_num_queries(1):  # only the rules: no branch, nothing else to read
        assert evaluate(cast.c1, period, only=[]).branches == []
