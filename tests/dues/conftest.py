import datetime
from decimal import Decimal

import pytest

from dues.models import DuesBase, period_of


@pytest.fixture
def base_for():
    """`base_for(member, amount, year=2026)` — a verified yearly base with that monthly amount."""

    def make(member, amount, year=2026, category="in_service"):
        return DuesBase.objects.create(
            member=member,
            branch=member.branch,
            year=year,
            category=category,
            income=Decimal(amount) * 100,
            rate=Decimal("0.0100"),
            monthly_amount=Decimal(amount),
            status="verified",
        )

    return make


def P(year, month):
    return period_of(datetime.date(year, month, 1))
