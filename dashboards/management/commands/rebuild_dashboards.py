"""Rebuild the dashboards' rollups (set-based: one compliance.metrics run per tree and period).

manage.py rebuild_dashboards                      # from the earliest record to this month
manage.py rebuild_dashboards --since 2026-01      # from a month
manage.py rebuild_dashboards --period 2026-Q3     # one period (and its months)
"""

import datetime
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from compliance.periods import PeriodError, parse_period
from dashboards import rollups


def earliest_record():
    from dues.models import DuesObligation
    from meetings.models import Meeting

    days = [
        Meeting.objects.filter(held_on__isnull=False)
        .order_by("held_on")
        .values_list("held_on", flat=True)
        .first(),
    ]
    period = DuesObligation.objects.order_by("period").values_list("period", flat=True).first()
    if period is not None:
        days.append(datetime.date(period // 12, period % 12 + 1, 1))
    days = [d for d in days if d]
    return min(days) if days else timezone.localdate()


class Command(BaseCommand):
    help = "Rebuild the per-organisation per-period rollups behind the dashboards."

    def add_arguments(self, parser):
        parser.add_argument("--since", help="first month (2026-01); default: the earliest record")
        parser.add_argument("--period", help="one period (2026-09, 2026-Q3, 2026) and the months in it")

    def handle(self, *args, since=None, period=None, **options):
        today = timezone.localdate()
        try:
            if period:
                p = parse_period(period)
                periods = [
                    q for q in rollups.periods_between(p.start, min(p.end, today)) if p.contains(q.start)
                ]
            else:
                first = parse_period(since).start if since else earliest_record()
                periods = rollups.periods_between(first, today)
        except PeriodError as exc:
            raise CommandError(f"--{'period' if period else 'since'}: {exc}") from exc
        started = time.monotonic()
        rows = rollups.rebuild(periods, today=today)
        self.stdout.write(f"{len(periods)} periods, {rows} rows in {time.monotonic() - started:.1f}s")
