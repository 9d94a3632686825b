"""dues_payments_record_many (a batch of payments, as the demo loads its history): it writes exactly
what dues_payment_record writes called once per item in the same order — payments, allocations
(oldest month first, partial, prepaid), receipt numbers and counters, audit entries, the month
summary rows and the arrears — and a bad item or a foreign branch writes nothing."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from audit.models import AuditEntry
from dashboards.models import OrgFigures
from dues import services
from dues.generation import reconcile_month
from dues.models import (
    DuesArrearsState,
    DuesMonthSummary,
    DuesPayment,
    PaymentAllocation,
    ReceiptCounter,
)

from .conftest import P

TZ = datetime.timezone(datetime.timedelta(hours=8))
pytestmark = pytest.mark.django_db(transaction=False)


@pytest.fixture
def ledger(cast, base_for, django_capture_on_commit_callbacks):
    """Branch a's two members and branch b's secretary owe January to June 2026 (today 20 June);
    the dashboards' rollups of those months are built."""
    with time_machine.travel(datetime.datetime(2026, 6, 20, 10, tzinfo=TZ), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            base_for(cast.mem_a, "10.00")
            base_for(cast.sec_a, "12.50")
            base_for(cast.sec_b, "8.00")
            for month in range(1, 7):
                reconcile_month(P(2026, month))
        yield cast


def batch(cast):
    day = datetime.date
    return [
        {"member": cast.mem_a, "amount": Decimal("30.00"), "paid_on": day(2026, 3, 12), "channel": "cash"},
        {"member": cast.sec_a, "amount": Decimal("25.00"), "paid_on": day(2026, 2, 9), "channel": "wechat"},
        {"member": cast.sec_b, "amount": Decimal("24.00"), "paid_on": day(2025, 12, 30), "channel": "bank"},
        # Part of April: partial payments are allowed.
        {"member": cast.mem_a, "amount": Decimal("4.00"), "paid_on": day(2026, 4, 15), "channel": "alipay"},
        # The rest of April to June, and July ahead (prepayment: the forecast is asked for).
        {"member": cast.mem_a, "amount": Decimal("36.00"), "paid_on": day(2026, 6, 18), "channel": "cash"},
        {"member": cast.sec_b, "amount": Decimal("8.00"), "paid_on": day(2026, 6, 1), "channel": "cash"},
    ]


def snapshot():
    """Everything a payment writes, without ids (a rolled-back run leaves the sequences moved on)."""
    by_pk = dict(DuesPayment.objects.values_list("pk", "receipt_no"))
    return {
        "payments": list(
            DuesPayment.objects.order_by("pk").values_list(
                "member_id",
                "branch_id",
                "kind",
                "amount",
                "paid_on",
                "channel",
                "collector_id",
                "collected_by_id",
                "receipt_year",
                "receipt_no",
                "is_proxy",
                "to_centre",
                "recorded_by_id",
            )
        ),  # fmt: skip
        "allocations": sorted(
            (by_pk[payment], member, period, amount)
            for payment, member, period, amount in PaymentAllocation.objects.values_list(
                "payment_id", "member_id", "period", "amount"
            )
        ),
        "counters": sorted(ReceiptCounter.objects.values_list("branch_id", "year", "last")),
        "audit": [
            (by_pk[int(e.object_id)], e.actor_id, e.object_repr, e.data)
            for e in AuditEntry.objects.filter(action="dues.payment.recorded").order_by("pk")
        ],
        "summary": sorted(
            tuple(sorted((k, v) for k, v in row.items() if k != "id"))
            for row in DuesMonthSummary.objects.values()
        ),
        # What the listeners did after the commit: the dashboards' rollups refreshed.
        "rollups": sorted(
            (f.organization_id, f.period, repr(sorted(f.data.items()))) for f in OrgFigures.objects.all()
        ),
        "arrears": sorted(
            tuple(sorted((k, v) for k, v in row.items() if k != "id"))
            for row in DuesArrearsState.objects.values()
        ),
    }


def test_a_batch_writes_what_one_payment_after_another_writes(ledger, django_capture_on_commit_callbacks):
    cast = ledger
    with time_machine.travel(datetime.datetime(2026, 6, 20, 10, tzinfo=TZ), tick=False):
        with transaction.atomic():
            with django_capture_on_commit_callbacks(execute=True):
                for item in batch(cast):
                    services.dues_payment_record(user=cast.admin, **item)
            one_by_one = snapshot()
            transaction.set_rollback(True)
        assert not DuesPayment.objects.exists()
        with django_capture_on_commit_callbacks(execute=True):
            created = services.dues_payments_record_many(user=cast.admin, payments=batch(cast))
        together = snapshot()
    assert [p.receipt_no for p in created] == [row[9] for row in together["payments"]]
    assert together == one_by_one
    # What the batch covered: the oldest months first, a partial month, a month paid ahead.
    assert len(together["payments"]) == 6
    mem_a = [
        (period, amount)
        for receipt, member, period, amount in together["allocations"]
        if member == cast.mem_a.pk
    ]
    assert sorted(mem_a) == [
        (P(2026, 1), Decimal("10.00")),
        (P(2026, 2), Decimal("10.00")),
        (P(2026, 3), Decimal("10.00")),
        (P(2026, 4), Decimal("4.00")),
        (P(2026, 4), Decimal("6.00")),
        (P(2026, 5), Decimal("10.00")),
        (P(2026, 6), Decimal("10.00")),
        (P(2026, 7), Decimal("10.00")),
    ]
    assert together["summary"] and together["arrears"] and together["rollups"]


def test_a_bad_item_or_a_foreign_branch_writes_nothing(ledger):
    cast = ledger
    with time_machine.travel(datetime.datetime(2026, 6, 20, 10, tzinfo=TZ), tick=False):
        too_much = [*batch(cast)[:2], {**batch(cast)[0], "amount": Decimal("500.00")}]
        with pytest.raises(ValidationError) as exc:
            services.dues_payments_record_many(user=cast.admin, payments=too_much)
        assert "payments[2]" in exc.value.message_dict
        future = [{**batch(cast)[0], "paid_on": datetime.date(2026, 6, 21)}]
        with pytest.raises(ValidationError, match="paid_on"):
            services.dues_payments_record_many(user=cast.admin, payments=future)
        # Branch a's secretary may record for branch a only; the batch holds a branch b member.
        with pytest.raises(PermissionDenied):
            services.dues_payments_record_many(user=cast.secretary_a, payments=batch(cast))
        assert not DuesPayment.objects.exists() and not ReceiptCounter.objects.exists()
        assert not AuditEntry.objects.filter(action="dues.payment.recorded").exists()
        assert services.dues_payments_record_many(user=cast.admin, payments=[]) == []
