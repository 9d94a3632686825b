"""The branch page (the secretary's home) and the member page against hand-built data, and the
query counts of their lists and of the ranking (1 row and 50 rows)."""

import dataclasses
import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from compliance.periods import parse_period
from dashboards import rollups

from .conftest import SHANGHAI, TODAY

pytestmark = pytest.mark.django_db


def get(client, url, when=TODAY):
    with time_machine.travel(when):
        response = client.get(url)
    assert response.status_code == 200, url
    return response


def test_branch_page_lists_what_is_due_with_its_action(cast, world, client_for, meeting):
    from meetings.models import MeetingKind

    meeting(cast.a, MeetingKind.GENERAL_MEETING, datetime.date(2026, 7, 3), locked_on=None)
    response = get(client_for(cast.secretary_a), f"/dashboard/branch/{cast.a.pk}/?period=2026-Q2")
    todo = response.context["todo"]
    kinds = {t.kind for t in todo["week"] + todo["month"]}
    assert {"meeting", "minutes", "development"} <= kinds
    minutes = next(t for t in todo["week"] if t.kind == "minutes")
    assert minutes.url.startswith("/meetings/") and minutes.late
    themed = [t for t in todo["week"] + todo["month"] if t.kind == "meeting"]
    assert all(t.url.startswith("/meetings/record/") for t in themed)
    row = response.context["row"]
    assert row.rag == "red" and row.rate_amount is not None
    html = response.content.decode()
    assert "记录不规范" in html  # the open item
    assert 'data-rule="committee_meeting" data-status="missing"' in html


def test_branch_page_dues_todo(cast, world, client_for):
    response = get(client_for(cast.secretary_a), f"/dashboard/branch/{cast.a.pk}/")
    dues = [
        t for t in response.context["todo"]["month"] + response.context["todo"]["week"] if t.kind == "dues"
    ]
    assert dues and dues[0].url == f"/dues/branch/{cast.a.pk}/"


def test_member_page(cast, world, client_for):
    from meetings.models import Meeting, MeetingStatus

    Meeting.objects.create(
        organization=cast.a,
        kind="themed_day",
        topic="七月主题党日",
        planned_on=datetime.date(2026, 7, 20),
        status=MeetingStatus.PLANNED,
    )
    response = get(client_for(cast.secretary_a), "/dashboard/me/")  # 甲书记 paid nothing
    html = response.content.decode()
    assert "七月主题党日" in html
    assert response.context["arrears"].months == 6
    assert response.context["owed_now"] > 0
    response = get(client_for(cast.member_a), "/dashboard/me/")
    assert response.context["arrears"].months == 0


def test_member_page_shows_the_development_step(cast, world, client_for):
    person = world["pipeline"]
    type(person).objects.filter(pk=person.pk).update(user=cast.outsider)
    response = get(client_for(cast.outsider), "/dashboard/me/")
    assert response.context["step"].no == 2 and response.context["step_late"]


def test_a_user_without_a_member_record_goes_home(cast, client_for):
    assert client_for(cast.committee).get("/dashboard/me/").status_code == 302


def _count(client, url):
    with time_machine.travel(TODAY), CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_ranking_query_count_one_and_fifty_rows(cast, client_for):
    from branches.models import Organization

    client = client_for(cast.admin)
    url = f"/dashboard/?org={cast.c2.pk}&period=2026-Q2"
    with time_machine.travel(TODAY):
        rollups.rebuild([parse_period("2026-Q2")])
    one = _count(client, url)  # 丁党支部 alone
    c2 = Organization.objects.get(pk=cast.c2.pk)
    for i in range(49):
        Organization.objects.add_child(
            Organization.objects.get(pk=c2.pk), {"name": f"新支部{i:02d}", "kind": "branch", "field": "organ"}
        )
    with time_machine.travel(TODAY):
        rollups.rebuild([parse_period("2026-Q2")])
    assert _count(client, url) == one


def test_branch_page_query_count_one_and_fifty_items(cast, world, client_for):
    from rectifications.models import Item

    client = client_for(cast.secretary_a)
    url = f"/dashboard/branch/{cast.a.pk}/?period=2026-Q2"
    one = _count(client, url)
    item = world["late_item"]
    for i in range(49):
        copy = Item.objects.get(pk=item.pk)
        copy.pk = None
        copy.seq = 100 + i
        copy.save()
        copy.units.add(cast.a)
    assert _count(client, url) == one


