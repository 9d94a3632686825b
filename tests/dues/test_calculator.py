"""Hand-computed amounts at every bracket boundary (党费规定 2008, upper bounds inclusive, half-up
to the fen), the fixed categories, and the rule table's versions and subtree overrides."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from dues.calculator import calculate, parse_income
from dues.models import DuesBracket, DuesPolicy

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("income", "rate", "amount"),
    [
        ("0.00", "0.0050", "0.00"),
        ("1.00", "0.0050", "0.01"),  # 0.005 → half-up to 0.01
        ("2999.00", "0.0050", "15.00"),  # 14.995 → 15.00
        ("3000.00", "0.0050", "15.00"),
        ("3000.01", "0.0100", "30.00"),  # 30.0001
        ("4321.50", "0.0100", "43.22"),  # 43.215 → 43.22 (half-up, not banker's 43.22/43.21)
        ("5000.00", "0.0100", "50.00"),
        ("5000.01", "0.0150", "75.00"),  # 75.00015
        ("10000.00", "0.0150", "150.00"),
        ("10000.01", "0.0200", "200.00"),  # 200.0002
        ("12345.67", "0.0200", "246.91"),  # 246.9134
    ],
)
def test_in_service_brackets(income, rate, amount):
    calc = calculate("in_service", Decimal(income))
    assert calc.rate == Decimal(rate)
    assert calc.monthly_amount == Decimal(amount)


@pytest.mark.parametrize(
    ("income", "rate", "amount"),
    [
        ("5000.00", "0.0050", "25.00"),
        ("5000.01", "0.0100", "50.00"),
        ("4999.99", "0.0050", "25.00"),  # 24.99995 → 25.00
        ("8000.00", "0.0100", "80.00"),
    ],
)
def test_retired_brackets(income, rate, amount):
    calc = calculate("retired", Decimal(income))
    assert (calc.rate, calc.monthly_amount) == (Decimal(rate), Decimal(amount))


def test_annual_salary_and_self_employed_use_the_in_service_table():
    assert calculate("annual_salary", Decimal("20000.00")).monthly_amount == Decimal("400.00")
    assert calculate("self_employed", Decimal("4000.00")).monthly_amount == Decimal("40.00")


@pytest.mark.parametrize("category", ["student", "unemployed", "relief"])
def test_fixed_categories(category):
    calc = calculate(category)
    assert calc.rate is None and calc.monthly_amount == Decimal("0.20")


def test_farmer_amount_is_the_branchs(cast):
    from dues.models import BranchDuesSetting

    assert calculate("farmer").monthly_amount == Decimal("0.20")
    BranchDuesSetting.objects.create(
        effective_from=datetime.date(2020, 1, 1), organization=cast.a, farmer_amount=Decimal("0.50")
    )
    assert calculate("farmer", org=cast.a).monthly_amount == Decimal("0.50")
    assert calculate("farmer", org=cast.b).monthly_amount == Decimal("0.20")


def test_rounding_mode_is_configurable(cast):
    DuesPolicy.objects.create(effective_from=datetime.date(2020, 1, 1), organization=cast.c1, rounding="down")
    assert calculate("in_service", Decimal("2999.00"), org=cast.a).monthly_amount == Decimal("14.99")
    assert calculate("in_service", Decimal("2999.00"), org=cast.d).monthly_amount == Decimal("15.00")


def test_a_subtree_version_replaces_the_whole_table(cast):
    day = datetime.date(2025, 1, 1)
    DuesBracket.objects.create(
        effective_from=day,
        organization=cast.c1,
        category="in_service",
        upper_bound=None,
        rate=Decimal("0.0100"),
    )
    assert calculate("in_service", Decimal("2000.00"), org=cast.a).monthly_amount == Decimal("20.00")
    assert calculate(
        "in_service", Decimal("2000.00"), org=cast.a, on=datetime.date(2024, 12, 31)
    ).monthly_amount == Decimal("10.00")
    assert calculate("in_service", Decimal("2000.00"), org=cast.d).monthly_amount == Decimal("10.00")


@pytest.mark.parametrize("value", ["", None, "abc", "-1", "1e9", "100000000", "12.345", "NaN", "Infinity"])
def test_bad_income_names_the_parameter(value):
    with pytest.raises(ValidationError) as exc:
        parse_income(value)
    assert "income" in exc.value.message_dict


def test_farmer_amount_stays_within_the_policy(cast):
    from django.core.exceptions import ValidationError as DjangoValidationError

    from dues.models import BranchDuesSetting

    setting = BranchDuesSetting(
        effective_from=datetime.date(2026, 1, 1), organization=cast.a, farmer_amount=Decimal("1.50")
    )
    with pytest.raises(DjangoValidationError) as exc:
        setting.full_clean()
    assert "farmer_amount" in exc.value.message_dict
    setting.farmer_amount = Decimal("1.00")
    setting.full_clean()


def test_policy_limits_make_up_and_prepay_to_six_months(cast):
    from django.core.exceptions import ValidationError as DjangoValidationError

    policy = DuesPolicy(effective_from=datetime.date(2026, 1, 1), organization=cast.c1, prepay_max_months=7)
    with pytest.raises(DjangoValidationError) as exc:
        policy.full_clean()
    assert "prepay_max_months" in exc.value.message_dict


def test_an_emptied_table_falls_back_to_the_national_rules(db):
    DuesBracket.objects.all().delete()
    DuesPolicy.objects.all().delete()
    assert calculate("in_service", Decimal("5000.01")).monthly_amount == Decimal("75.00")
    assert calculate("retired", Decimal("5000.00")).monthly_amount == Decimal("25.00")
