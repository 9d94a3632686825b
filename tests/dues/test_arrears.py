"""Arrears per member (months, amount, oldest month), buckets 1–2 / 3–5 / ≥ 6, the 6-consecutive-
months 自行脱党 review flag, the transfer letter's 党费交至, and remittance rolled up the tree."""

import datetime
from decimal import Decimal

import pytest
import time_machine

from dues import selectors, services
from dues.generation import reconcile_month
from dues.models import DuesBase, DuesObligation
from members.selectors_transfers import ledger_paid_through, outstanding_dues_months
from tests.conftest import make_member

from .conftest import P

pytestmark = pytest.mark.django_db
TZ = datetime.timezone(datetime.timedelta(hours=8))


def at(year, month, day=15):
    return time_machine.travel(datetime.datetime(year, month, day, 10, tzinfo=TZ))


def generate(first, last):
    for period in range(first, last + 1):
        reconcile_month(period)


@pytest.mark.parametrize(
    ("unpaid", "bucket", "flag"),
    [
        (1, "1-2", False),
        (2, "1-2", False),
        (3, "3-5", False),
        (5, "3-5", False),
        (6, "6+", True),
        (8, "6+", True),
    ],
)
def test_buckets_and_flag(cast, base_for, unpaid, bucket, flag):
    base_for(cast.mem_a, "10.00", year=2025)
    with at(2026, 7, 1):  # 1 July: June is the last month in arrears
        generate(P(2026, 6) - unpaid + 1, P(2026, 7))
        arrears = selectors.arrears_for([cast.mem_a.pk])[cast.mem_a.pk]
    assert arrears.months == unpaid and arrears.amount == Decimal("10.00") * unpaid
    assert arrears.oldest == P(2026, 6) - unpaid + 1
    assert arrears.bucket == bucket and arrears.lapse_review is flag


def test_the_current_month_is_not_yet_in_arrears(cast, base_for):
    base_for(cast.mem_a, "10.00")
    with at(2026, 6, 30):
        generate(P(2026, 6), P(2026, 6))
        assert cast.mem_a.pk not in selectors.arrears_for([cast.mem_a.pk])
    with at(2026, 7, 1):
        assert selectors.arrears_for([cast.mem_a.pk])[cast.mem_a.pk].months == 1


def test_a_partial_payment_breaks_the_run(cast, base_for):
    base_for(cast.mem_a, "10.00")
    with at(2026, 8, 1):
        generate(P(2026, 1), P(2026, 7))
        services.dues_payment_record(
            user=cast.secretary_a, member=cast.mem_a, amount="1.00", paid_on=datetime.date(2026, 8, 1)
        )
        arrears = selectors.arrears_for([cast.mem_a.pk])[cast.mem_a.pk]
    assert arrears.months == 7 and arrears.run == 6 and arrears.lapse_review  # Feb–Jul nothing paid
    with at(2026, 8, 1):
        services.dues_payment_record(
            user=cast.secretary_a, member=cast.mem_a, amount="10.00", paid_on=datetime.date(2026, 8, 1)
        )
        arrears = selectors.arrears_for([cast.mem_a.pk])[cast.mem_a.pk]
    assert arrears.run == 5 and not arrears.lapse_review


def test_an_exempt_gap_is_an_approved_reason(cast, base_for, django_capture_on_commit_callbacks):
    base_for(cast.mem_a, "10.00")
    with at(2026, 8, 1):
        e = services.dues_exemption_request(
            user=cast.secretary_a,
            member=cast.mem_a,
            kind="exempt",
            start_period=P(2026, 4),
            end_period=P(2026, 4),
            reason="住院",
            decided_on=datetime.date(2026, 3, 30),
        )
        with django_capture_on_commit_callbacks(execute=True):
            services.dues_exemption_decide(user=cast.committee, exemption=e, approve=True)
        generate(P(2026, 1), P(2026, 7))
        arrears = selectors.arrears_for([cast.mem_a.pk])[cast.mem_a.pk]
    assert arrears.months == 6 and arrears.run == 3 and not arrears.lapse_review


