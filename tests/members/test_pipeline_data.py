from members.models import DevelopmentRule, DevelopmentRuleCode, MemberStatus, Stage
from members.pipeline import STEP_BY_NO, STEPS


def test_twenty_five_steps_in_five_stages_in_order():
    assert [s.no for s in STEPS] == list(range(1, 26))
    assert [s.stage for s in STEPS] == sorted(s.stage for s in STEPS)
    assert {s.stage for s in STEPS} == set(Stage)
    # The statuses a person passes through, in the order the steps set them.
    assert [s.sets_status for s in STEPS if s.sets_status] == [
        MemberStatus.APPLICANT,
        MemberStatus.ACTIVIST,
        MemberStatus.DEVELOPMENT_TARGET,
        MemberStatus.PROBATIONARY,
        MemberStatus.FULL,
    ]
    assert STEP_BY_NO[15].sets_date == "admitted_on"  # probation runs from the branch meeting


def test_the_national_rule_defaults_are_loaded(cast):
    rules = DevelopmentRule.values_for(cast.a)
    assert rules["min_age_years"] == 18
    assert rules["activist_min_months"] == 12
    assert rules["probation_months"] == 12
    assert rules["notice_working_days"] == 5
    assert rules["training_min_hours"] == 24


def test_a_subtree_rule_overrides_the_default_for_its_branches_only(cast):
    import datetime

    DevelopmentRule.objects.create(
        code="notice_working_days", value=7, effective_from=datetime.date(2020, 1, 1), organization=cast.c1
    )
    assert DevelopmentRule.values_for(cast.a)["notice_working_days"] == 7
    assert DevelopmentRule.values_for(cast.d)["notice_working_days"] == 5


def test_the_national_defaults_apply_when_no_rule_row_is_in_force(cast):
    DevelopmentRule.objects.all().delete()
    rules = DevelopmentRule.values_for(cast.a)
    assert rules["talk_within_days"] == 30 and rules["probation_months"] == 12
    assert set(rules) == {c.value for c in DevelopmentRuleCode}


def test_the_defaults_match_the_migrated_rows(cast):
    from members.models.development import NATIONAL_DEFAULTS

    rows = {r.code: r.value for r in DevelopmentRule.objects.filter(organization=None)}
    assert rows == {str(c): v for c, v in NATIONAL_DEFAULTS.items()}
