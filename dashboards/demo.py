"""Demo data: the dashboards' rollups for the demo's last thirteen months (built from what the other
apps' demo modules recorded; seed_demo runs this after them)."""

import datetime

from . import rollups


def seed(ctx):
    today = ctx["today"]
    first = (today.replace(day=1) - datetime.timedelta(days=365)).replace(day=1)
    rollups.rebuild(rollups.periods_between(first, today), today=today)