def test_the_transfer_letter_reads_the_ledger(cast, base_for):
    base_for(cast.mem_a, "10.00")
    today = datetime.date(2026, 6, 15)
    assert ledger_paid_through(cast.mem_a, today) == ""
    assert outstanding_dues_months(cast.mem_a, "2026-03", today) == [
        "2026-04",
        "2026-05",
    ]  # no ledger: the letter
    with at(2026, 6, 15):
        generate(P(2026, 1), P(2026, 6))
        services.dues_payment_record(user=cast.secretary_a, member=cast.mem_a, amount="25.00", paid_on=today)
    assert ledger_paid_through(cast.mem_a, today) == "2026-02"
    assert outstanding_dues_months(cast.mem_a, "2026-05", today) == ["2026-03", "2026-04", "2026-05"]


def test_transfer_start_prefills_paid_through(cast, base_for, client_for):
    base_for(cast.mem_a, "10.00")
    with at(2026, 6, 15):
        generate(P(2026, 1), P(2026, 6))
        services.dues_payment_record(
            user=cast.secretary_a, member=cast.mem_a, amount="60.00", paid_on=datetime.date(2026, 6, 15)
        )
        page = client_for(cast.secretary_a).get(f"/members/{cast.mem_a.pk}/transfer/")
    assert page.status_code == 200
    assert page.context["form"].initial["dues_paid_through"] == "2026-06"


def test_remittance_rolls_up_the_tree(cast, base_for):
    d_member = make_member(cast.d, "丁二")
    for m, amount in ((cast.mem_a, "10.00"), (cast.sec_a, "20.00"), (cast.sec_b, "5.00"), (d_member, "7.00")):
        base_for(m, amount)
    with at(2026, 4, 10):
        generate(P(2026, 1), P(2026, 3))
        pay = services.dues_payment_record
        pay(user=cast.secretary_a, member=cast.mem_a, amount="30.00", paid_on=datetime.date(2026, 4, 10))
        pay(user=cast.secretary_a, member=cast.sec_a, amount="40.00", paid_on=datetime.date(2026, 4, 10))
        pay(user=cast.secretary_b, member=cast.sec_b, amount="15.00", paid_on=datetime.date(2026, 4, 10))
        pay(
            user=cast.secretary_a,
            member=cast.mem_a,
            amount="1500.00",
            paid_on=datetime.date(2026, 4, 10),
            kind="voluntary",
        )
        remit = services.remittance_submit(
            user=cast.secretary_a,
            branch=cast.a,
            start_period=P(2026, 4),
            end_period=P(2026, 4),
            remitted_on=datetime.date(2026, 4, 10),
        )
        assert remit.amount == Decimal("1570.00")
        services.remittance_confirm(user=cast.committee, remittance=remit)
        top = {r["org"].pk: r for r in selectors.rollup(cast.root, P(2026, 1), P(2026, 4))}
        c1 = {r["org"].pk: r for r in selectors.rollup(cast.c1, P(2026, 1), P(2026, 4))}
        branch = selectors.rollup(cast.a, P(2026, 1), P(2026, 4))
    assert set(top) == {cast.c1.pk, cast.c2.pk}
    assert top[cast.c1.pk]["due"] == Decimal("105.00") and top[cast.c1.pk]["paid"] == Decimal("85.00")
    # Headcounts are member-months (summary tables): 3 members × 3 months owing; sec_a paid only 40
    # of 60, so two of their months are paid up.
    assert top[cast.c1.pk]["owing"] == 9 and top[cast.c1.pk]["paid_up"] == 8
    assert top[cast.c1.pk]["collected"] == Decimal("1585.00") and top[cast.c1.pk]["large"] == Decimal(
        "1500.00"
    )
    assert top[cast.c1.pk]["remitted"] == top[cast.c1.pk]["confirmed"] == Decimal("1570.00")
    assert top[cast.c1.pk]["outstanding"] == Decimal("15.00")  # branch b has not remitted
    assert top[cast.c2.pk]["due"] == Decimal("21.00") and top[cast.c2.pk]["paid"] == 0
    assert top[cast.c2.pk]["arrears"]["b35"] == 1
    assert c1[cast.b.pk]["outstanding"] == Decimal("15.00") and c1[cast.a.pk]["outstanding"] == 0
    assert c1[cast.a.pk]["rate_heads"] == Decimal("83.3") and c1[cast.a.pk]["rate_amount"] == Decimal("77.8")
    assert len(branch) == 1 and branch[0]["org"].pk == cast.a.pk


