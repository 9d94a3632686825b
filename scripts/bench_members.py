"""Measure the roster page and the members API against scale data: queries and wall time.

Fill a database first, then run this against the same DATABASE_URL:

    createdb -h 127.0.0.1 -U postgres pa_scale_m
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/pa_scale_m
    .venv/bin/python manage.py migrate
    .venv/bin/python manage.py generate_scale_data --tier M        # or --tier S (≈ 4 s)
    .venv/bin/python scripts/bench_members.py --tier M [--runs 7]

For each user — committee staff over the whole generated tree, and the secretary of one branch —
and for a tiny organisation of 10 members built for comparison, it GETs each page with
django.test.Client (force_login), once to warm the caches and then `--runs` times, and reports the
status, the number of queries (CaptureQueriesContext) and the median wall time. Everything it
creates (users, grants, the tiny tree, sessions) is rolled back at the end: the database is left as
it was."""

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

from branches.models import CommitteePost, Grant, Organization, OrgKind, PostRole  # noqa: E402
from members.models import Member  # noqa: E402

PAGES = (
    ("roster page", "/members/"),
    ("API list", "/api/v1/members/"),
    ("API search", "/api/v1/members/?q=wj&current=true"),
    ("API schedule", "/api/v1/development-schedule/?overdue=true"),
)


class Rollback(Exception):
    pass


def bench_user(username, *, grant_on=None, member=None):
    user = get_user_model().objects.create_user(username=username, password=None, name=username)
    if grant_on is not None:
        Grant.objects.create(user=user, organization=grant_on)
    if member is not None:
        Member.objects.filter(pk=member.pk).update(user=user)
    return user


def tiny_tree():
    """A 党委 with one branch of 10 members, its secretary the first of them."""
    root = Organization.objects.add_root(
        {"name": "基准测试党委", "kind": OrgKind.COMMITTEE, "field": "organ"}
    )
    branch = Organization.objects.add_child(
        root, {"name": "基准测试党支部", "kind": OrgKind.BRANCH, "field": "organ"}
    )
    people = [Member.objects.create(name=f"基准党员{i}", gender="male", branch=branch) for i in range(10)]
    post = CommitteePost.objects.create(
        organization=branch, role=PostRole.SECRETARY, member=people[0], started_on="2024-01-01"
    )
    return root, post


def largest_branch_secretary(root):
    posts = CommitteePost.objects.filter(
        organization__path__startswith=root.path, role=PostRole.SECRETARY, ended_on__isnull=True
    ).select_related("organization", "member")
    sizes = dict(
        Member.objects.filter(branch__path__startswith=root.path)
        .values_list("branch_id")
        .annotate(n=django.db.models.Count("pk"))
        .values_list("branch_id", "n")
    )
    return max(posts, key=lambda p: sizes.get(p.organization_id, 0))


def measure(client, url, runs):
    client.get(url, secure=True)  # warm-up: content types, templates, the connection
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
    return response.status_code, queries, statistics.median(times), rows


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tier", choices=("S", "M"), default="S")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    setup_test_environment()  # lets django.test.Client in (ALLOWED_HOSTS gets 'testserver')

    root = Organization.objects.filter(code=f"SCALE-{args.tier}", depth=1).first()
    if root is None:
        sys.exit(f"No tier {args.tier} data: run manage.py generate_scale_data --tier {args.tier} first.")
    members = Member.objects.filter(branch__path__startswith=root.path).count()
    print(
        f"database: {connection.vendor} {connection.settings_dict['NAME']}; tier {args.tier}: {members} members"
    )
    print(f"{'scenario':<38} {'page':<14} {'status':>6} {'queries':>8} {'median ms':>10} {'rows':>8}")
    try:
        with transaction.atomic():
            secretary_post = largest_branch_secretary(root)
            tiny_root, tiny_post = tiny_tree()
            scenarios = (
                (f"committee, whole tree ({members})", bench_user("bench_committee", grant_on=root)),
                (
                    f"secretary, {secretary_post.organization.short_name or secretary_post.organization.name}",
                    bench_user("bench_secretary", member=secretary_post.member),
                ),
                ("committee, tiny tree (10)", bench_user("bench_tiny_committee", grant_on=tiny_root)),
                ("secretary, tiny branch (10)", bench_user("bench_tiny_secretary", member=tiny_post.member)),
            )
            for label, user in scenarios:
                client = Client()
                client.force_login(user)
                for page, url in PAGES:
                    status, queries, median, rows = measure(client, url, args.runs)
                    counts = (
                        f"{min(queries)}"
                        if min(queries) == max(queries)
                        else f"{min(queries)}-{max(queries)}"
                    )
                    print(
                        f"{label:<38} {page:<14} {status:>6} {counts:>8} {median * 1000:>10.1f} {rows!s:>8}"
                    )
            raise Rollback
    except Rollback:
        pass


if __name__ == "__main__":
    main()
