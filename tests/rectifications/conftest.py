"""Rectification fixtures on top of the standing cast: committee c1 issues a ledger with items for
branch a (secretary_a works them; secretary_b, of sibling b, and other_committee see nothing)."""

import datetime

import pytest

from rectifications import services


@pytest.fixture
def ledger(cast):
    return services.ledger_create(
        user=cast.committee,
        issuer=cast.c1,
        source="inspection",
        title="2026年巡察反馈问题整改台账",
        issued_on=datetime.date(2026, 3, 1),
        deadline=datetime.date(2026, 8, 31),
    )


@pytest.fixture
def make_item(cast):
    def make(ledger, unit=None, **extra):
        fields = {
            "problem": "三会一课记录不规范",
            "category": "组织建设",
            "units": [unit or cast.a],
            "measures": ["补齐会议记录", "建立月度检查制度"],
            "deadline": datetime.date(2026, 6, 30),
        }
        fields.update(extra)
        return services.item_create(user=cast.committee, ledger=ledger, **fields)

    return make


@pytest.fixture
def item(ledger, make_item):
    return make_item(ledger)
