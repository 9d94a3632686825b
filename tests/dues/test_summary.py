"""The derived dues tables (dues.summary) agree exactly with the ledger after payments, reversals,
base corrections, exemptions, voluntary payments and a new month; a rebuild gives the same rows; the
roll-up and the lapse list read them in a fixed number of queries, whatever the subtree size."""

import datetime
import io
from collections import defaultdict
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from branches.models import Organization
from dues import selectors, services, summary
from dues.generation import generate_month, reconcile_month
from dues.models import (
    DuesArrearsState,
    DuesExemption,
    DuesMonthSummary,
    DuesObligation,
    DuesPayment,
    MonthRun,
    PaymentAllocation,
    period_of,
)
from tests.conftest import make_member

from .conftest import P

pytestmark = pytest.mark.django_db
TZ = datetime.timezone(datetime.timedelta(hours=8))
Z = Decimal("0.00")


def at(year, month, day=15):
    return time_machine.travel(datetime.datetime(year, month, day, 10, tzinfo=TZ))


def ledger_figures():
    """The summary's figures computed directly from the ledger rows, in Python."""
    rows = defaultdict(lambda: summary._figures())
    due = defaultdict(lambda: Z)
    for o in DuesObligation.objects.all():
        rows[(o.branch_id, o.period)]["due"] += o.amount
        due[(o.branch_id, o.period, o.member_id)] += o.amount
    for o in DuesObligation.objects.open_charges():
        rows[(o.branch_id, o.period)]["charges"] += 1
    paid_by_member = defaultdict(lambda: Z)
    for a in PaymentAllocation.objects.select_related("payment"):
        paid_by_member[(a.member_id, a.period)] += a.amount
        rows[(a.payment.branch_id, a.period)]["paid"] += a.amount
    for (branch, period, member), amount in due.items():
        if amount > 0:
            rows[(branch, period)]["owing"] += 1
            rows[(branch, period)]["paid_up"] += paid_by_member[(member, period)] >= amount
    for p in DuesPayment.objects.all():
        row = rows[(p.branch_id, period_of(p.paid_on))]
        row["received_regular" if p.kind == "regular" else "received_voluntary"] += p.amount
        if p.to_centre:
            row["received_centre"] += p.amount
    generated = set(MonthRun.objects.values_list("period", flat=True))
    for e in DuesExemption.objects.filter(status="approved", kind="exempt"):
        for period in range(e.start_period, e.end_period + 1):
            if period in generated:
                rows[(e.branch_id, period)]["exempt"] += 1
    return _nonzero(rows)


def _nonzero(rows):
    return {k: v for k, v in rows.items() if any(v.values())}


def summary_figures():
    return _nonzero(
        {
            (s.branch_id, s.period): summary._figures({c: getattr(s, c) for c in summary.COLUMNS})
            for s in DuesMonthSummary.objects.all()
        }
    )


def arrears_state():
    return {s.member_id: (s.months, s.amount, s.oldest, s.run) for s in DuesArrearsState.objects.all()}


def ledger_arrears(root):
    return {
        m: (a.months, a.amount, a.oldest, a.run) for m, a in selectors.ledger_arrears_in_subtree(root.path)
    }


def assert_agrees(cast):
    assert summary_figures() == ledger_figures()
    assert arrears_state() == ledger_arrears(cast.root)


