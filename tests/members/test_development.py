"""The 25-step development pipeline: every 细则 time rule at its boundary (frozen time), the next
step and its due date, and the status each step leads to."""

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from members.models import DevelopmentRule, Member, MemberStatus, StatusChange
from members.services.development import (
    RuleWarnings,
    assessment_record,
    probation_cancel,
    probation_extend,
    step_record,
)
from members.services.records import member_create

D = datetime.date
TZ = datetime.timezone(datetime.timedelta(hours=8))


def at(day):
    return time_machine.travel(datetime.datetime(day.year, day.month, day.day, 12, tzinfo=TZ), tick=False)


BORN = D(1995, 3, 1)


def applicant(cast, *, birth=BORN, applied_on=None, name="张小明"):
    return member_create(
        user=cast.secretary_a,
        branch=cast.a,
        status=MemberStatus.APPLICANT,
        name=name,
        gender="male",
        birth_date=birth,
        applied_on=applied_on,
    )


def fresh(member):
    return Member.objects.get(pk=member.pk)


@pytest.fixture
def sponsors(cast):
    from tests.conftest import make_member

    return [make_member(cast.a, "介绍人一"), make_member(cast.a, "介绍人二")]


VOTE = {"eligible": 10, "present": 8, "ayes": 8}


def details(no, sponsors, done_on):
    if no == 5:
        return {"cultivators": [sponsors[0].pk]}
    if no == 9:
        return {"sponsors": [s.pk for s in sponsors]}
    if no == 11:
        return {"hours": 24, "days": 3}
    if no in (15, 23):
        start = done_on - datetime.timedelta(days=10)
        return {
            "notice_from": start.isoformat(),
            "notice_to": (done_on - datetime.timedelta(days=1)).isoformat(),
            **VOTE,
        }
    return {}


def walk(cast, member, sponsors, dates):
    """Record steps in order on the given dates: {step_no: date}."""
    for no, day in sorted(dates.items()):
        with at(max(day, D(2026, 11, 22))):
            step_record(
                user=cast.secretary_a,
                member=member,
                step_no=no,
                done_on=day,
                detail=details(no, sponsors, day),
                confirm_warnings=True,
            )
    return fresh(member)


# --- Stage 1: application and talk ---------------------------------------------------------------


def test_an_applicant_must_be_eighteen_on_the_day_of_application(cast):
    person = applicant(cast, birth=D(2008, 3, 1))
    with at(D(2026, 3, 1)):
        with pytest.raises(ValidationError) as exc:
            step_record(user=cast.secretary_a, member=person, step_no=1, done_on=D(2026, 2, 28))
        assert "年满18周岁" in str(exc.value)
        step_record(user=cast.secretary_a, member=person, step_no=1, done_on=D(2026, 3, 1))
    assert fresh(person).applied_on == D(2026, 3, 1)


def test_the_next_step_after_an_application_is_the_talk_due_within_thirty_days(cast):
    person = applicant(cast)
    assert fresh(person).next_step_no == 1
    with at(D(2026, 1, 10)):
        step_record(user=cast.secretary_a, member=person, step_no=1, done_on=D(2026, 1, 10))
    person = fresh(person)
    assert (person.next_step_no, person.next_step_due) == (2, D(2026, 2, 9))


def test_creating_an_applicant_with_an_application_date_records_step_one(cast):
    with at(D(2026, 5, 5)):
        person = applicant(cast, applied_on=D(2026, 5, 1))
    assert person.development_steps.get().step_no == 1
    assert (fresh(person).next_step_no, fresh(person).next_step_due) == (2, D(2026, 5, 31))


