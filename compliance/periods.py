"""Periods the compliance engine answers for: a month `2026-09`, a quarter `2026-Q3`, a year `2026`."""

import calendar
import datetime
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

MONTH, QUARTER, YEAR = "month", "quarter", "year"
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER = re.compile(r"^(\d{4})-[Qq](\d+)$")
_YEAR = re.compile(r"^(\d{4})$")
MIN_YEAR, MAX_YEAR = 2000, 2100


class PeriodError(ValueError):
    """A period string that is not a month, quarter or year; the message says what is expected."""


@dataclass(frozen=True, order=True)
class Period:
    start: datetime.date
    end: datetime.date  # inclusive
    kind: str

    @property
    def code(self):
        if self.kind == MONTH:
            return f"{self.start:%Y-%m}"
        if self.kind == QUARTER:
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        return str(self.start.year)

    def __str__(self):
        return self.code

    @property
    def label(self):
        if self.kind == MONTH:
            return _("%(y)s年%(m)s月") % {"y": self.start.year, "m": self.start.month}
        if self.kind == QUARTER:
            return _("%(y)s年第%(q)s季度") % {"y": self.start.year, "q": (self.start.month - 1) // 3 + 1}
        return _("%(y)s年") % {"y": self.start.year}

    def contains(self, day):
        return self.start <= day <= self.end

    def previous(self):
        return containing(self.kind, self.start - datetime.timedelta(days=1))

    def next(self):
        return containing(self.kind, self.end + datetime.timedelta(days=1))

    def windows(self, kind):
        """The windows of `kind` that overlap this period: the months of a quarter, or the one
        quarter or year that contains a month."""
        out, day = [], self.start
        while day <= self.end:
            window = containing(kind, day)
            out.append(window)
            day = window.end + datetime.timedelta(days=1)
        return out


def month(year, number):
    last = calendar.monthrange(year, number)[1]
    return Period(datetime.date(year, number, 1), datetime.date(year, number, last), MONTH)


def quarter(year, number):
    first = 3 * (number - 1) + 1
    return Period(datetime.date(year, first, 1), month(year, first + 2).end, QUARTER)


def year(number):
    return Period(datetime.date(number, 1, 1), datetime.date(number, 12, 31), YEAR)


def containing(kind, day):
    if kind == MONTH:
        return month(day.year, day.month)
    if kind == QUARTER:
        return quarter(day.year, (day.month - 1) // 3 + 1)
    return year(day.year)


def current(kind, today):
    return containing(kind, today)


def parse_period(text):
    """`2026-09` → September 2026, `2026-Q3` → the third quarter, `2026` → the year. Anything else
    raises PeriodError with a message naming the expected forms (`2026-Q5`, `2026-13` are refused)."""
    text = (text or "").strip()
    expected = _("期间格式应为 2026-09（月）、2026-Q3（季度）或 2026（年）。")
    for pattern in (_MONTH, _QUARTER, _YEAR):
        found = pattern.match(text)
        if found:
            break
    else:
        raise PeriodError(_("无法识别的期间“%(value)s”：") % {"value": text} + expected)
    y = int(found.group(1))
    if not MIN_YEAR <= y <= MAX_YEAR:
        raise PeriodError(_("年份应在%(lo)s至%(hi)s之间。") % {"lo": MIN_YEAR, "hi": MAX_YEAR})
    if pattern is _YEAR:
        return year(y)
    n = int(found.group(2))
    if pattern is _QUARTER:
        if not 1 <= n <= 4:
            raise PeriodError(_("季度应为 Q1 至 Q4，而不是 Q%(n)s。") % {"n": n})
        return quarter(y, n)
    if not 1 <= n <= 12:
        raise PeriodError(_("月份应为 01 至 12，而不是 %(n)s。") % {"n": found.group(2)})
    return month(y, n)
