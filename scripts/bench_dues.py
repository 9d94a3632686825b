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
the NOT EXISTS checks run against a realistic table of millions of rows.

The generation includes keeping the derived tables current (dues.summary: the month's per-branch
summary rows, the arrears state of every member); each part is also timed on its own.

Then the committee's reads at the tier's root, from those tables: the collection/remittance roll-up
(/dues/orgs/<root>/: selectors.rollup for the year so far) and the 自行脱党 lapse list
(selectors.arrears_in_subtree, lapse only, first 50), with their query counts — target well under
300 ms. `--compare` also times the lapse list computed directly from the ledger (seconds)."""

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
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from branches.models import Organization  # noqa: E402
from dues import selectors, summary  # noqa: E402
from dues.generation import reconcile_month  # noqa: E402
from dues.models import DuesBase, DuesObligation, period_label, period_of  # noqa: E402
from members.models import ACTIVE_STATUSES, Member  # noqa: E402


class Rollback(Exception):
    pass


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tier", default="M", choices=("S", "M"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--reads-only", action="store_true", help="skip the generation runs")
    parser.add_argument("--compare", action="store_true", help="also time the lapse list from the ledger")
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
    if not args.reads_only:
        generation(args, root, period)
    reads(args, root, period)


def generation(args, root, period):
    firsts, seconds, parts = [], [], []
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
                started = time.monotonic()
                summary.refresh_summary(paths=[root.path], periods=[period])
                summary_time = time.monotonic() - started
                # The month's step of the arrears state (what generation does on a new month): the
                # state and its marker set back one month, then moved on again.
                with connection.cursor() as cursor:
                    cursor.execute("UPDATE dues_duesarrearsstate SET as_of = as_of - 1")
                    cursor.execute("UPDATE dues_duessummarymarker SET as_of = as_of - 1")
                started = time.monotonic()
                summary.roll_arrears()
                arrears_time = time.monotonic() - started
                raise Rollback
        except Rollback:
            pass
        firsts.append(first)
        seconds.append(second)
        parts.append((summary_time, arrears_time))
        print(
            f"  run {run}: generated {charges} charges, {reversals} reversals in {first:.1f}s; "
            f"again: {again[0]} charges, {again[1]} reversals in {second:.1f}s (rolled back); "
            f"the month's summary rows alone {summary_time:.1f}s, the arrears state's monthly step {arrears_time:.1f}s"
        )
    print(
        f"median: first generation {statistics.median(firsts):.1f}s, repeat {statistics.median(seconds):.1f}s "
        f"(target < 30 s)"
    )


def _timed(fn, repeat=5):
    times, result, queries = [], None, 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as ctx:
            started = time.monotonic()
            result = fn()
            times.append(time.monotonic() - started)
        queries = len(ctx.captured_queries)
    return statistics.median(times) * 1000, queries, result


def page(root):
    """The whole committee page /dues/orgs/<root>/ as an administrator sees it (in a transaction
    rolled back: the login writes a session)."""
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse

    try:
        with transaction.atomic():
            user = get_user_model().objects.create_superuser("bench_dues_admin", password=None)
            client = Client(SERVER_NAME="localhost")
            client.force_login(user)
            url = reverse("dues:org", args=[root.pk])
            client.get(url)
            ms, queries, response = _timed(lambda: client.get(url))
            print(f"page {url} (status {response.status_code}): median {ms:.0f} ms, {queries} queries")
            raise Rollback
    except Rollback:
        pass


def reads(args, root, period):
    end = period - 1
    start = end - end % 12
    ms, queries, rows = _timed(lambda: selectors.rollup(root, start, end))
    due = sum(r["due"] for r in rows)
    print(
        f"roll-up at the root ({len(rows)} children, {period_label(start)}–{period_label(end)}, due {due}): "
        f"median {ms:.0f} ms, {queries} queries (target well under 300 ms)"
    )
    ms, queries, lapse = _timed(lambda: selectors.arrears_in_subtree(root.path, lapse_only=True, limit=50))
    print(f"自行脱党 lapse list at the root (first {len(lapse)}): median {ms:.0f} ms, {queries} queries")
    ms, queries, _rows = _timed(lambda: selectors.arrears_buckets_by_node(root, len(root.path)))
    print(f"arrears buckets over the root: median {ms:.0f} ms, {queries} queries")
    page(root)
    if args.compare:
        ms, _q, direct = _timed(
            lambda: selectors.ledger_arrears_in_subtree(root.path, lapse_only=True, limit=50), repeat=1
        )
        same = [(m, a.months, a.amount, a.run) for m, a in direct] == [
            (m, a.months, a.amount, a.run) for m, a in lapse
        ]
        print(f"  the same list from the ledger directly: {ms:.0f} ms; identical: {same}")


if __name__ == "__main__":
    main()
