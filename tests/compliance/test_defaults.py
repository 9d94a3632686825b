"""With no row in the rule table at all (a flushed database), the engine applies the national
defaults instead of reading every obligation as "not applicable"."""

import datetime

import time_machine

from compliance.defaults import DEFAULTS
from compliance.engine import evaluate
from compliance.models import ComplianceRule
from compliance.periods import parse_period
from tests.conftest import make_member


@time_machine.travel(datetime.datetime(2026, 9, 15, 10, tzinfo=datetime.UTC))
def test_an_empty_rule_table_falls_back_to_the_national_defaults(cast):
    for i in range(8):
        make_member(cast.a, f"党员{i}")
    with_table = evaluate(cast.a, parse_period("2026-09"))
    ComplianceRule.objects.all().delete()
    without = evaluate(cast.a, parse_period("2026-09"))
    [branch_with], [branch_without] = list(with_table.branches), list(without.branches)
    assert set(branch_without.rules) == set(DEFAULTS)
    for code in DEFAULTS:
        assert branch_without.rules[code].status == branch_with.rules[code].status, code
    assert branch_without.rules["committee_meeting"].status == "open"