def test_a_talk_on_the_last_day_is_on_time_and_a_day_later_warns(cast):
    on_time, late = (
        applicant(cast, applied_on=D(2026, 1, 10)),
        applicant(cast, applied_on=D(2026, 1, 10), name="李四"),
    )
    with at(D(2026, 2, 10)):
        step_record(user=cast.secretary_a, member=on_time, step_no=2, done_on=D(2026, 2, 9))
        with pytest.raises(RuleWarnings) as exc:
            step_record(user=cast.secretary_a, member=late, step_no=2, done_on=D(2026, 2, 10))
        assert "逾期1天" in exc.value.warnings[0]
        assert not late.development_steps.filter(step_no=2).exists()
        record = step_record(
            user=cast.secretary_a, member=late, step_no=2, done_on=D(2026, 2, 10), confirm_warnings=True
        )
    assert "逾期1天" in record.detail["warnings"][0]


def test_steps_are_recorded_in_order_once_and_never_in_the_future(cast):
    person = applicant(cast, applied_on=D(2026, 1, 10))
    with at(D(2026, 1, 20)):
        with pytest.raises(ValidationError, match="下一步是第2步"):
            step_record(user=cast.secretary_a, member=person, step_no=3, done_on=D(2026, 1, 15))
        with pytest.raises(ValidationError, match="已登记"):
            step_record(user=cast.secretary_a, member=person, step_no=1, done_on=D(2026, 1, 15))
        with pytest.raises(ValidationError, match="不能晚于今天"):
            step_record(user=cast.secretary_a, member=person, step_no=2, done_on=D(2026, 1, 21))
        with pytest.raises(ValidationError, match="不能早于上一步骤"):
            step_record(user=cast.secretary_a, member=person, step_no=2, done_on=D(2026, 1, 9))


def test_only_the_branch_and_the_committee_above_record_steps(cast):
    person = applicant(cast, applied_on=D(2026, 1, 10))
    with at(D(2026, 1, 20)):
        for user in (cast.secretary_b, cast.other_committee, cast.member_a):
            with pytest.raises(PermissionDenied):
                step_record(user=user, member=person, step_no=2, done_on=D(2026, 1, 15))
        step_record(user=cast.committee, member=person, step_no=2, done_on=D(2026, 1, 15))


# --- Stage 2–3: activist, assessments, development target -----------------------------------------


def test_activist_status_and_assessment_every_six_months(cast, sponsors):
    person = walk(
        cast, applicant(cast, applied_on=D(2025, 1, 6)), sponsors, {2: D(2025, 1, 20), 3: D(2025, 3, 1)}
    )
    assert person.status == MemberStatus.ACTIVIST and person.activist_on == D(2025, 3, 1)
    assert StatusChange.objects.filter(member=person, to_status=MemberStatus.ACTIVIST).exists()
    assert person.next_step_no == 4 and person.next_step_due == D(2025, 9, 1)  # first assessment due
    with at(D(2025, 8, 30)):
        assessment_record(user=cast.secretary_a, member=person, kind="assessment", done_on=D(2025, 8, 30))
    assert fresh(person).next_step_due == D(2026, 2, 28)


def test_a_development_target_only_after_a_full_year_as_activist(cast, sponsors):
    person = walk(
        cast,
        applicant(cast, applied_on=D(2025, 1, 6)),
        sponsors,
        {2: D(2025, 1, 20), 3: D(2025, 3, 1), 4: D(2025, 3, 5), 5: D(2025, 3, 6), 6: D(2026, 2, 27)},
    )
    assert person.next_step_no == 7 and person.next_step_earliest == D(2026, 3, 1)
    with at(D(2026, 3, 1)):
        with pytest.raises(ValidationError, match="满12个月后"):
            step_record(user=cast.secretary_a, member=person, step_no=7, done_on=D(2026, 2, 28))
        with pytest.raises(RuleWarnings, match="没有培养考察记录"):  # no half-yearly assessments
            step_record(user=cast.secretary_a, member=person, step_no=7, done_on=D(2026, 3, 1))
        step_record(
            user=cast.secretary_a, member=person, step_no=7, done_on=D(2026, 3, 1), confirm_warnings=True
        )
    person = fresh(person)
    assert person.status == MemberStatus.DEVELOPMENT_TARGET and person.target_on == D(2026, 3, 1)


