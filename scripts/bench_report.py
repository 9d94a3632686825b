"""Measure the quarterly compliance workbook against scale data: wall time, queries, peak Python
memory (tracemalloc) and the process's peak RSS, for a committee of ≥ 2,000 branches and a smaller
one (to show memory does not grow with the branches beyond their rows).

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/pa_notif
    .venv/bin/python manage.py generate_scale_data --tier M
    .venv/bin/python scripts/bench_report.py --tier M [--period 2026-Q3] [--districts 15]

The ≥ 2,000-branch committee is built for the run (the first `--districts` district 党委 moved under
a new 党委, as scripts/bench_compliance.py does) inside a transaction that is rolled back."""

import argparse
import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partyaffairs.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from branches.models import BRANCH_KINDS, Organization, OrgKind  # noqa: E402
from compliance.periods import parse_period  # noqa: E402
from compliance.reports import build_workbook  # noqa: E402
from scripts.bench_compliance import Rollback, big_committee  # noqa: E402


def measure(org, period):
    tracemalloc.start()
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        content, branches = build_workbook(org, period)
        elapsed = time.perf_counter() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return branches, len(captured.captured_queries), elapsed, peak, len(content)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tier", choices=("S", "M"), default="M")
    parser.add_argument("--period", default="2026-Q3")
    parser.add_argument("--districts", type=int, default=15)
    args = parser.parse_args()
    root = Organization.objects.filter(code=f"SCALE-{args.tier}", depth=1).first()
    if root is None:
        sys.exit(f"No tier {args.tier} data: run manage.py generate_scale_data --tier {args.tier} first.")
    period = parse_period(args.period)
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}; period {period.code}")
    print(
        f"{'scenario':<40} {'branches':>8} {'queries':>8} {'seconds':>8} {'peak MB':>8} {'MB/100 br':>9} {'xlsx MB':>8}"
    )
    try:
        with transaction.atomic():
            big = big_committee(root, args.districts)
            district = (
                Organization.objects.filter(
                    path__startswith=root.path, depth=root.depth + 1, kind=OrgKind.COMMITTEE
                )
                .exclude(pk=big.pk)
                .last()
            )
            for label, org in (("one district 党委", district), ("committee ≥ 2,000 branches", big)):
                n = Organization.objects.filter(path__startswith=org.path, kind__in=BRANCH_KINDS).count()
                branches, queries, seconds, peak, size = measure(org, period)
                assert branches == n
                print(
                    f"{label:<40} {branches:>8} {queries:>8} {seconds:>8.1f} {peak / 2**20:>8.1f} "
                    f"{peak / 2**20 * 100 / max(branches, 1):>9.2f} {size / 2**20:>8.1f}"
                )
            raise Rollback
    except Rollback:
        pass
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process peak RSS: {rss:.0f} MB")


if __name__ == "__main__":
    main()
