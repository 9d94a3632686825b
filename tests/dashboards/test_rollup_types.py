"""A branch's rollup data is JSON whatever numeric types the database hands back (PostgreSQL sums
bigints into numeric, i.e. Decimal): found by the tier M bench, where rebuild_dashboards failed."""

import json
from decimal import Decimal
from types import SimpleNamespace

from dashboards.rollups import DEC_FIELDS, INT_FIELDS, branch_data


def test_counts_from_decimal_sums_are_stored_as_ints():
    row = SimpleNamespace(
        rag="green",
        score=Decimal("87.5"),
        rules={},
        reasons=[],
        **{name: Decimal("3") for name in INT_FIELDS[5:]},
        **{name: Decimal("12.50") for name in DEC_FIELDS[:-1]},
    )
    data = branch_data(row)
    assert json.loads(json.dumps(data))[INT_FIELDS[5]] == 3
    assert all(type(data[name]) is int for name in INT_FIELDS)


def test_current_periods_reach_back_into_the_previous_month_and_the_quarter_just_ended():
    import datetime

    from dashboards.rollups import current_periods

    def codes(day):
        return sorted(p.code for p in current_periods(day))

    assert codes(datetime.date(2026, 7, 10)) == ["2026", "2026-06", "2026-07", "2026-Q2", "2026-Q3"]
    assert codes(datetime.date(2026, 8, 31)) == ["2026", "2026-07", "2026-08", "2026-Q2", "2026-Q3"]
    # Just after midnight in December the committees still review the third quarter.
    assert codes(datetime.date(2026, 12, 2)) == ["2026", "2026-11", "2026-12", "2026-Q3", "2026-Q4"]
    assert codes(datetime.date(2027, 2, 15)) == ["2026", "2026-Q4", "2027", "2027-01", "2027-02", "2027-Q1"]
    # New year's day: last December's month, quarter and year are still moving.
    assert codes(datetime.date(2026, 1, 1)) == ["2025", "2025-12", "2025-Q4", "2026", "2026-01", "2026-Q1"]
