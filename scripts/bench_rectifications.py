"""Measure the rectification pages and API against scale data: queries and wall time.

Fill a database first, then run this against the same DATABASE_URL:

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/pa_rect
    .venv/bin/python manage.py migrate
    .venv/bin/python manage.py generate_scale_data --tier S     # ≈ 800 items
    .venv/bin/python manage.py generate_scale_data --tier M     # ≈ 50,000 items (members take minutes)
    .venv/bin/python scripts/bench_rectifications.py --tier S
    .venv/bin/python scripts/bench_rectifications.py --tier M

Scenarios: staff of the generated root 党委 (the whole tree), staff of one district 党委, and the
secretary of the branch with the most items. Pages: the ledger list, the committee's largest ledger
(paper layout), the overdue list, all items, 我的整改事项, and the API lists. Each GET runs once to
warm up, then `--runs` times: status, queries (CaptureQueriesContext) and median wall time. The
query count must not depend on the tier. Users and grants it creates are rolled back."""

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
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from branches.models import CommitteePost, Grant, Organization, OrgKind, PostRole  # noqa: E402
from members.models import Member  # noqa: E402
from rectifications.models import Item, Ledger  # noqa: E402


class Rollback(Exception):
    pass


def measure(client, url, runs):
    client.get(url, secure=True)
    times, queries, response = [], [], None
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url, secure=True)
            times.append(time.perf_counter() - started)
        queries.append(len(captured.captured_queries))
    rows = ""
    if response.status_code == 200 and response.get("Content-Type", "").startswith("application/json"):
        rows = response.json().get("count", "")
    elif response.status_code == 200 and response.context and "page" in response.context:
        rows = response.context["page"].paginator.count
    return response.status_code, queries, statistics.median(times), rows


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tier", choices=("S", "M"), default="S")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    setup_test_environment()

    root = Organization.objects.filter(code=f"SCALE-{args.tier}", depth=1).first()
    if root is None:
        sys.exit(f"No tier {args.tier} data: run manage.py generate_scale_data --tier {args.tier} first.")
    items = Item.objects.filter(ledger__issuer__path__startswith=root.path)
    print(
        f"database: {connection.vendor} {connection.settings_dict['NAME']}; tier {args.tier}: "
        f"{Ledger.objects.filter(issuer__path__startswith=root.path).count()} ledgers, {items.count()} items, "
        f"{items.overdue().count()} overdue"
    )
    root_ledger = Ledger.objects.filter(issuer=root).annotate(n=Count("items")).order_by("-n").first()
    district = Organization.objects.filter(
        path__startswith=root.path, depth=2, kind=OrgKind.COMMITTEE
    ).first()
    district_ledger = Ledger.objects.filter(issuer=district).annotate(n=Count("items")).order_by("-n").first()
    busiest = (
        Item.units.through.objects.filter(item__in=items)
        .values("organization_id")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()
    )
    post = (
        CommitteePost.objects.current()
        .filter(organization_id=busiest["organization_id"], role=PostRole.SECRETARY)
        .select_related("member", "organization")
        .first()
    )
    pages = {
        "ledgers": "/rectifications/",
        "overdue": "/rectifications/overdue/",
        "items": "/rectifications/items/",
        "mine": "/rectifications/mine/",
        "API items": "/api/v1/rectification-items/",
        "API overdue": "/api/v1/rectification-items/?overdue=true",
        "API ledgers": "/api/v1/rectification-ledgers/",
    }
    print(f"{'scenario':<34} {'page':<22} {'status':>6} {'queries':>8} {'median ms':>10} {'rows':>8}")
    User = get_user_model()
    try:
        with transaction.atomic():
            whole = User.objects.create_user(username="bench_rect_root", password=None, name="bench")
            Grant.objects.create(user=whole, organization=root)
            one = User.objects.create_user(username="bench_rect_district", password=None, name="bench")
            Grant.objects.create(user=one, organization=district)
            secretary = User.objects.create_user(username="bench_rect_secretary", password=None, name="bench")
            Member.objects.filter(pk=post.member_id).update(user=secretary)
            scenarios = (
                ("committee, whole tree", whole, root_ledger),
                (f"committee, {district.name[:12]}", one, district_ledger),
                (f"secretary, {post.organization.name[:12]}", secretary, None),
            )
            for label, user, ledger in scenarios:
                client = Client()
                client.force_login(user)
                urls = dict(pages)
                if ledger is not None:
                    urls = {f"ledger page ({ledger.n})": f"/rectifications/ledgers/{ledger.pk}/", **urls}
                    urls["ledger page overdue"] = f"/rectifications/ledgers/{ledger.pk}/?overdue=1"
                for page, url in urls.items():
                    status, queries, median, rows = measure(client, url, args.runs)
                    counts = (
                        f"{min(queries)}"
                        if min(queries) == max(queries)
                        else f"{min(queries)}-{max(queries)}"
                    )
                    print(
                        f"{label:<34} {page:<22} {status:>6} {counts:>8} {median * 1000:>10.1f} {rows!s:>8}"
                    )
            raise Rollback
    except Rollback:
        pass


if __name__ == "__main__":
    main()