def test_assessments_on_time_give_no_warning(cast, sponsors):
    person = walk(
        cast,
        applicant(cast, applied_on=D(2025, 1, 6)),
        sponsors,
        {2: D(2025, 1, 20), 3: D(2025, 3, 1), 4: D(2025, 3, 5), 5: D(2025, 3, 6), 6: D(2026, 2, 27)},
    )
    with at(D(2026, 3, 1)):
        for day in (D(2025, 9, 1), D(2026, 2, 28)):
            assessment_record(user=cast.secretary_a, member=person, kind="assessment", done_on=day)
        step_record(user=cast.secretary_a, member=person, step_no=7, done_on=D(2026, 3, 1))


def test_cultivators_and_sponsors_must_be_full_members(cast, sponsors):
    from tests.conftest import make_member

    probationary = make_member(cast.a, "预备甲", status=MemberStatus.PROBATIONARY)
    person = walk(
        cast,
        applicant(cast, applied_on=D(2025, 1, 6)),
        sponsors,
        {2: D(2025, 1, 20), 3: D(2025, 3, 1), 4: D(2025, 3, 5)},
    )
    with at(D(2025, 3, 10)):
        with pytest.raises(ValidationError, match="1至2名培养联系人"):
            step_record(
                user=cast.secretary_a,
                member=person,
                step_no=5,
                done_on=D(2025, 3, 6),
                detail={"cultivators": []},
            )
        with pytest.raises(ValidationError, match="须为正式党员：预备甲"):
            step_record(
                user=cast.secretary_a,
                member=person,
                step_no=5,
                done_on=D(2025, 3, 6),
                detail={"cultivators": [probationary.pk]},
            )
    person = walk(
        cast, person, sponsors, {5: D(2025, 3, 6), 6: D(2026, 3, 2), 7: D(2026, 3, 2), 8: D(2026, 3, 3)}
    )
    with at(D(2026, 3, 10)):
        with pytest.raises(ValidationError, match="须确定2名入党介绍人"):
            step_record(
                user=cast.secretary_a,
                member=person,
                step_no=9,
                done_on=D(2026, 3, 4),
                detail={"sponsors": [sponsors[0].pk]},
            )
        with pytest.raises(ValidationError, match="须为正式党员"):
            step_record(
                user=cast.secretary_a,
                member=person,
                step_no=9,
                done_on=D(2026, 3, 4),
                detail={"sponsors": [sponsors[0].pk, probationary.pk]},
            )
        step = step_record(
            user=cast.secretary_a,
            member=person,
            step_no=9,
            done_on=D(2026, 3, 4),
            detail={"sponsors": [s.pk for s in sponsors]},
        )
    assert {s["name"] for s in step.detail["sponsors"]} == {"介绍人一", "介绍人二"}


@pytest.mark.parametrize(
    ("hours", "days", "ok"), [(23, 2, False), (24, 0, True), (0, 3, True), (20, 2, False)]
)
def test_intensive_training_three_days_or_twenty_four_hours(cast, sponsors, hours, days, ok):
    person = _target_ready_for(cast, sponsors, 11)
    with at(D(2026, 4, 1)):
        call = lambda: step_record(  # noqa: E731
            user=cast.secretary_a,
            member=person,
            step_no=11,
            done_on=D(2026, 3, 20),
            detail={"hours": hours, "days": days},
        )
        if ok:
            call()
        else:
            with pytest.raises(ValidationError, match="不少于3天或24学时"):
                call()


def _target_ready_for(cast, sponsors, step_no, *, extra=None):
    dates = {
        2: D(2025, 1, 20),
        3: D(2025, 3, 1),
        4: D(2025, 3, 5),
        5: D(2025, 3, 6),
        6: D(2026, 3, 2),
        7: D(2026, 3, 2),
        8: D(2026, 3, 3),
        9: D(2026, 3, 4),
        10: D(2026, 3, 10),
        11: D(2026, 3, 20),
        12: D(2026, 3, 25),
        13: D(2026, 3, 30),
        14: D(2026, 4, 1),
    }
    dates.update(extra or {})
    return walk(
        cast,
        applicant(cast, applied_on=D(2025, 1, 6)),
        sponsors,
        {n: d for n, d in dates.items() if n < step_no},
    )


