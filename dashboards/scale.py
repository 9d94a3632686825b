"""Scale data: the dashboards' rollups for the generated tree, built set-based (one
compliance.metrics run per period over the whole tree) from what the other apps generated — so a
benchmark reads what a live system would have kept current. By default the last 13 months (the
dashboard's twelve-month trend and the current period) with their quarters and years;
SCALE_DASHBOARD_MONTHS=36 builds further back (`manage.py rebuild_dashboards` does any range).

`post_load` (every bench run on reused data) does what the nightly task does on a live system:
the current and the previous month's periods rebuilt as of today, so the pages read rollups as
fresh as a live system's (the branch page uses a row only when it was computed today)."""

import datetime
import os

from django.utils import timezone

from . import rollups


def generate(ctx):
    from meetings.models import Meeting

    from . import signals

    signals._pending.state = None  # what the other apps' bulk work scheduled is all built below
    root = ctx["root"]
    today = timezone.localdate()
    first = (
        Meeting.objects.filter(organization__path__startswith=root.path, held_on__isnull=False)
        .order_by("held_on")
        .values_list("held_on", flat=True)
        .first()
    ) or today
    months = int(os.environ.get("SCALE_DASHBOARD_MONTHS", "13"))
    since = (today.replace(day=1) - datetime.timedelta(days=31 * (months - 1))).replace(day=1)
    periods = rollups.periods_between(max(first.replace(day=1), since), today)
    rows = rollups.rebuild(periods, root=root, today=today)
    return f"{rows} rollup rows for {len(periods)} periods"


def post_load(ctx):
    today = timezone.localdate()
    rows = rollups.rebuild(rollups.current_periods(today), root=ctx["root"], today=today)
    print(f"dashboards: {rows} rollup rows for today's periods", file=ctx.get("stdout"))


def delete(ctx):
    from .models import OrgFigures

    OrgFigures.objects.filter(organization__path__startswith=ctx["root"].path).delete()
