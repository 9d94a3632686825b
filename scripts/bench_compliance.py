"""Measure the compliance engine against scale data: queries and wall time.

Fill a database first (members and meetings), then run this against the same DATABASE_URL:

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/pa_comp
    .venv/bin/python manage.py migrate
    .venv/bin/python manage.py generate_scale_data --tier M
    .venv/bin/python scripts/bench_compliance.py --tier M [--period 2026-Q3] [--runs 5]

Scenarios: the engine (compliance.engine.evaluate) for one district 党委 (~135 branches at tier M),
for a committee over ≥ 2,000 branches (a 党委 built for the run, inside a transaction that is
rolled back, holding the first 15 district 党委 — 2,025 branches at tier M), and for the whole
generated tree (the 市委, 5,400 branches), for a quarter and for a year; then the committee page,
the API and the 6-month flag count over the whole tree through django.test.Client. Each is run once
to warm up and then `--runs` times; the median wall time and the number of queries
(CaptureQueriesContext) are reported. Nothing is left behind."""

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

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from branches.models import BRANCH_KINDS, Grant, Organization, OrgKind  # noqa: E402
from compliance.engine import evaluate  # noqa: E402
from compliance.periods import parse_period  # noqa: E402
from compliance.selectors import members_without_org_life  # noqa: E402
from meetings.models import Attendance, Meeting  # noqa: E402
from members.models import Member  # noqa: E402


class Rollback(Exception):
    pass


def timed(fn, runs):
    fn()
    times, queries, result = [], [], None
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            result = fn()
            times.append(time.perf_counter() - started)
        queries.append(len(captured.captured_queries))
    counts = f"{min(queries)}" if min(queries) == max(queries) else f"{min(queries)}-{max(queries)}"
    return counts, statistics.median(times), result


def big_committee(root, count):
    """A 党委 holding the first `count` district 党委 (moved under it; rolled back afterwards)."""
    holder = Organization.objects.add_child(
        Organization.objects.get(pk=root.pk), {"name": "基准测试联合党委", "kind": OrgKind.COMMITTEE}
    )
    districts = list(
        Organization.objects.filter(path__startswith=root.path, depth=root.depth + 1, kind=OrgKind.COMMITTEE)
        .exclude(pk=holder.pk)
        .order_by("path")[:count]
    )
    for district in districts:
        district.refresh_from_db()
        holder.refresh_from_db()
        Organization.objects.move(district, holder, "last-child")
    return Organization.objects.get(pk=holder.pk)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tier", choices=("S", "M"), default="M")
    parser.add_argument("--period", default="2026-Q3")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--districts", type=int, default=15, help="district 党委 in the ≥ 2,000-branch committee"
    )
    args = parser.parse_args()
    setup_test_environment()
    root = Organization.objects.filter(code=f"SCALE-{args.tier}", depth=1).first()
    if root is None:
        sys.exit(f"No tier {args.tier} data: run manage.py generate_scale_data --tier {args.tier} first.")
    quarter = parse_period(args.period)
    year = parse_period(str(quarter.start.year))
    scope = Meeting.objects.filter(organization__path__startswith=root.path)
    print(
        f"database: {connection.vendor} {connection.settings_dict['NAME']}; tier {args.tier}: "
        f"{Member.objects.filter(branch__path__startswith=root.path).count()} members, "
        f"{scope.count()} meetings ({scope.locked().count()} locked), "
        f"{Attendance.objects.filter(meeting__organization__path__startswith=root.path).count()} attendance rows"
    )
    print(f"{'scenario':<52} {'branches':>8} {'queries':>8} {'median ms':>10}")

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
            root = Organization.objects.get(pk=root.pk)
            for label, org, period in (
                (f"engine, one district 党委, {quarter}", district, quarter),
                (f"engine, committee ≥ 2,000 branches, {quarter}", big, quarter),
                (f"engine, whole tree, {quarter}", root, quarter),
                (f"engine, whole tree, {year}", root, year),
            ):
                counts, median, report = timed(
                    lambda org=org, period=period: evaluate(org, period), args.runs
                )
                print(f"{label:<52} {len(report.branches):>8} {counts:>8} {median * 1000:>10.1f}")
            one_branch = Organization.objects.filter(
                path__startswith=district.path, kind__in=BRANCH_KINDS
            ).first()
            user = get_user_model().objects.create_user(
                username="bench_compliance", password=None, name="bench"
            )
            Grant.objects.create(user=user, organization=root)
            client = Client()
            client.force_login(user)
            for label, url in (
                ("page /compliance/, whole tree", f"/compliance/?org={root.pk}&period={quarter}"),
                (
                    "API /api/v1/compliance/, whole tree",
                    f"/api/v1/compliance/?org={root.pk}&period={quarter}",
                ),
                ("page /compliance/inactive/, whole tree", f"/compliance/inactive/?org={root.pk}"),
                ("page /compliance/inactive/, one district 党委", f"/compliance/inactive/?org={district.pk}"),
                ("page /compliance/?org=<district>", f"/compliance/?org={district.pk}&period={quarter}"),
                (
                    "page /compliance/branch/<id>/ (one branch)",
                    f"/compliance/branch/{one_branch.pk}/?period={quarter}",
                ),
                ("page /orgs/<branch>/ (with the due panel)", f"/orgs/{one_branch.pk}/"),
            ):
                counts, median, response = timed(lambda url=url: client.get(url, secure=True), args.runs)
                assert response.status_code == 200, (url, response.status_code)
                print(f"{label:<52} {'':>8} {counts:>8} {median * 1000:>10.1f}")
            counts, median, flagged = timed(
                lambda: members_without_org_life(
                    Member.objects.filter(branch__path__startswith=root.path)
                ).count(),
                args.runs,
            )
            print(
                f"{'6-month flag count, whole tree (' + str(flagged) + ' members)':<52} {'':>8} {counts:>8} {median * 1000:>10.1f}"
            )
            raise Rollback
    except Rollback:
        pass


if __name__ == "__main__":
    main()
