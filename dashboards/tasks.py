"""Thin Celery wrappers around dashboards.rollups (the nightly refresh is in CELERY_BEAT_SCHEDULE)."""

import datetime

from celery import shared_task
from django.utils import timezone

from compliance.periods import parse_period

from . import rollups


@shared_task(acks_late=True)
def refresh_rollups(*, branch_ids, days, structure_ids=(), payment_ids=(), item_ids=()):
    """After a change: the branches' rows for the periods of `days`, the months the payments paid,
    the branches the items are assigned to."""
    from dues.models import DuesPayment, PaymentAllocation, period_start
    from rectifications.models import Item

    days = {datetime.date.fromisoformat(d) for d in days}
    branch_ids = set(branch_ids)
    if payment_ids:
        allocations = PaymentAllocation.objects.filter(payment_id__in=payment_ids)
        days.update(period_start(p) for p in set(allocations.values_list("period", flat=True)))
        branch_ids.update(DuesPayment.objects.filter(pk__in=payment_ids).values_list("branch_id", flat=True))
    if item_ids:
        branch_ids.update(
            Item.units.through.objects.filter(item_id__in=item_ids).values_list("organization_id", flat=True)
        )
    rollups.refresh(branch_ids, sorted(days))
    if structure_ids:
        rollups.refresh_structure(structure_ids)
    return {"branches": len(branch_ids), "days": len(days)}


@shared_task(acks_late=True)
def rebuild_month(period_code):
    """A month's obligations were generated: its month, quarter and year for every tree."""
    day = parse_period(period_code).start
    return rollups.rebuild(rollups.periods_of(day))


@shared_task(acks_late=True)
def refresh_current():
    """Nightly: statuses move with the calendar (a window ends, arrears grow a month), so the
    current and the previous month's month, quarter and year, the quarter just ended with its
    year (rollups.current_periods), and the `now` rows are rebuilt."""
    today = timezone.localdate()
    return rollups.rebuild(rollups.current_periods(today), today=today)