def test_summary_follows_the_ledger(cast, base_for, django_capture_on_commit_callbacks):
    d_member = make_member(cast.d, "丁二")
    for m, amount in ((cast.mem_a, "10.00"), (cast.sec_a, "20.00"), (cast.sec_b, "5.00"), (d_member, "7.00")):
        base_for(m, amount)
    with at(2026, 4, 10):
        for period in range(P(2026, 1), P(2026, 5)):
            reconcile_month(period)
        assert_agrees(cast)
        assert DuesMonthSummary.objects.get(branch=cast.a, period=P(2026, 1)).due == Decimal("30.00")
        pay = services.dues_payment_record
        first = pay(
            user=cast.secretary_a, member=cast.mem_a, amount="30.00", paid_on=datetime.date(2026, 4, 10)
        )
        pay(user=cast.secretary_a, member=cast.sec_a, amount="25.00", paid_on=datetime.date(2026, 3, 31))
        pay(user=cast.secretary_b, member=cast.sec_b, amount="15.00", paid_on=datetime.date(2026, 4, 1))
        pay(
            user=cast.secretary_a,
            member=cast.mem_a,
            amount="1500.00",
            paid_on=datetime.date(2026, 4, 10),
            kind="voluntary",
        )
        assert_agrees(cast)
        row = DuesMonthSummary.objects.get(branch=cast.a, period=P(2026, 1))
        assert (row.owing, row.paid_up, row.paid) == (2, 2, Decimal("30.00"))  # mem_a 10, sec_a 20
        april = DuesMonthSummary.objects.get(branch=cast.a, period=P(2026, 4))
        assert april.received_regular == Decimal("30.00") and april.received_centre == Decimal("1500.00")
        services.dues_payment_reverse(user=cast.secretary_a, payment=first, reason="录入错误")
        assert_agrees(cast)
        assert DuesMonthSummary.objects.get(branch=cast.a, period=P(2026, 1)).paid == Decimal("20.00")
        pay(user=cast.secretary_a, member=cast.mem_a, amount="20.00", paid_on=datetime.date(2026, 4, 10))
        assert_agrees(cast)
        # An exemption approved for months already generated: reversals, counted as exempt.
        exemption = services.dues_exemption_request(
            user=cast.secretary_b,
            member=cast.sec_b,
            kind="exempt",
            start_period=P(2026, 3),
            end_period=P(2026, 4),
            reason="生活困难",
            decided_on=datetime.date(2026, 4, 1),
        )
        with django_capture_on_commit_callbacks(execute=True):
            services.dues_exemption_decide(user=cast.committee, exemption=exemption, approve=True)
        assert_agrees(cast)
        assert DuesMonthSummary.objects.get(branch=cast.b, period=P(2026, 3)).exempt == 1
        # A base correction (adjustment approved) from March.
        base = cast.mem_a.dues_bases.get()
        base.status = "locked"
        base.save()
        adjustment = services.dues_base_adjust(
            user=cast.secretary_a,
            base=base,
            category="in_service",
            income="6000.00",
            from_period=P(2026, 3),
            reason="岗位调整",
        )
        with django_capture_on_commit_callbacks(execute=True):
            services.dues_base_adjustment_decide(user=cast.committee, adjustment=adjustment, approve=True)
        assert_agrees(cast)
    assert DuesArrearsState.objects.get(member=d_member).months == 3
    with at(2026, 5, 1):
        generate_month()  # the new month: June's arrears state moves on (April now in arrears)
        assert DuesArrearsState.objects.get(member=d_member).months == 4
        assert_agrees(cast)
        before = summary_figures(), arrears_state()
        out = io.StringIO()
        call_command("dues_rebuild_summary", stdout=out)
        assert "summary rows" in out.getvalue()
        assert (summary_figures(), arrears_state()) == before


def test_lapse_list_reads_the_state(cast, base_for):
    base_for(cast.mem_a, "10.00", year=2025)
    with at(2026, 7, 1):
        for period in range(P(2026, 1), P(2026, 8)):
            reconcile_month(period)
        lapse = selectors.arrears_in_subtree(cast.root.path, lapse_only=True)
        assert [m for m, _a in lapse] == [cast.mem_a.pk]
        assert lapse[0][1].months == 6 and lapse[0][1].lapse_review
        assert lapse == selectors.ledger_arrears_in_subtree(cast.root.path, lapse_only=True)
        services.dues_payment_record(
            user=cast.secretary_a, member=cast.mem_a, amount="10.00", paid_on=datetime.date(2026, 7, 1)
        )
        # Paying the oldest month ends the run at five: no longer under review.
        assert selectors.arrears_in_subtree(cast.root.path, lapse_only=True) == []
        assert DuesArrearsState.objects.get(member=cast.mem_a).run == 5


def test_rebuild_command_for_one_subtree(cast, base_for):
    base_for(cast.mem_a, "10.00")
    with at(2026, 3, 10):
        reconcile_month(P(2026, 2))
        DuesMonthSummary.objects.all().delete()
        DuesArrearsState.objects.all().delete()
        call_command("dues_rebuild_summary", "--org", cast.c1.code, stdout=io.StringIO())
        assert DuesMonthSummary.objects.get(branch=cast.a, period=P(2026, 2)).due == Decimal("10.00")
        assert DuesArrearsState.objects.get(member=cast.mem_a).months == 1
    with pytest.raises(Exception, match="--org"):
        call_command("dues_rebuild_summary", "--org", "NO-SUCH", stdout=io.StringIO())


def _grow(parent, branches, members, base_for):
    for i in range(branches):
        branch = Organization.objects.add_child(
            Organization.objects.get(pk=parent.pk),
            {"name": f"扩展支部{i}", "kind": "branch", "field": "organ"},
        )
        for j in range(members):
            base_for(make_member(branch, f"扩展{i}-{j}"), "5.00")