# --- Stage 4: 公示, the vote, approval -----------------------------------------------------------------


def test_notice_before_admission_needs_five_working_days_before_the_meeting(cast, sponsors):
    person = _target_ready_for(cast, sponsors, 15)
    meeting = D(2026, 4, 20)  # a Monday
    with at(meeting):
        # Mon 13 – Thu 16 April: 4 working days
        short = {"notice_from": "2026-04-13", "notice_to": "2026-04-16", **VOTE}
        with pytest.raises(ValidationError, match="不少于5个工作日，所填期间只有4个工作日"):
            step_record(user=cast.secretary_a, member=person, step_no=15, done_on=meeting, detail=short)
        # Thu 9 – Wed 15 April spans a weekend: 5 working days
        step_record(
            user=cast.secretary_a,
            member=person,
            step_no=15,
            done_on=meeting,
            detail={"notice_from": "2026-04-09", "notice_to": "2026-04-15", **VOTE},
        )
    person = fresh(person)
    assert person.admitted_on == meeting
    assert person.next_step_no == 16 and person.next_step_due == D(2026, 7, 20)


def test_a_subtree_rule_changes_the_notice_period(cast, sponsors):
    DevelopmentRule.objects.create(
        code="notice_working_days", value=7, effective_from=D(2020, 1, 1), organization=cast.c1
    )
    person = _target_ready_for(cast, sponsors, 15)
    with at(D(2026, 4, 20)), pytest.raises(ValidationError, match="不少于7个工作日"):
        step_record(
            user=cast.secretary_a,
            member=person,
            step_no=15,
            done_on=D(2026, 4, 20),
            detail={"notice_from": "2026-04-09", "notice_to": "2026-04-15", **VOTE},
        )


@pytest.mark.parametrize(
    ("vote", "message"),
    [
        ({"eligible": 10, "present": 5, "ayes": 5}, "未超过应到会人数的半数"),
        ({"eligible": 10, "present": 8, "ayes": 5}, "赞成票未超过"),
        ({"eligible": 10, "present": 6, "ayes": 6}, None),
    ],
)
def test_the_admission_vote_needs_a_quorum_and_a_majority_of_those_entitled(cast, sponsors, vote, message):
    person = _target_ready_for(cast, sponsors, 15)
    detail = {"notice_from": "2026-04-09", "notice_to": "2026-04-15", **vote}
    with at(D(2026, 4, 20)):
        if message:
            with pytest.raises(ValidationError, match=message):
                step_record(
                    user=cast.secretary_a, member=person, step_no=15, done_on=D(2026, 4, 20), detail=detail
                )
        else:
            step_record(
                user=cast.secretary_a, member=person, step_no=15, done_on=D(2026, 4, 20), detail=detail
            )


def _admitted(cast, sponsors):
    person = _target_ready_for(cast, sponsors, 15)
    return walk(cast, person, sponsors, {15: D(2026, 4, 20), 16: D(2026, 5, 1)})


def test_superior_approval_within_three_months_plus_three(cast, sponsors):
    on_time, late, too_late = (_admitted(cast, sponsors) for _ in range(3))
    with at(D(2026, 11, 22)):
        step_record(user=cast.secretary_a, member=on_time, step_no=17, done_on=D(2026, 7, 20))
        with pytest.raises(RuleWarnings, match="超过3个月期限"):
            step_record(user=cast.secretary_a, member=late, step_no=17, done_on=D(2026, 7, 21))
        step_record(
            user=cast.secretary_a, member=late, step_no=17, done_on=D(2026, 10, 20), confirm_warnings=True
        )
        with pytest.raises(ValidationError, match="最多延长3个月"):
            step_record(
                user=cast.secretary_a,
                member=too_late,
                step_no=17,
                done_on=D(2026, 10, 21),
                confirm_warnings=True,
            )
    on_time = fresh(on_time)
    assert on_time.status == MemberStatus.PROBATIONARY
    # Probation: one year from the branch meeting (20 April), not from the approval.
    assert on_time.probation_end_on == D(2027, 4, 20)