def test_remittance_twice_for_a_period_is_refused(cast):
    from django.core.exceptions import ValidationError

    with at(2026, 7, 2):
        services.remittance_submit(
            user=cast.secretary_a,
            branch=cast.a,
            start_period=P(2026, 4),
            end_period=P(2026, 6),
            remitted_on=datetime.date(2026, 7, 1),
        )
        with pytest.raises(ValidationError) as exc:
            services.remittance_submit(
                user=cast.secretary_a,
                branch=cast.a,
                start_period=P(2026, 6),
                end_period=P(2026, 6),
                remitted_on=datetime.date(2026, 7, 1),
            )
    assert "end_period" in exc.value.message_dict


def test_base_adjustment_after_lock(cast, django_capture_on_commit_callbacks):
    from django.core.exceptions import PermissionDenied, ValidationError

    with at(2026, 1, 5):
        base = services.dues_base_save(
            user=cast.secretary_a, member=cast.mem_a, year=2026, category="in_service", income="4000.00"
        )
        assert base.monthly_amount == Decimal("40.00")
        services.dues_base_verify(user=cast.secretary_a, base=base)
        assert services.dues_bases_lock(user=cast.secretary_a, branch=cast.a, year=2026) == (1, 0)
        with pytest.raises(ValidationError):
            services.dues_base_save(
                user=cast.secretary_a, member=cast.mem_a, year=2026, category="in_service", income="6000.00"
            )
    with at(2026, 5, 10):
        generate(P(2026, 1), P(2026, 5))
        with pytest.raises(ValidationError) as exc:
            services.dues_base_adjust(
                user=cast.secretary_a,
                base=base,
                category="in_service",
                income="6000.00",
                from_period=P(2026, 4),
                reason="",
            )
        assert "reason" in exc.value.message_dict
        adj = services.dues_base_adjust(
            user=cast.secretary_a,
            base=base,
            category="in_service",
            income="6000.00",
            from_period=P(2026, 4),
            reason="岗位调整",
        )
        assert adj.monthly_amount == Decimal("90.00") and adj.previous_amount == Decimal("40.00")
        with pytest.raises(PermissionDenied):
            services.dues_base_adjustment_decide(user=cast.secretary_a, adjustment=adj, approve=True)
        with django_capture_on_commit_callbacks(execute=True):
            services.dues_base_adjustment_decide(user=cast.committee, adjustment=adj, approve=True)
    owed = {
        p: sum(o.amount for o in DuesObligation.objects.filter(member=cast.mem_a, period=p))
        for p in range(P(2026, 1), P(2026, 6))
    }
    assert list(owed.values()) == [Decimal("40.00")] * 3 + [Decimal("90.00")] * 2
    # The amount in force as 我的党费 reads it (an annotation of the base) is amount_in_force's.
    for period, amount in ((P(2026, 3), "40.00"), (P(2026, 4), "90.00"), (P(2026, 12), "90.00")):
        annotated = DuesBase.objects.with_amount_in_force(period).get(pk=base.pk).amount_in_force
        assert annotated == selectors.amount_in_force(base, period) == Decimal(amount)
