"""compliance.metrics against hand-built data: the engine's statuses, attendance, the dues ledger,
rectification counts, development steps, the score and RAG with its reasons; a fixed number of
queries at two subtree sizes."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from compliance import engine
from compliance.metrics import AMBER, GREEN, RED, branch_metrics
from compliance.models import RuleCode, ScoreRule
from compliance.periods import parse_period

from .conftest import TODAY

pytestmark = pytest.mark.django_db


def figures(org, period="2026-Q2"):
    with time_machine.travel(TODAY):
        return branch_metrics(org, parse_period(period))


def test_branch_figures_against_hand_built_data(cast, world):
    m = figures(cast.c1)
    a = m.branch(cast.a.pk)
    assert a.rules[RuleCode.COMMITTEE_MEETING].status == engine.MISSING
    assert a.rules[RuleCode.COMMITTEE_MEETING].required == 3 and a.rules[RuleCode.COMMITTEE_MEETING].held == 2
    assert a.rules[RuleCode.THEMED_DAY].status == engine.MET
    assert RuleCode.COMMITTEE_MEETING in a.missing_rules
    assert (a.att_expected, a.att_present) == (32, 26)
    assert a.attendance_rate == Decimal("81.2")  # 81.25, rounded like the dues rates
    # 8 members × 3 months × ¥10; seven paid January–June in full.
    assert a.dues_due == Decimal("240.00") and a.dues_paid == Decimal("210.00")
    assert (a.dues_owing, a.dues_paid_up) == (24, 21)  # member-months
    assert a.rate_amount == Decimal("87.5") and a.rate_heads == Decimal("87.5")
    assert a.arrears_b6 == 1 and a.arrears_lapse == 1 and a.arrears_owed == Decimal("60.00")
    assert a.collected == Decimal("420.00") and a.remittance_status == "none"
    assert (a.items_open, a.items_overdue, a.items_closed) == (1, 1, 1)
    assert a.close_rate == Decimal("50.0")
    assert (a.dev_pipeline, a.dev_overdue) == (1, 1)
    assert a.rag == RED
    kinds = [r[0] for r in a.reasons]
    assert ("rule", RuleCode.COMMITTEE_MEETING, 1) in a.reasons and "lapse" in kinds
    assert "items_overdue" in kinds and "dev_overdue" in kinds
    b = m.branch(cast.b.pk)
    assert b.rag == RED and b.dues_due == 0
    assert a.rank == 1 and b.rank == 2


def test_agrees_with_the_engine(cast, world):
    with time_machine.travel(TODAY):
        report = engine.evaluate(cast.c1, parse_period("2026-Q2"))
    m = figures(cast.c1)
    for branch in report.branches:
        row = m.branch(branch.id)
        for code, rule in branch.rules.items():
            if rule.applicable:
                assert (row.rules[code].status, row.rules[code].required, row.rules[code].held) == (
                    rule.status,
                    rule.required,
                    rule.held,
                )
            else:
                assert code not in row.rules


def test_agrees_with_the_dues_ledger(cast, world):
    from dues import selectors as dues
    from dues.models import period_of

    with time_machine.travel(TODAY):
        (row,) = dues.rollup(
            cast.a, period_of(datetime.date(2026, 4, 1)), period_of(datetime.date(2026, 6, 1))
        )
    a = figures(cast.a).branch(cast.a.pk)
    assert (a.dues_due, a.dues_paid, a.dues_owing, a.dues_paid_up) == (
        row["due"],
        row["paid"],
        row["owing"],
        row["paid_up"],
    )
    assert a.rate_amount == row["rate_amount"] and a.rate_heads == row["rate_heads"]
    assert a.arrears_b6 == row["arrears"]["b6"] and a.arrears_lapse == row["arrears"]["lapse"]


def test_thresholds_come_from_the_rule_table(cast, world):
    ScoreRule.objects.create(
        effective_from=datetime.date(2026, 1, 1),
        organization=cast.c1,
        red_on_missing=False,
        red_on_lapse=False,
        red_below=10,
        amber_below=20,
    )
    a = figures(cast.c1).branch(cast.a.pk)
    assert a.rag == AMBER  # overdue items and steps still make it amber
    assert figures(cast.c2).branches[0].rag in (RED, AMBER, GREEN)


def test_a_fixed_number_of_queries_at_two_sizes(cast, world, full_members):
    from branches.models import Organization

    def count():
        with time_machine.travel(TODAY), CaptureQueriesContext(connection) as ctx:
            branch_metrics(Organization.objects.get(pk=cast.root.pk), parse_period("2026-Q2"))
        return len(ctx.captured_queries)

    small = count()
    for i in range(20):
        branch = Organization.objects.add_child(
            Organization.objects.get(pk=cast.c2.pk),
            {"name": f"新支部{i}", "kind": "branch", "field": "organ"},
        )
        full_members(branch, 3)
    assert count() == small
