import datetime

import pytest

from compliance.periods import PeriodError, parse_period


@pytest.mark.parametrize(
    ("text", "start", "end", "kind"),
    [
        ("2026-09", datetime.date(2026, 9, 1), datetime.date(2026, 9, 30), "month"),
        ("2026-02", datetime.date(2026, 2, 1), datetime.date(2026, 2, 28), "month"),
        ("2028-02", datetime.date(2028, 2, 1), datetime.date(2028, 2, 29), "month"),
        ("2026-Q3", datetime.date(2026, 7, 1), datetime.date(2026, 9, 30), "quarter"),
        ("2026-q4", datetime.date(2026, 10, 1), datetime.date(2026, 12, 31), "quarter"),
        ("2026", datetime.date(2026, 1, 1), datetime.date(2026, 12, 31), "year"),
    ],
)
def test_parses_month_quarter_year(text, start, end, kind):
    period = parse_period(text)
    assert (period.start, period.end, period.kind) == (start, end, kind)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("2026-Q5", "Q1 至 Q4"),
        ("2026-Q0", "Q1 至 Q4"),
        ("2026-13", "01 至 12"),
        ("2026-00", "01 至 12"),
        ("26-09", "2026-Q3"),
        ("2026/09", "2026-Q3"),
        ("", "2026-Q3"),
        ("1899", "年份"),
    ],
)
def test_refuses_malformed_periods_with_a_clear_message(text, says):
    with pytest.raises(PeriodError) as exc:
        parse_period(text)
    assert says in str(exc.value)


def test_code_round_trips_and_windows():
    q3 = parse_period("2026-Q3")
    assert q3.code == "2026-Q3"
    assert [w.code for w in q3.windows("month")] == ["2026-07", "2026-08", "2026-09"]
    assert [w.code for w in parse_period("2026-08").windows("year")] == ["2026"]
    assert [w.code for w in parse_period("2026").windows("quarter")] == [f"2026-Q{i}" for i in range(1, 5)]
    assert q3.previous().code == "2026-Q2" and q3.next().code == "2026-Q4"
    assert parse_period("2026-12").next().code == "2027-01"
