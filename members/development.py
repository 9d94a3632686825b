"""The development schedule (发展党员): for one person, from their status, completed steps, last
assessment and the rules in force, which step comes next, by when, and not before when.

Pure functions over plain values, so the service, the scale generator and the tests share them."""

import calendar
import datetime
from dataclasses import dataclass

from .models import MemberStatus

# The step a status implies as done when a record predates the system (a roster entered as
# 积极分子 has done steps 1–3 even though none is recorded here).
STATUS_BASELINE = {
    MemberStatus.APPLICANT: 0,
    MemberStatus.ACTIVIST: 3,
    MemberStatus.DEVELOPMENT_TARGET: 7,
    MemberStatus.PROBATIONARY: 17,
}
# Activists and development targets are assessed on a fixed interval until the branch meeting.
ASSESSED_STATUSES = (MemberStatus.ACTIVIST, MemberStatus.DEVELOPMENT_TARGET)


def add_months(day, months):
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def working_days(start, end):
    """Monday–Friday days from start to end inclusive (public holidays are not modelled)."""
    if end < start:
        return 0
    days = (end - start).days + 1
    weeks, rest = divmod(days, 7)
    count = weeks * 5
    for offset in range(rest):
        if (start + datetime.timedelta(days=weeks * 7 + offset)).weekday() < 5:
            count += 1
    return count


@dataclass(frozen=True)
class Schedule:
    next_no: int | None = None
    due: datetime.date | None = None  # overdue after this date
    earliest: datetime.date | None = None  # not allowed before this date
    assessment_due: datetime.date | None = None

    @property
    def deadline(self):
        """The nearest date something is owed (the step or the half-yearly assessment)."""
        dates = [d for d in (self.due, self.assessment_due) if d]
        return min(dates) if dates else None


def probation_end(member, rules=None):
    """预备期满: the probation runs from the branch meeting (admitted_on), plus any extension."""
    if not member.admitted_on:
        return None
    if rules is None:
        from .models import DevelopmentRule

        rules = DevelopmentRule.values_for(member.branch, member.admitted_on)
    months = rules.get("probation_months", 12) + (member.probation_extension_months or 0)
    return add_months(member.admitted_on, months)


def schedule_for(member, done, rules, last_assessment=None):
    """`done` maps step_no → date of the steps recorded for this person."""
    if member.status == MemberStatus.FULL and 24 in done and 25 not in done:
        return Schedule(25)  # 材料归档 after regularisation
    if member.status not in STATUS_BASELINE:
        return Schedule()
    last = max([STATUS_BASELINE[member.status], *done])
    if last >= 25:
        return Schedule()
    no = last + 1
    due = earliest = assessment_due = None
    if no == 2 and (member.applied_on or done.get(1)):
        due = (member.applied_on or done[1]) + datetime.timedelta(days=rules["talk_within_days"])
    elif no == 7 and member.activist_on:
        earliest = add_months(member.activist_on, rules["activist_min_months"])
    elif no in (16, 17) and member.admitted_on:
        due = add_months(member.admitted_on, rules["approval_within_months"])
    elif no == 22 and member.probation_end_on:
        due = member.probation_end_on
    elif no == 23 and member.probation_end_on:
        earliest = due = member.probation_end_on
    elif no == 24 and member.probation_end_on:
        earliest = member.probation_end_on
        if done.get(23):
            due = add_months(done[23], rules["approval_within_months"])
    if member.status in ASSESSED_STATUSES and no <= 15:
        start = last_assessment or member.activist_on
        if start:
            assessment_due = add_months(start, rules["assessment_interval_months"])
    return Schedule(no, due, earliest, assessment_due)


def assessment_gaps(start, end, dates, interval_months):
    """Stretches longer than the interval without an assessment between start and end."""
    gaps = []
    previous = start
    for day in sorted(d for d in dates if start <= d <= end):
        if day > add_months(previous, interval_months):
            gaps.append((previous, day))
        previous = day
    if end > add_months(previous, interval_months):
        gaps.append((previous, end))
    return gaps
