"""年薪制 members pay on the month's actual pay, 个体 members on the previous quarter's average monthly
net income, both with the in-service brackets (党费规定; domain spec §2.3): hand-computed amounts at
the bracket boundaries, generation using them, corrections by reversal, the entry page (all rows or
none), its permission matrix and query count, and the audit entry."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEntry
from dues import services
from dues.generation import reconcile_month
from dues.models import DuesIncomeEntry, DuesMonthSummary, DuesObligation
from tests.conftest import make_member

from .conftest import P

pytestmark = pytest.mark.django_db
TZ = datetime.timezone(datetime.timedelta(hours=8))
NOW = datetime.datetime(2026, 6, 15, 10, tzinfo=TZ)


def annual(branch, name="年薪甲"):
    m = make_member(branch, name)
    m.dues_category = "annual_salary"
    m.save()
    return m


def self_employed(branch, name="个体乙"):
    m = make_member(branch, name)
    m.dues_category = "self_employed"
    m.save()
    return m


def owed(member, period):
    return sum((o.amount for o in DuesObligation.objects.filter(member=member, period=period)), Decimal("0"))


@time_machine.travel(NOW)
@pytest.mark.parametrize(
    ("pay", "rate", "amount"),
    [
        ("3000.00", "0.0050", "15.00"),
        ("3000.01", "0.0100", "30.00"),  # 30.0001
        ("5000.00", "0.0100", "50.00"),
        ("5000.01", "0.0150", "75.00"),  # 75.00015
        ("10000.00", "0.0150", "150.00"),
        ("10000.01", "0.0200", "200.00"),  # 200.0002
        ("12345.67", "0.0200", "246.91"),  # 246.9134
    ],
)
def test_annual_salary_month_pay_brackets(cast, pay, rate, amount):
    member = annual(cast.a)
    entry = services.dues_monthly_pay_save(
        user=cast.secretary_a, member=member, period=P(2026, 3), income=pay
    )
    assert entry.rate == Decimal(rate) and entry.monthly_amount == Decimal(amount)
    assert entry.source == "monthly_pay" and entry.income_period == P(2026, 3)


@time_machine.travel(NOW)
def test_self_employed_previous_quarter_average_sets_the_next_quarter(cast):
    member = self_employed(cast.a)
    rows = services.dues_quarter_income_save(
        user=cast.secretary_a, member=member, quarter=P(2026, 1), income="4000.00"
    )
    assert [r.period for r in rows] == [P(2026, 4), P(2026, 5), P(2026, 6)]
    assert {r.monthly_amount for r in rows} == {Decimal("40.00")}  # 4000 × 1 %
    assert {r.income_period for r in rows} == {P(2026, 1)}
    entry = AuditEntry.objects.filter(action="dues.income.entered").latest("pk")
    assert entry.data["months"] == {"2026-04": "40.00", "2026-05": "40.00", "2026-06": "40.00"}


@time_machine.travel(NOW)
def test_generation_uses_the_income_and_a_correction_reverses(
    cast, base_for, django_capture_on_commit_callbacks
):
    salaried, trader = annual(cast.a), self_employed(cast.a)
    base_for(salaried, "50.00", category="annual_salary")
    services.dues_monthly_pay_save(
        user=cast.secretary_a, member=salaried, period=P(2026, 5), income="12000.00"
    )
    services.dues_quarter_income_save(
        user=cast.secretary_a, member=trader, quarter=P(2026, 1), income="2000.00"
    )
    for month in (4, 5, 6):
        reconcile_month(P(2026, month))
    assert owed(salaried, P(2026, 4)) == Decimal("50.00")  # no pay entered: the yearly base
    assert owed(salaried, P(2026, 5)) == Decimal("240.00")  # 12000 × 2 %
    assert [owed(trader, P(2026, m)) for m in (4, 5, 6)] == [Decimal("10.00")] * 3  # 2000 × 0.5 %
    with django_capture_on_commit_callbacks(execute=True):
        services.dues_monthly_pay_save(
            user=cast.secretary_a, member=salaried, period=P(2026, 5), income="8000.00"
        )
    assert owed(salaried, P(2026, 5)) == Decimal("120.00")  # 8000 × 1.5 %, by a reversal
    assert DuesObligation.objects.filter(member=salaried, period=P(2026, 5), kind="reversal").count() == 1
    assert DuesMonthSummary.objects.get(branch=cast.a, period=P(2026, 5)).due == Decimal("130.00")


@time_machine.travel(NOW)
def test_income_entry_validation(cast):
    salaried, trader = annual(cast.a), self_employed(cast.a)
    with pytest.raises(ValidationError) as exc:
        services.dues_monthly_pay_save(user=cast.secretary_a, member=trader, period=P(2026, 5), income="100")
    assert "member" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.dues_monthly_pay_save(
            user=cast.secretary_a, member=salaried, period=P(2026, 7), income="100"
        )
    assert "period" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.dues_monthly_pay_save(user=cast.secretary_a, member=salaried, period=P(2026, 5), income="-1")
    assert "income" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.dues_quarter_income_save(
            user=cast.secretary_a, member=trader, quarter=P(2026, 2), income="100"
        )
    assert "quarter" in exc.value.message_dict
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.dues_monthly_pay_save(
            user=cast.secretary_b, member=salaried, period=P(2026, 5), income="100"
        )
    assert not DuesIncomeEntry.objects.exists()


@time_machine.travel(NOW)
@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("admin", 200),
        ("committee", 200),
        ("secretary_a", 200),
        ("secretary_b", 404),
        ("other_committee", 404),
        ("member_a", 403),
        ("outsider", 404),
    ],
)
def test_income_page_permission_matrix(cast, client_for, who, status):
    annual(cast.a)
    response = client_for(getattr(cast, who)).get(reverse("dues:incomes", args=[cast.a.pk]))
    assert response.status_code == status


@time_machine.travel(NOW)
def test_income_page_saves_all_rows_or_none(cast, client_for):
    salaried, trader = annual(cast.a), self_employed(cast.a)
    client = client_for(cast.secretary_a)
    url = reverse("dues:incomes", args=[cast.a.pk]) + "?month=2026-06"
    bad = client.post(url, {f"income_{salaried.pk}": "9000.00", f"income_{trader.pk}": "abc"})
    assert bad.status_code == 400 and f'data-testid="error-{trader.pk}"' in bad.content.decode()
    assert not DuesIncomeEntry.objects.exists()
    done = client.post(url, {f"income_{salaried.pk}": "9000.00", f"income_{trader.pk}": "3000.00"})
    assert done.status_code == 302
    assert DuesIncomeEntry.objects.get(member=salaried).monthly_amount == Decimal("135.00")  # 1.5 %
    assert DuesIncomeEntry.objects.filter(member=trader).count() == 3
    page = client.get(url).content.decode()
    assert f'data-testid="amount-{salaried.pk}">¥135.00<' in page
    assert f'data-testid="amount-{trader.pk}">¥15.00<' in page  # Q1 average 3000 × 0.5 %


@time_machine.travel(NOW)
def test_income_page_query_count_does_not_grow(cast, client_for):
    client = client_for(cast.secretary_a)
    url = reverse("dues:incomes", args=[cast.a.pk])
    counts = []
    for extra in (1, 49):
        for i in range(extra):
            m = annual(cast.a, f"年薪{extra}-{i}")
            services.dues_monthly_pay_save(user=cast.secretary_a, member=m, period=P(2026, 6), income="5000")
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
