"""Scale data for members (generate_scale_data --tier S): realistic distributions, valid unique
身份证号, development steps in order and within the 细则 rules, and the stored schedule equal to the
one the services compute."""

import datetime
import io
import random
from collections import Counter, defaultdict

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from branches.models import CommitteePost, Organization, PostRole
from members.development import add_months
from members.models import (
    CURRENT_STATUSES,
    PIPELINE_STATUSES,
    DevelopmentStep,
    DuesCategory,
    Member,
    MemberStatus,
    MobileRecord,
    StatusChange,
)
from members.protected import MOBILE_PATTERN, id_number_problems
from members.services.development import refresh_schedule
from members.services.records import validate_member


def generated():
    root = Organization.objects.get(code="SCALE-S", depth=1)
    return Member.objects.filter(branch__path__startswith=root.path)


@pytest.fixture
def tier_s(scale_tier_s, db):
    return generated()


def test_distributions(tier_s):
    members = list(tier_s.defer("id_number", "phone"))
    assert len(members) == 5000
    share = Counter(m.status for m in members)
    total = len(members)
    assert 0.80 <= share[MemberStatus.FULL] / total <= 0.88
    assert 0.03 <= share[MemberStatus.PROBATIONARY] / total <= 0.07
    pipeline = sum(share[s] for s in PIPELINE_STATUSES)
    assert 0.07 <= pipeline / total <= 0.13
    assert all(share[s] for s in PIPELINE_STATUSES)
    ended = total - sum(share[s] for s in CURRENT_STATUSES)
    assert 0 < ended / total < 0.03
    today = timezone.localdate()
    ages = [m.age(today) for m in members]
    assert min(ages) >= 22 and max(ages) <= 91
    by_category = defaultdict(list)
    for member, age in zip(members, ages, strict=True):
        by_category[member.dues_category].append(age)
    # Tier S has organ, enterprise, community and village branches (students come with schools).
    assert {DuesCategory.IN_SERVICE, DuesCategory.RETIRED, DuesCategory.FARMER} <= set(by_category)
    assert len(by_category) >= 6
    mean = {c: sum(a) / len(a) for c, a in by_category.items()}
    assert mean[DuesCategory.RETIRED] > 65 > mean[DuesCategory.IN_SERVICE]
    assert 0.015 <= sum(m.is_mobile for m in members) / total <= 0.05
    assert MobileRecord.objects.filter(member__in=tier_s).count() == sum(m.is_mobile for m in members)
    assert any(m.is_elderly_infirm for m in members) and any(m.is_hardship for m in members)
    assert all(m.quorum_exclusion_reason for m in members if m.quorum_excluded)
    # Branch sizes vary; every branch has members and almost every one a secretary.
    sizes = Counter(m.branch_id for m in members)
    assert len(sizes) == 88
    assert 25 <= min(sizes.values()) < max(sizes.values()) <= 90  # 0.5–1.5 × the mean of 57
    secretaries = CommitteePost.objects.filter(member__in=tier_s, role=PostRole.SECRETARY)
    assert secretaries.count() >= 85
    assert set(secretaries.values_list("member__status", flat=True)) == {MemberStatus.FULL}


def test_protected_values_are_valid_unique_and_encrypted(tier_s):
    rows = list(tier_s.only("id_number", "id_masked", "phone", "phone_masked", "birth_date", "gender"))
    for member in rows:
        assert id_number_problems(member.id_number, birth_date=member.birth_date, gender=member.gender) == []
        assert member.id_masked == member.id_number[:6] + "********" + member.id_number[14:]
        if member.phone:
            assert MOBILE_PATTERN.match(member.phone)
            assert member.phone_masked == member.phone[:3] + "****" + member.phone[7:]
    assert len({m.id_number for m in rows}) == len(rows)
    assert sum(bool(m.phone) for m in rows) / len(rows) >= 0.85
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone FROM members_member WHERE id_masked <> '' LIMIT 200")
        for id_cipher, phone_cipher in cursor.fetchall():
            assert not id_cipher[:17].isdigit() and not (phone_cipher or "x").isdigit()


def test_pipeline_steps_follow_the_rules_and_the_stored_schedule_is_the_services(tier_s):
    today = timezone.localdate()
    people = list(
        tier_s.filter(status__in=(*PIPELINE_STATUSES, MemberStatus.PROBATIONARY))
        .select_related("branch")
        .defer("id_number", "phone")
    )
    steps = defaultdict(dict)
    for member_id, no, done_on in DevelopmentStep.objects.filter(member__in=people).values_list(
        "member_id", "step_no", "done_on"
    ):
        steps[member_id][no] = done_on
    assert {p.next_step_no for p in people} - {None} and any(p.next_step_due for p in people)
    overdue = sum(1 for p in people if p.next_step_due and p.next_step_due < today)
    assert 0 < overdue < len(people) / 2
    for person in people:
        done = steps[person.pk]
        assert sorted(done) == list(range(1, max(done) + 1)), person.pk  # no gaps
        dates = [done[no] for no in sorted(done)]
        assert dates == sorted(dates) and dates[-1] <= today
        assert person.age(done[1]) >= 18
        assert person.applied_on == done[1]
        if 7 in done:
            assert done[7] >= add_months(done[3], 12)  # a year as activist first
            assert person.target_on == done[7]
        if person.status == MemberStatus.PROBATIONARY:
            assert max(done) >= 17
            assert add_months(person.admitted_on, 12) > today  # admitted under 12 months ago
            assert person.probation_end_on == add_months(person.admitted_on, 12)
            assert done[17] <= add_months(done[15], 3)
        else:
            assert max(done) <= 16
        stored = (person.next_step_no, person.next_step_due, person.next_step_earliest)
        schedule = refresh_schedule(person)  # recomputes from the rows, as the services do
        assert (schedule.next_no, schedule.deadline, schedule.earliest) == stored, person.pk
    changes = StatusChange.objects.filter(member__in=people, to_status=MemberStatus.ACTIVIST)
    assert changes.count() == sum(1 for p in people if 3 in steps[p.pk])


def test_records_pass_the_services_validation(tier_s):
    sample = random.Random(1).sample(list(tier_s.select_related("branch", "party_group")), 150)
    for member in sample:
        validate_member(member)  # raises with the field errors if anything is off


def test_replace_removes_members_and_their_rows_in_bulk(tier_s):
    counts = (tier_s.count(), DevelopmentStep.objects.count(), StatusChange.objects.count())
    started = datetime.datetime.now()
    call_command("generate_scale_data", "--tier", "S", "--replace", stdout=io.StringIO())
    assert (datetime.datetime.now() - started).total_seconds() < 60
    assert (generated().count(), DevelopmentStep.objects.count(), StatusChange.objects.count()) == counts
    assert Member.objects.count() == counts[0]  # nothing of the old tree left behind
