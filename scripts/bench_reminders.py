"""Measure a full reminder run over scale data: every rule over the whole tree (candidates from the
compliance engine, the dues ledger, rectification items, development steps, transfer letters and
terms), the claim (INSERT … ON CONFLICT DO NOTHING) and the dispatch; then a second run, which must
claim nothing. Rolled back afterwards, so the database keeps no delivery.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/pa_notif
    .venv/bin/python manage.py generate_scale_data --tier M
    .venv/bin/python scripts/bench_reminders.py [--date 2026-09-25]"""

import argparse
import datetime
import os
import resource
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partyaffairs.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from notifications import reminders  # noqa: E402
from notifications.models import Delivery  # noqa: E402
from notifications.services import reminder_run  # noqa: E402


class Rollback(Exception):
    pass


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--date", default="", help="the day judged (default today)")
    args = parser.parse_args()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    today = datetime.date.fromisoformat(args.date) if args.date else None
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    started = time.perf_counter()
    per_case = Counter()
    ctx = reminders.Context(today)
    for case in reminders.CASES:
        t = time.perf_counter()
        n = sum(1 for _ in case(ctx))
        per_case[case.__name__] = (n, time.perf_counter() - t)
    print(f"candidates only: {time.perf_counter() - started:.1f}s")
    for name, (n, seconds) in per_case.items():
        print(f"  {name:<24} {n:>8} candidates {seconds:>7.1f}s")
    try:
        with transaction.atomic():
            with CaptureQueriesContext(connection) as captured:
                t = time.perf_counter()
                first = reminder_run(today=today)
                full = time.perf_counter() - t
            print(f"full run: {full:.1f}s, {len(captured.captured_queries)} queries, {first}")
            t = time.perf_counter()
            second = reminder_run(today=today)
            print(f"second run: {time.perf_counter() - t:.1f}s, {second} (claimed must be 0)")
            print(f"deliveries: {Delivery.objects.count()}")
            raise Rollback
    except Rollback:
        pass
    print(f"process peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
