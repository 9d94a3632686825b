"""Measure generating one month's dues obligations over tier M (300,000 members) — target < 30 s.

Fill a database first, then run this against the same DATABASE_URL:

    createdb -h 127.0.0.1 -U postgres pa_dues
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/pa_dues
    .venv/bin/python manage.py migrate
    .venv/bin/python manage.py generate_scale_data --tier M     # members, then 36 months of dues
    .venv/bin/python scripts/bench_dues.py --tier M [--runs 3]

Each run generates the current month for the whole tier (dues.generation.reconcile_month — the
set-based INSERT … SELECT the app uses), then runs it again to show it is idempotent (nothing new),
reports both wall times and the rows written, and rolls everything back, so the database is left as
it was and runs are repeatable (foreign keys are checked immediately, so the time includes what
COMMIT would check). The months before are already in the ledger (the scale data), so
the NOT EXISTS checks run against a realistic table of millions of rows."""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partyaffairs.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from branches.models import Organization  # noqa: E402
from dues.generation import reconcile_month  # noqa: E402
from dues.models import DuesBase, DuesObligation, period_label, period_of  # noqa: E402
from members.models import ACTIVE_STATUSES, Member  # noqa: E402


class Rollback(Exception):
    pass


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tier", default="M", choices=("S", "M"))
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    root = Organization.objects.filter(code=f"SCALE-{args.tier}", depth=1).first()
    if root is None:
        sys.exit(f"no tier {args.tier} data: run manage.py generate_scale_data --tier {args.tier} first")
    period = period_of(timezone.localdate())
    members = Member.objects.filter(branch__path__startswith=root.path)
    print(
        f"{connection.vendor}: tier {args.tier}, {members.count()} members "
        f"({members.filter(status__in=ACTIVE_STATUSES).count()} full or probationary), "
        f"{DuesBase.objects.filter(member__in=members, year=period // 12).count()} bases this year, "
        f"{DuesObligation.objects.count()} obligations in the ledger; generating {period_label(period)}"
    )
    if DuesObligation.objects.filter(period=period, branch__path__startswith=root.path).exists():
        print("  (this month is already in the ledger: the first run below only reconciles)")
    firsts, seconds = [], []
    for run in range(1, args.runs + 1):
        try:
            with transaction.atomic():
                if connection.vendor == "postgresql":
                    # The foreign keys are checked at COMMIT, which a rolled-back run never reaches:
                    # check them as the rows go in, so the time includes that work.
                    with connection.cursor() as cursor:
                        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                started = time.monotonic()
                charges, reversals = reconcile_month(period, paths=[root.path])
                first = time.monotonic() - started
                started = time.monotonic()
                again = reconcile_month(period, paths=[root.path])
                second = time.monotonic() - started
                raise Rollback
        except Rollback:
            pass
        firsts.append(first)
        seconds.append(second)
        print(
            f"  run {run}: generated {charges} charges, {reversals} reversals in {first:.1f}s; "
            f"again: {again[0]} charges, {again[1]} reversals in {second:.1f}s (rolled back)"
        )
    print(
        f"median: first generation {statistics.median(firsts):.1f}s, repeat {statistics.median(seconds):.1f}s "
        f"(target < 30 s)"
    )


if __name__ == "__main__":
    main()
