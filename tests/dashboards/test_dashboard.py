"""The committee dashboard, its rollups and API: figures equal compliance.metrics (the quarterly
report's source), which equals the engine and the dues ledger; rollups kept current by signals;
a fixed number of queries at two subtree sizes; scoping (a foreign organisation is a 404)."""

import datetime
from decimal import Decimal

import pytest
import time_machine

from compliance.metrics import branch_metrics
from compliance.periods import parse_period
from dashboards import rollups, selectors
from dashboards.models import OrgFigures

from .conftest import TODAY

pytestmark = pytest.mark.django_db
Q2 = "2026-Q2"


@pytest.fixture
def built(cast, world):
    with time_machine.travel(TODAY):
        first = datetime.date(2025, 8, 1)
        rollups.rebuild(rollups.periods_between(first, datetime.date(2026, 7, 10)))
    return world


def board(org, period=Q2):
    with time_machine.travel(TODAY):
        return selectors.dashboard(org, parse_period(period))


def test_rollup_sums_equal_metrics_over_the_subtree(cast, built):
    with time_machine.travel(TODAY):
        metrics = branch_metrics(cast.root, parse_period(Q2))
    f = board(cast.root).figures
    rows = metrics.branches
    assert f.data["branches"] == len(rows) == 3
    assert f.dues_due == sum((r.dues_due for r in rows), Decimal(0))
    assert f.dues_paid == sum((r.dues_paid for r in rows), Decimal(0))
    assert f.data["dues_owing"] == sum(r.dues_owing for r in rows)
    assert f.data["arrears_b6"] == sum(r.arrears_b6 for r in rows)
    assert f.data["items_overdue"] == sum(r.items_overdue for r in rows)
    assert f.data["att_present"] == sum(r.att_present for r in rows)
    assert f.data["red"] == sum(r.rag == "red" for r in rows)
    assert f.rules_missing == sum(r.rules_missing for r in rows)


def test_a_branch_child_keeps_its_rag_and_reasons(cast, built):
    c1 = board(cast.c1)
    a = next(c for c in c1.children if c.org.pk == cast.a.pk)
    with time_machine.travel(TODAY):
        row = branch_metrics(cast.a, parse_period(Q2)).branches[0]
    assert a.rag == row.rag == "red"
    assert a.score == row.score
    assert a.figures.rate_amount == row.rate_amount == Decimal("87.5")
    assert [r[:2] for r in a.reasons] == [(k, c) for k, c, _n in row.reasons]
    root = board(cast.root)
    c1_row = next(c for c in root.children if c.org.pk == cast.c1.pk)
    assert c1_row.figures.data["branches"] == 2 and c1_row.rag in ("red", "amber")
    assert any(r[0] == "red_branches" for r in c1_row.reasons)


def test_the_trend_and_heat_map_read_month_rows(cast, built):
    c1 = board(cast.c1)
    months = [m.code for m in c1.months]
    assert months[-1] == "2026-06" and len(months) == 12
    april = dict(c1.trend)[parse_period("2026-04")]
    assert april.data["rules"]["committee_meeting"][3] == 1  # a missed April 支委会
    a = next(c for c in c1.children if c.org.pk == cast.a.pk)
    assert dict(a.heat)[parse_period("2026-05")] == Decimal("100.0")


def test_refresh_after_a_meeting_is_locked(cast, built, meeting, django_capture_on_commit_callbacks):
    from meetings.models import MeetingKind

    before = board(cast.c1).figures.rules_missing
    with time_machine.travel(TODAY), django_capture_on_commit_callbacks(execute=True):
        meeting(cast.a, MeetingKind.COMMITTEE_MEETING, datetime.date(2026, 4, 20))
    after = board(cast.c1)
    assert after.figures.rules_missing == before - 1
    with time_machine.travel(TODAY):
        row = branch_metrics(cast.a, parse_period(Q2)).branches[0]
        fresh = OrgFigures.objects.get(organization=cast.a, period=Q2).data
    assert fresh == rollups.branch_data(row)


def test_refresh_after_a_payment(cast, built, django_capture_on_commit_callbacks):
    from dues import services

    unpaid = built["members"][0]
    with time_machine.travel(TODAY), django_capture_on_commit_callbacks(execute=True):
        services.dues_payment_record(
            user=cast.secretary_a, member=unpaid, amount=Decimal("60.00"), paid_on=datetime.date(2026, 7, 10)
        )
    f = board(cast.c1).figures
    assert f.dues_paid == Decimal("240.00") and f.data["arrears_b6"] == 0