# --- Stage 5: probation, regularisation, extension ------------------------------------------------------


def test_regularisation_not_before_the_probation_ends_and_party_age_from_it(cast, sponsors):
    person = walk(
        cast,
        _admitted(cast, sponsors),
        sponsors,
        {17: D(2026, 6, 1), 18: D(2026, 6, 5), 19: D(2026, 6, 6), 20: D(2026, 7, 1), 21: D(2026, 10, 1)},
    )
    with at(D(2027, 4, 25)):
        step_record(user=cast.secretary_a, member=person, step_no=22, done_on=D(2027, 3, 20))
        person = fresh(person)
        assert (person.next_step_no, person.next_step_earliest, person.next_step_due) == (
            23,
            D(2027, 4, 20),
            D(2027, 4, 20),
        )
        with pytest.raises(ValidationError, match="不得提前讨论转正"):
            step_record(
                user=cast.secretary_a,
                member=person,
                step_no=23,
                done_on=D(2027, 4, 19),
                detail=details(23, sponsors, D(2027, 4, 19)),
            )
        step_record(
            user=cast.secretary_a,
            member=person,
            step_no=23,
            done_on=D(2027, 4, 20),
            detail=details(23, sponsors, D(2027, 4, 20)),
        )
        step_record(user=cast.secretary_a, member=person, step_no=24, done_on=D(2027, 4, 25))
    person = fresh(person)
    assert person.status == MemberStatus.FULL
    assert person.regularised_on == D(2027, 4, 20)  # 转正时间为预备期满之日
    assert person.party_age(D(2028, 4, 19)) == 0 and person.party_age(D(2028, 4, 20)) == 1
    assert person.next_step_no == 25


def test_probation_extends_once_by_six_to_twelve_months(cast, sponsors):
    person = walk(cast, _admitted(cast, sponsors), sponsors, {17: D(2026, 6, 1)})
    with at(D(2027, 4, 20)):
        with pytest.raises(ValidationError, match="6至12个月"):
            probation_extend(
                user=cast.secretary_a, member=person, months=5, decided_on=D(2027, 4, 20), approval_ref="X"
            )
        probation_extend(
            user=cast.secretary_a,
            member=person,
            months=6,
            decided_on=D(2027, 4, 20),
            approval_ref="组字〔2027〕3号",
        )
        with pytest.raises(ValidationError, match="只能延长一次"):
            probation_extend(
                user=cast.secretary_a, member=person, months=6, decided_on=D(2027, 4, 20), approval_ref="X"
            )
    person = fresh(person)
    assert person.probation_end_on == D(2027, 10, 20)


def test_probation_can_be_cancelled_with_a_reason_and_approval(cast, sponsors):
    person = walk(cast, _admitted(cast, sponsors), sponsors, {17: D(2026, 6, 1)})
    with at(D(2026, 11, 22)):
        with pytest.raises(ValidationError):
            probation_cancel(
                user=cast.secretary_a, member=person, decided_on=D(2026, 11, 20), approval_ref="", reason="x"
            )
        probation_cancel(
            user=cast.secretary_a,
            member=person,
            decided_on=D(2026, 11, 20),
            approval_ref="组字〔2026〕9号",
            reason="不履行党员义务",
        )
    person = fresh(person)
    assert person.status == MemberStatus.PROBATION_CANCELLED and person.next_step_no is None


def test_a_roster_entered_mid_pipeline_continues_from_its_status(cast):
    with at(D(2026, 11, 22)):
        person = member_create(
            user=cast.secretary_a,
            branch=cast.a,
            status=MemberStatus.ACTIVIST,
            name="王五",
            gender="female",
            birth_date=D(2000, 1, 1),
            applied_on=D(2025, 5, 1),
            activist_on=D(2025, 12, 1),
        )
    person = fresh(person)
    assert person.next_step_no == 4 and person.next_step_due == D(2026, 6, 1)