def test_member_page_query_count_one_and_fifty_meetings(cast, world, client_for, meeting):
    from meetings.models import Attendance, MeetingKind

    client = client_for(cast.member_a)
    first = meeting(cast.a, MeetingKind.THEMED_DAY, datetime.date(2026, 7, 1))
    Attendance.objects.create(meeting=first, member=cast.mem_a, status="present")
    one = _count(client, "/dashboard/me/")
    for i in range(49):
        m = meeting(cast.a, MeetingKind.THEMED_DAY, datetime.date(2026, 1, 1) + datetime.timedelta(days=i))
        Attendance.objects.create(meeting=m, member=cast.mem_a, status="present")
    assert _count(client, "/dashboard/me/") == one


def test_shanghai_month_boundary_on_the_member_page(cast, world, client_for):
    # 31 July 23:30 in Shanghai is still July: July's dues are this month's, not arrears.
    late_july = datetime.datetime(2026, 7, 31, 23, 30, tzinfo=SHANGHAI)
    response = get(client_for(cast.member_a), "/dashboard/me/", when=late_july)
    assert response.context["arrears"].months == 0


def test_the_ranking_is_paged_after_sorting_every_child(cast, client_for, api_for):
    """50 children of 第二机关党委: all are judged and sorted, one page is shown (with its heat-map
    and bars), the red branch first although its name sorts last."""
    from branches.models import Organization
    from dashboards.selectors import RANK_PAGE

    c2 = Organization.objects.get(pk=cast.c2.pk)
    for i in range(49):
        Organization.objects.add_child(
            Organization.objects.get(pk=c2.pk), {"name": f"新支部{i:02d}", "kind": "branch", "field": "organ"}
        )
    with time_machine.travel(TODAY):
        rollups.rebuild([parse_period("2026-Q2")])
    client = client_for(cast.admin)
    url = f"/dashboard/?org={c2.pk}&period=2026-Q2"
    first = get(client, url)
    rows = first.context["rows"]
    board = first.context["board"]
    assert (board.total_children, board.pages, len(rows)) == (50, 5, RANK_PAGE)
    assert len(first.context["chart_data"]["heat"]["rows"]) == RANK_PAGE
    assert len(first.context["chart_data"]["collection"]["names"]) == RANK_PAGE
    assert all(len(r["heat"]) == 12 for r in rows)
    rags = [r["rag"] for r in rows]
    assert rags == sorted(rags, key=["red", "amber", "green"].index)
    assert 'data-testid="ranking-pages"' in first.content.decode()
    by_name = [
        r["name"] for p in range(1, 6) for r in get(client, f"{url}&sort=name&page={p}").context["rows"]
    ]
    assert by_name == sorted(by_name) and len(set(by_name)) == 50  # every child once, in tree order
    last = get(client, f"{url}&sort=name&page=99").context["board"]
    assert last.page == 5  # past the end: the last page
    with time_machine.travel(TODAY):
        api = api_for(cast.admin).get(f"/api/v1/dashboard/?org={c2.pk}&period=2026-Q2").json()
    assert [c["name"] for c in api["children"][:RANK_PAGE]] == [r["name"] for r in rows]
    assert len(api["children"]) == 50  # the API lists every child


def test_the_branch_page_reads_todays_rollup_row_and_agrees_with_the_metrics(cast, world, client_for):
    from compliance.metrics import branch_metrics
    from dashboards.models import OrgFigures

    q2 = parse_period("2026-Q2")
    client = client_for(cast.secretary_a)
    url = f"/dashboard/branch/{cast.a.pk}/?period=2026-Q2"
    live_queries = _count(client, url)  # no rollup: computed live
    with time_machine.travel(TODAY):
        rollups.rebuild([q2])
        live = branch_metrics(cast.a, q2).branches[0]
    response = get(client, url)
    row = response.context["row"]
    live.rank = row.rank = 0  # the rank needs the other branches; the page does not show it
    assert row == live
    assert _count(client, url) < live_queries
    # A row computed on another day is not used: statuses move with the calendar.
    OrgFigures.objects.filter(organization=cast.a, period=q2.code).update(
        computed_on=datetime.date(2026, 7, 9), data={}
    )
    assert dataclasses.replace(get(client, url).context["row"], rank=0) == live
    assert _count(client, url) == live_queries