def test_structure_row(cast, built):
    s = board(cast.c1).structure
    assert s["members"] == 9 and s["full"] == 9  # 甲 8 + 乙 1
    assert s["status_applicant"] == 1 and s["vacant_secretary"] == 0


def test_query_count_is_fixed_at_two_sizes(cast, built, client_for, django_assert_num_queries, full_members):
    from branches.models import Organization

    client = client_for(cast.admin)

    def load():
        with time_machine.travel(TODAY):
            response = client.get(f"/dashboard/?org={cast.root.pk}&period={Q2}")
        assert response.status_code == 200
        return response

    # session, user, scope (grants, posts, member), the organisation, ancestors, children,
    # score rules, the rollup rows
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    load()  # the first request after signing in also writes the session's idle expiry
    with CaptureQueriesContext(connection) as small:
        load()
    for i in range(30):
        branch = Organization.objects.add_child(
            Organization.objects.get(pk=cast.c2.pk),
            {"name": f"新支部{i}", "kind": "branch", "field": "organ"},
        )
        full_members(branch, 2)
    with time_machine.travel(TODAY):
        rollups.rebuild([parse_period(Q2)])
    with django_assert_num_queries(len(small.captured_queries)):
        load()


@pytest.mark.parametrize(
    ("user", "org", "status"),
    [
        ("committee", "c1", 200),
        ("committee", "a", 302),  # a branch: its page
        ("committee", "c2", 404),
        ("committee", "root", 404),
        ("other_committee", "c1", 404),
        ("secretary_a", "c1", 404),
        ("admin", "root", 200),
    ],
)
def test_scoping(cast, built, client_for, user, org, status):
    response = client_for(getattr(cast, user)).get(f"/dashboard/?org={getattr(cast, org).pk}&period={Q2}")
    assert response.status_code == status


@pytest.mark.parametrize(
    ("user", "org", "status"),
    [
        ("secretary_a", "a", 200),
        ("secretary_b", "a", 404),
        ("committee", "a", 200),
        ("other_committee", "a", 404),
        ("member_a", "b", 404),
    ],
)
def test_branch_page_scoping(cast, built, client_for, user, org, status):
    response = client_for(getattr(cast, user)).get(f"/dashboard/branch/{getattr(cast, org).pk}/")
    assert response.status_code == status


def test_page_shows_the_ranking_with_links(cast, built, client_for):
    with time_machine.travel(TODAY):
        html = client_for(cast.committee).get(f"/dashboard/?org={cast.c1.pk}&period={Q2}").content.decode()
    assert f'href="/compliance/branch/{cast.a.pk}/?period={Q2}#rule-committee_meeting"' in html
    assert 'data-rag="red"' in html and "dashboard-data" in html
    assert "vendor/echarts/echarts.min.js" in html


def test_api(cast, built, api_for):
    api = api_for(cast.committee)
    with time_machine.travel(TODAY):
        data = api.get(f"/api/v1/dashboard/?org={cast.c1.pk}&period={Q2}").json()
    assert data["period"] == Q2 and data["built"] is True
    assert data["figures"]["branches"] == 2
    assert data["figures"]["rate_amount"] == 87.5
    a = next(c for c in data["children"] if c["id"] == cast.a.pk)
    assert a["rag"] == "red" and any(r["code"] == "committee_meeting" for r in a["reasons"])
    assert len(data["trend"]) == 12
    assert api.get(f"/api/v1/dashboard/?org={cast.c2.pk}&period={Q2}").status_code == 404
    bad = api.get(f"/api/v1/dashboard/?org={cast.c1.pk}&period=2026-Q5")
    assert bad.status_code == 400 and "period" in bad.json()
    assert api.get("/api/v1/dashboard/?org=x").json().keys() == {"org"}


def test_api_in_schema(client):
    schema = client.get("/api/schema/").content.decode()
    assert "/api/v1/dashboard/" in schema


def test_a_period_not_built_says_so(cast, world, client_for):
    with time_machine.travel(TODAY):
        html = client_for(cast.committee).get(f"/dashboard/?org={cast.c1.pk}&period=2024").content.decode()
    assert 'data-testid="not-built"' in html


def test_branch_row_reverses_branch_data(cast, world):
    with time_machine.travel(TODAY):
        row = branch_metrics(cast.a, parse_period(Q2)).branches[0]
    row.rank = 0  # the rank needs the other branches: not kept in a branch's row
    assert row.rules and row.reasons and row.score is not None  # a row with something to lose
    assert rollups.branch_row(cast.a, rollups.branch_data(row)) == row