def _queries(fn):
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def test_rollup_and_lapse_list_query_counts_fixed(cast, base_for, client_for):
    base_for(cast.mem_a, "10.00")
    with at(2026, 6, 10):
        for period in range(P(2026, 1), P(2026, 6)):
            reconcile_month(period)
        client = client_for(cast.committee)
        url = reverse("dues:org", args=[cast.c1.pk])
        small = (
            _queries(lambda: selectors.rollup(cast.c1, P(2026, 1), P(2026, 5))),
            _queries(lambda: selectors.arrears_in_subtree(cast.c1.path, lapse_only=True, limit=50)),
            _queries(lambda: client.get(url)),
        )
        _grow(cast.c1, 6, 8, base_for)
        for period in range(P(2026, 1), P(2026, 6)):
            reconcile_month(period)
        assert (
            DuesMonthSummary.objects.filter(branch__path__startswith=cast.c1.path).count() == 35
        )  # 7 branches with dues × 5 months
        rows = selectors.rollup(cast.c1, P(2026, 1), P(2026, 5))
        large = (
            _queries(lambda: selectors.rollup(cast.c1, P(2026, 1), P(2026, 5))),
            _queries(lambda: selectors.arrears_in_subtree(cast.c1.path, lapse_only=True, limit=50)),
            _queries(lambda: client.get(url)),
        )
    assert small == large
    assert small[0] <= 5 and small[1] <= 2
    assert len(rows) == 8 and sum(r["due"] for r in rows) == Decimal("10.00") * 5 + Decimal("5.00") * 48 * 5


def test_public_selectors(cast, base_for):
    base_for(cast.mem_a, "10.00")
    base_for(cast.sec_b, "4.00")
    with at(2026, 3, 10):
        reconcile_month(P(2026, 1))
        reconcile_month(P(2026, 2))
        services.dues_payment_record(
            user=cast.secretary_a, member=cast.mem_a, amount="10.00", paid_on=datetime.date(2026, 3, 1)
        )
        totals = summary.subtree_totals(cast.c1, P(2026, 1), P(2026, 3))
        months = summary.monthly_totals(cast.root, P(2026, 1), P(2026, 3))
        by_node = summary.arrears_by_node(cast.root, len(cast.root.path), 6)
    assert totals["due"] == Decimal("28.00") and totals["paid"] == Decimal("10.00")
    assert totals["owing"] == 4 and totals["paid_up"] == 1 and totals["received_regular"] == Decimal("10.00")
    assert months[P(2026, 1)]["paid"] == Decimal("10.00") and months[P(2026, 3)][
        "received_regular"
    ] == Decimal("10.00")
    assert by_node[cast.root.path]["owed"] == Decimal("18.00")  # mem_a 10 (Feb), sec_b 4 + 4
    assert summary.subtree_totals(cast.c2, P(2026, 1), P(2026, 3))["due"] == Z


def test_arrears_state_moves_on_month_by_month(cast, base_for):
    """Each month's generation moves the state on by one set-based step; after every step (and
    payments, partial ones, a reversal) it equals the ledger computed directly."""
    d_member = make_member(cast.d, "丁三")
    for m, amount in ((cast.mem_a, "10.00"), (cast.sec_a, "20.00"), (cast.sec_b, "5.00"), (d_member, "7.00")):
        base_for(m, amount)
    payments = {
        3: [(cast.secretary_a, cast.mem_a, "20.00")],
        5: [(cast.secretary_a, cast.sec_a, "15.00"), (cast.secretary_b, cast.sec_b, "5.00")],
        8: [(cast.secretary_a, cast.mem_a, "10.00")],
    }
    last = None
    for month in range(1, 11):
        with at(2026, month, 1):
            generate_month()
            assert_agrees(cast)
            for user, member, amount in payments.get(month, []):
                last = services.dues_payment_record(
                    user=user, member=member, amount=amount, paid_on=datetime.date(2026, month, 1)
                )
            if month == 9:
                services.dues_payment_reverse(user=cast.secretary_a, payment=last, reason="录错")
            assert_agrees(cast)
    with at(2026, 12, 2):  # November skipped: two steps at once
        generate_month()
        assert_agrees(cast)
    lapse = dict(selectors.arrears_in_subtree(cast.root.path, lapse_only=True))
    assert d_member.pk in lapse and lapse[d_member.pk].run == 10
