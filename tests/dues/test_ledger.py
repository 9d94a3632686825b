"""Obligation rules at month boundaries, idempotent generation, corrections by reversal,
allocation oldest first, partial payments, proxy payments, reversal, voluntary dues."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from dues import selectors, services
from dues.generation import reconcile_month
from dues.models import DuesObligation, DuesPayment, DuesPolicy, EntryKind, PaymentAllocation
from members.models import MemberStatus, StatusChange
from tests.conftest import make_member

from .conftest import P

pytestmark = pytest.mark.django_db(transaction=False)
TZ = datetime.timezone(datetime.timedelta(hours=8))


def owed(member, period):
    return sum(o.amount for o in DuesObligation.objects.filter(member=member, period=period))


def test_generation_is_idempotent(cast, base_for):
    base_for(cast.mem_a, "12.00")
    first = reconcile_month(P(2026, 3))
    assert first == (1, 0)  # only mem_a has a base (the others are in-service without one)
    assert reconcile_month(P(2026, 3)) == (0, 0)
    assert owed(cast.mem_a, P(2026, 3)) == Decimal("12.00")
    assert DuesObligation.objects.count() == 1


def test_members_without_a_base_and_an_income_category_owe_nothing_yet(cast, base_for):
    base_for(cast.mem_a, "12.00")
    reconcile_month(P(2026, 3))
    assert not DuesObligation.objects.filter(member=cast.sec_a).exists()
    cast.sec_a.dues_category = "student"
    cast.sec_a.save()
    reconcile_month(P(2026, 3))
    assert owed(cast.sec_a, P(2026, 3)) == Decimal("0.20")


def test_probationary_member_owes_from_the_month_of_admission(cast, base_for):
    p = make_member(cast.a, "预备", status=MemberStatus.PROBATIONARY)
    p.admitted_on = datetime.date(2026, 3, 31)
    p.save()
    base_for(p, "5.00")
    reconcile_month(P(2026, 2))
    reconcile_month(P(2026, 3))
    assert owed(p, P(2026, 2)) == 0
    assert owed(p, P(2026, 3)) == Decimal("5.00")


def test_applicants_owe_nothing(cast, base_for):
    applicant = make_member(cast.a, "申请人", status=MemberStatus.APPLICANT)
    base_for(applicant, "5.00")
    reconcile_month(P(2026, 3))
    assert not DuesObligation.objects.filter(member=applicant).exists()


def _leave(member, status, day):
    member.status = status
    member.save()
    StatusChange.objects.create(member=member, from_status="full", to_status=status, changed_on=day)


@pytest.mark.parametrize("status", [MemberStatus.TRANSFERRED_OUT, MemberStatus.LAPSED, MemberStatus.DECEASED])
def test_no_obligation_after_leaving(cast, base_for, status):
    base_for(cast.mem_a, "12.00")
    _leave(cast.mem_a, status, datetime.date(2026, 3, 15))
    for month in (2, 3, 4):
        reconcile_month(P(2026, month))
    assert owed(cast.mem_a, P(2026, 3)) == Decimal("12.00")  # still a member on 1 March
    assert owed(cast.mem_a, P(2026, 4)) == 0


def test_leaving_on_the_first_of_the_month_owes_nothing_that_month(cast, base_for):
    base_for(cast.mem_a, "12.00")
    _leave(cast.mem_a, MemberStatus.TRANSFERRED_OUT, datetime.date(2026, 4, 1))
    reconcile_month(P(2026, 3))
    reconcile_month(P(2026, 4))
    assert owed(cast.mem_a, P(2026, 3)) == Decimal("12.00")
    assert owed(cast.mem_a, P(2026, 4)) == 0


def test_backdated_transfer_reverses_generated_months(cast, base_for, django_capture_on_commit_callbacks):
    base_for(cast.mem_a, "12.00")
    for month in (3, 4, 5):
        reconcile_month(P(2026, month))
    with django_capture_on_commit_callbacks(execute=True):
        _leave(cast.mem_a, MemberStatus.TRANSFERRED_OUT, datetime.date(2026, 3, 20))
    assert owed(cast.mem_a, P(2026, 3)) == Decimal("12.00")
    assert owed(cast.mem_a, P(2026, 4)) == 0
    assert owed(cast.mem_a, P(2026, 5)) == 0
    # Nothing was edited or deleted: each charge is still there, cancelled by a reversal.
    april = DuesObligation.objects.filter(member=cast.mem_a, period=P(2026, 4)).order_by("pk")
    assert [(o.kind, o.amount) for o in april] == [
        (EntryKind.CHARGE, Decimal("12.00")),
        (EntryKind.REVERSAL, Decimal("-12.00")),
    ]
    assert april[1].reverses_id == april[0].pk
    assert reconcile_month(P(2026, 4)) == (0, 0)


def test_exemption_at_month_boundaries(cast, base_for, django_capture_on_commit_callbacks):
    base_for(cast.mem_a, "12.00")
    for month in (3, 4, 5, 6):
        reconcile_month(P(2026, month))
    with time_machine.travel(datetime.datetime(2026, 6, 10, 9, tzinfo=TZ)):
        exemption = services.dues_exemption_request(
            user=cast.secretary_a,
            member=cast.mem_a,
            kind="exempt",
            start_period=P(2026, 4),
            end_period=P(2026, 5),
            reason="重病住院",
            decided_on=datetime.date(2026, 6, 1),
        )
        assert owed(cast.mem_a, P(2026, 4)) == Decimal("12.00")  # not yet approved
        with pytest.raises(PermissionDenied):
            services.dues_exemption_decide(user=cast.secretary_a, exemption=exemption, approve=True)
        with django_capture_on_commit_callbacks(execute=True):
            services.dues_exemption_decide(user=cast.committee, exemption=exemption, approve=True)
    assert [owed(cast.mem_a, P(2026, m)) for m in (3, 4, 5, 6)] == [Decimal("12.00"), 0, 0, Decimal("12.00")]
    grid = selectors.month_grid([cast.mem_a.pk], [P(2026, 4)], today=datetime.date(2026, 6, 10))
    assert grid[cast.mem_a.pk][0].status == "exempt"


def test_reduction_sets_the_amount(cast, base_for, django_capture_on_commit_callbacks):
    base_for(cast.mem_a, "12.00")
    reconcile_month(P(2026, 3))
    with django_capture_on_commit_callbacks(execute=True):
        e = services.dues_exemption_request(
            user=cast.secretary_a,
            member=cast.mem_a,
            kind="reduce",
            reduced_amount="2.00",
            start_period=P(2026, 3),
            end_period=P(2026, 12),
            reason="困难",
            decided_on=datetime.date(2026, 1, 5),
        )
        services.dues_exemption_decide(user=cast.committee, exemption=e, approve=True)
    assert owed(cast.mem_a, P(2026, 3)) == Decimal("2.00")


@time_machine.travel(datetime.datetime(2026, 6, 15, 10, tzinfo=TZ))
def test_allocation_oldest_first_partial_and_reversal(cast, base_for):
    base_for(cast.mem_a, "10.00")
    for month in (3, 4, 5, 6):
        reconcile_month(P(2026, month))
    pay = services.dues_payment_record(
        user=cast.secretary_a,
        member=cast.mem_a,
        amount="25.00",
        paid_on=datetime.date(2026, 6, 15),
        channel="wechat",
    )
    assert pay.receipt_no == "2026-00001"
    allocs = [(a.period, a.amount) for a in pay.allocations.order_by("period")]
    assert allocs == [
        (P(2026, 3), Decimal("10.00")),
        (P(2026, 4), Decimal("10.00")),
        (P(2026, 5), Decimal("5.00")),
    ]
    arrears = selectors.arrears_for([cast.mem_a.pk])[cast.mem_a.pk]
    assert (arrears.months, arrears.amount, arrears.oldest) == (1, Decimal("5.00"), P(2026, 5))
    assert selectors.paid_through(cast.mem_a.pk) == "2026-04"

    second = services.dues_payment_record(
        user=cast.secretary_a, member=cast.mem_a, amount="15.00", paid_on=datetime.date(2026, 6, 15)
    )
    assert second.receipt_no == "2026-00002"
    assert [(a.period, a.amount) for a in second.allocations.order_by("period")] == [
        (P(2026, 5), Decimal("5.00")),
        (P(2026, 6), Decimal("10.00")),
    ]
    assert cast.mem_a.pk not in selectors.arrears_for([cast.mem_a.pk])
    assert selectors.paid_through(cast.mem_a.pk) == "2026-06"

    with pytest.raises(ValidationError) as exc:
        services.dues_payment_reverse(user=cast.secretary_a, payment=pay, reason="")
    assert "reason" in exc.value.message_dict
    reversal = services.dues_payment_reverse(user=cast.secretary_a, payment=pay, reason="金额登记错误")
    assert reversal.amount == Decimal("-25.00") and reversal.reverses_id == pay.pk
    assert DuesPayment.objects.filter(pk=pay.pk).exists()
    arrears = selectors.arrears_for([cast.mem_a.pk])[cast.mem_a.pk]
    assert (arrears.months, arrears.amount, arrears.oldest) == (3, Decimal("25.00"), P(2026, 3))
    with pytest.raises(ValidationError):
        services.dues_payment_reverse(user=cast.secretary_a, payment=pay, reason="again")
    assert sum(a.amount for a in PaymentAllocation.objects.filter(member=cast.mem_a)) == Decimal("15.00")


@time_machine.travel(datetime.datetime(2026, 6, 15, 10, tzinfo=TZ))
def test_member_months_are_the_grid_this_month_and_paid_through(
    cast, base_for, django_capture_on_commit_callbacks
):
    """我的党费 reads the member's ledger once (member_months): the cells month_grid gives, this
    month's cell whichever year is shown, and paid_through's 党费交至."""
    base_for(cast.mem_a, "10.00")
    for month in (3, 4, 5, 6):
        reconcile_month(P(2026, month))
    with django_capture_on_commit_callbacks(execute=True):
        exemption = services.dues_exemption_request(
            user=cast.secretary_a,
            member=cast.mem_a,
            kind="exempt",
            start_period=P(2026, 10),
            end_period=P(2026, 11),
            reason="重病住院",
            decided_on=datetime.date(2026, 6, 1),
        )
        services.dues_exemption_decide(user=cast.committee, exemption=exemption, approve=True)
    services.dues_payment_record(
        user=cast.secretary_a, member=cast.mem_a, amount="25.00", paid_on=datetime.date(2026, 6, 15)
    )
    services.dues_payment_record(  # May and June, then July and August ahead
        user=cast.secretary_a, member=cast.mem_a, amount="35.00", paid_on=datetime.date(2026, 6, 15)
    )
    today = datetime.date(2026, 6, 15)
    (now,) = selectors.month_grid([cast.mem_a.pk], [P(2026, 6)], today)[cast.mem_a.pk]
    for year in (2025, 2026):
        periods = selectors.year_periods(year)
        cells, this_month, paid_through = selectors.member_months(cast.mem_a.pk, periods, today)
        grid = selectors.month_grid([cast.mem_a.pk], periods, today)[cast.mem_a.pk]
        assert [vars(c) for c in cells] == [vars(c) for c in grid]
        assert vars(this_month) == vars(now)
        assert paid_through == selectors.paid_through(cast.mem_a.pk, today)
    assert {c.status for c in cells} == {"none", "paid", "prepaid", "exempt"}


@time_machine.travel(datetime.datetime(2026, 6, 15, 10, tzinfo=TZ))
def test_prepayment_limits_follow_the_policy(cast, base_for):
    base_for(cast.mem_a, "10.00")
    reconcile_month(P(2026, 6))
    pay = services.dues_payment_record(
        user=cast.secretary_a, member=cast.mem_a, amount="70.00", paid_on=datetime.date(2026, 6, 15)
    )
    assert [a.period for a in pay.allocations.order_by("period")] == list(range(P(2026, 6), P(2026, 12) + 1))
    with pytest.raises(ValidationError) as exc:
        services.dues_payment_record(
            user=cast.secretary_a, member=cast.mem_a, amount="0.01", paid_on=datetime.date(2026, 6, 15)
        )
    assert "amount" in exc.value.message_dict
    # The prepaid months are paid when they are generated.
    reconcile_month(P(2026, 7))
    assert selectors.month_grid([cast.mem_a.pk], [P(2026, 7)])[cast.mem_a.pk][0].status == "paid"


@time_machine.travel(datetime.datetime(2026, 6, 15, 10, tzinfo=TZ))
def test_no_prepay_where_the_policy_forbids(cast, base_for):
    DuesPolicy.objects.create(
        effective_from=datetime.date(2020, 1, 1),
        organization=cast.c1,
        allow_prepay=False,
        allow_quarterly=False,
        allow_proxy=False,
    )
    base_for(cast.mem_a, "10.00")
    reconcile_month(P(2026, 6))
    with pytest.raises(ValidationError) as exc:
        services.dues_payment_record(
            user=cast.secretary_a, member=cast.mem_a, amount="20.00", paid_on=datetime.date(2026, 6, 15)
        )
    assert "amount" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.dues_payment_record(
            user=cast.secretary_a,
            member=cast.mem_a,
            amount="10.00",
            paid_on=datetime.date(2026, 6, 15),
            is_proxy=True,
            payer_name="家属",
            proxy_reason="出差",
        )
    assert "is_proxy" in exc.value.message_dict


@time_machine.travel(datetime.datetime(2026, 6, 15, 10, tzinfo=TZ))
def test_proxy_payment_needs_payer_and_reason(cast, base_for):
    base_for(cast.mem_a, "10.00")
    reconcile_month(P(2026, 6))
    with pytest.raises(ValidationError) as exc:
        services.dues_payment_record(
            user=cast.secretary_a,
            member=cast.mem_a,
            amount="10.00",
            paid_on=datetime.date(2026, 6, 15),
            is_proxy=True,
        )
    assert {"payer_name", "proxy_reason"} <= set(exc.value.message_dict)
    pay = services.dues_payment_record(
        user=cast.secretary_a,
        member=cast.mem_a,
        amount="10.00",
        paid_on=datetime.date(2026, 6, 15),
        is_proxy=True,
        payer_name="张三",
        proxy_reason="外出务工",
    )
    assert pay.is_proxy and pay.payer_name == "张三"


@time_machine.travel(datetime.datetime(2026, 6, 15, 10, tzinfo=TZ))
def test_makeup_covers_at_most_six_months(cast, base_for):
    base_for(cast.mem_a, "10.00", year=2025)
    for month in range(10, 13):
        reconcile_month(P(2025, month))
    for month in range(1, 7):
        reconcile_month(P(2026, month))
    with pytest.raises(ValidationError) as exc:
        services.dues_payment_record(
            user=cast.secretary_a, member=cast.mem_a, amount="70.00", paid_on=datetime.date(2026, 6, 15)
        )
    assert "6" in exc.value.message_dict["amount"][0]
    services.dues_payment_record(
        user=cast.secretary_a, member=cast.mem_a, amount="60.00", paid_on=datetime.date(2026, 6, 15)
    )


@time_machine.travel(datetime.datetime(2026, 6, 15, 10, tzinfo=TZ))
def test_voluntary_dues_are_separate_and_large_ones_go_to_the_centre(cast):
    small = services.dues_payment_record(
        user=cast.secretary_a,
        member=cast.mem_a,
        amount="999.99",
        paid_on=datetime.date(2026, 6, 15),
        kind="voluntary",
    )
    large = services.dues_payment_record(
        user=cast.secretary_a,
        member=cast.mem_a,
        amount="1000.00",
        paid_on=datetime.date(2026, 6, 15),
        kind="voluntary",
    )
    assert not small.to_centre and large.to_centre
    assert not small.allocations.exists()


def test_receipt_numbers_are_per_branch_and_year(cast, base_for):
    base_for(cast.mem_a, "10.00")
    base_for(cast.sec_b, "10.00")
    with time_machine.travel(datetime.datetime(2026, 12, 31, 10, tzinfo=TZ)):
        reconcile_month(P(2026, 12))
        a1 = services.dues_payment_record(
            user=cast.secretary_a, member=cast.mem_a, amount="1.00", paid_on=datetime.date(2026, 12, 31)
        )
        b1 = services.dues_payment_record(
            user=cast.secretary_b, member=cast.sec_b, amount="1.00", paid_on=datetime.date(2026, 12, 31)
        )
    with time_machine.travel(datetime.datetime(2027, 1, 1, 10, tzinfo=TZ)):
        a2 = services.dues_payment_record(
            user=cast.secretary_a, member=cast.mem_a, amount="1.00", paid_on=datetime.date(2027, 1, 1)
        )
    assert (a1.receipt_no, b1.receipt_no, a2.receipt_no) == ("2026-00001", "2026-00001", "2027-00001")


def test_sibling_secretary_cannot_record(cast, base_for):
    with pytest.raises(PermissionDenied):
        services.dues_payment_record(
            user=cast.secretary_b, member=cast.mem_a, amount="1.00", paid_on=datetime.date(2026, 1, 1)
        )
    with pytest.raises(PermissionDenied):
        services.dues_payment_record(
            user=cast.member_a, member=cast.mem_a, amount="1.00", paid_on=datetime.date(2026, 1, 1)
        )


def test_fixed_amount_months_are_idempotent(cast):
    cast.mem_a.dues_category = "student"
    cast.mem_a.save()
    assert reconcile_month(P(2026, 3)) == (1, 0)
    assert reconcile_month(P(2026, 3)) == (0, 0)


def test_tasks(cast, base_for):
    from dues.models import DuesBase
    from dues.tasks import generate_current_month, lock_bases_for_year

    base_for(cast.mem_a, "12.00")
    with time_machine.travel(datetime.datetime(2026, 2, 1, 0, 30, tzinfo=TZ)):
        assert generate_current_month.delay().get() == {"charges": 1, "reversals": 0}
        assert generate_current_month.delay().get() == {"charges": 0, "reversals": 0}
        assert lock_bases_for_year.delay().get() == 1
    assert DuesBase.objects.get(member=cast.mem_a).status == "locked"
