"""Compliance pages: the committee table (sort, period picker, pagination, drill-down), the branch
page (meetings behind a rule, 生成整改事项 for a miss), the panel on the branch page, the inactive list."""

import datetime
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from branches.models import Organization

D = datetime.date
SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _october_2026():
    with time_machine.travel(datetime.datetime(2026, 10, 1, 9, tzinfo=SH), tick=False):
        yield


def test_committee_table_shows_branches_by_rules(cast, client_for, meeting):
    meeting(cast.a, "themed_day", D(2026, 9, 1))
    page = client_for(cast.committee).get(
        reverse("compliance:overview"), {"org": cast.c1.pk, "period": "2026-09"}
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert "甲党支部" in html and "乙党支部" in html and "丁党支部" not in html
    rows = {b.id: b for b in page.context["page"].object_list}
    assert rows[cast.a.pk].rules["themed_day"].status == "met"
    assert rows[cast.b.pk].rules["themed_day"].status == "missing"
    assert f"{reverse('compliance:branch', args=[cast.a.pk])}?period=2026-09#rule-themed_day" in html


def test_committee_table_defaults_to_home_org_and_this_quarter(cast, client_for):
    page = client_for(cast.committee).get(reverse("compliance:overview"))
    assert page.context["org"] == cast.c1 and page.context["period"].code == "2026-Q4"


def test_malformed_period_falls_back_with_the_message(cast, client_for):
    page = client_for(cast.committee).get(
        reverse("compliance:overview"), {"org": cast.c1.pk, "period": "2026-Q5"}
    )
    assert page.status_code == 200
    assert "Q1 至 Q4" in page.content.decode() and page.context["period"].code == "2026-Q4"


def test_sorting_by_a_rule_puts_misses_first(cast, client_for, meeting):
    meeting(cast.b, "general_meeting", D(2026, 8, 1))
    client = client_for(cast.committee)
    page = client.get(
        reverse("compliance:overview"),
        {"org": cast.c1.pk, "period": "2026-Q3", "sort": "general_meeting", "dir": "desc"},
    )
    assert [b.id for b in page.context["page"].object_list] == [cast.a.pk, cast.b.pk]
    # The period picker keeps the sort.
    assert (
        f"?org={cast.c1.pk}&amp;sort=general_meeting&amp;dir=desc&amp;period=2026-Q2" in page.content.decode()
    )
    page = client.get(
        reverse("compliance:overview"),
        {"org": cast.c1.pk, "period": "2026-Q3", "sort": "general_meeting", "dir": "asc"},
    )
    assert [b.id for b in page.context["page"].object_list] == [cast.b.pk, cast.a.pk]
    page = client.get(reverse("compliance:overview"), {"org": cast.c1.pk, "sort": "name", "dir": "desc"})
    assert [b.id for b in page.context["page"].object_list] == [cast.b.pk, cast.a.pk]


def test_a_branch_goes_to_its_own_page(cast, client_for):
    page = client_for(cast.committee).get(
        reverse("compliance:overview"), {"org": cast.a.pk, "period": "2026-09"}
    )
    assert page.status_code == 302
    assert page["Location"] == f"{reverse('compliance:branch', args=[cast.a.pk])}?period=2026-09"


def test_branch_page_links_the_meetings_and_offers_a_rectification_for_a_miss(cast, client_for, meeting):
    m = meeting(cast.a, "committee_meeting", D(2026, 9, 10), themed=True)
    page = client_for(cast.secretary_a).get(
        reverse("compliance:branch", args=[cast.a.pk]), {"period": "2026-09"}
    )
    html = page.content.decode()
    assert f'href="/meetings/{m.pk}/"' in html
    assert "支委会与主题党日合并召开" in html
    rules = {item["rule"].code: item for item in page.context["rules"]}
    assert rules["themed_day"]["rule"].status == "met" and rules["themed_day"]["rectify"] is None
    link = urlparse(rules["general_meeting"]["rectify"])
    assert link.path == "/rectifications/from-compliance/"
    query = parse_qs(link.query)
    assert query["unit"] == [str(cast.a.pk)] and query["rule"] == ["general_meeting"]
    assert query["period"] == ["2026-Q3"] and query["rule_label"] == ["支部党员大会"]
    assert "甲党支部" in query["summary"][0] and "2026-Q3" in query["summary"][0]
    assert "生成整改事项" in html


def test_a_member_sees_the_branch_page_without_the_rectification_button(cast, client_for):
    page = client_for(cast.member_a).get(
        reverse("compliance:branch", args=[cast.a.pk]), {"period": "2026-09"}
    )
    assert page.status_code == 200
    assert "生成整改事项" not in page.content.decode()


def test_branch_page_shows_the_due_panel(cast, client_for, meeting):
    meeting(cast.a, "themed_day", D(2026, 10, 1))
    page = client_for(cast.secretary_a).get(reverse("orgs:detail", args=[cast.a.pk]))
    html = page.content.decode()
    assert "本月/本季度应开会议" in html
    assert "主题党日" in html and "支部党员大会" in html


def test_secretary_home_is_the_branch_page_with_the_panel(cast, client_for):
    client = client_for(cast.secretary_a)
    page = client.get(reverse("home"), follow=True)
    # The secretary's home is the branch page (dashboards): the meetings due are its to-dos, and the
    # organisation page keeps the compliance panel.
    assert page.redirect_chain[-1][0] == reverse("dashboards:branch", args=[cast.a.pk])
    assert reverse("compliance:branch", args=[cast.a.pk]) in page.content.decode()
    org_page = client.get(reverse("orgs:detail", args=[cast.a.pk]))
    assert "本月/本季度应开会议" in org_page.content.decode()


def test_committee_page_links_to_the_table(cast, client_for):
    page = client_for(cast.committee).get(reverse("orgs:detail", args=[cast.c1.pk]))
    assert f"{reverse('compliance:overview')}?org={cast.c1.pk}" in page.content.decode()


def test_inactive_list_for_a_committee(cast, client_for, meeting):
    for branch in (cast.a, cast.b, cast.d):
        meeting(branch, "general_meeting", D(2025, 1, 10))  # records reach back past the 6 months
    page = client_for(cast.committee).get(reverse("compliance:inactive"), {"org": cast.c1.pk})
    names = {m.name for m in page.context["page"].object_list}
    assert names == {"甲书记", "甲党员", "乙书记"}


def _branches(parent, n):
    parent = Organization.objects.get(pk=parent.pk)
    for i in range(n):
        parent.refresh_from_db()
        Organization.objects.add_child(parent, {"name": f"批量支部{i:02d}", "kind": "branch"})


# Queries for a page of a committee's compliance, whatever the number of rows:
# 1-2   session, user
# 3-5   scope: grants, officer posts, member record
# 6     the organisation, through visible_to
# 7-11  the engine: rule rows, branches and party groups, full members, locked meetings, talks
# (no session write: sign-in marked its idle expiry fresh, see accounts.middleware)
TABLE_QUERIES = 11
# The inactive list: 1-6 as above, 7 the count, 8 the page of members (each with its branch and
# last attendance as subqueries).
INACTIVE_QUERIES = 8


def _third_committee(cast):
    return Organization.objects.add_child(
        Organization.objects.get(pk=cast.root.pk), {"name": "第三党委", "kind": "committee"}
    )


@pytest.mark.parametrize("rows", [1, 50])
def test_committee_table_query_count_is_the_same_for_1_and_50_rows(
    cast, client_for, django_assert_num_queries, rows
):
    c3 = _third_committee(cast)
    _branches(c3, rows)
    client = client_for(cast.admin)
    with django_assert_num_queries(TABLE_QUERIES):
        page = client.get(reverse("compliance:overview"), {"org": c3.pk, "period": "2026-Q3"})
    assert len(page.context["page"].object_list) == rows


@pytest.mark.parametrize("rows", [1, 50])
def test_inactive_list_query_count_is_the_same_for_1_and_50_rows(
    cast, client_for, django_assert_num_queries, rows, meeting
):
    from tests.conftest import make_member

    c3 = _third_committee(cast)
    _branches(c3, 1)
    branch = Organization.objects.filter(path__startswith=c3.path, kind="branch").first()
    meeting(branch, "general_meeting", D(2025, 1, 10))
    for i in range(rows):
        make_member(branch, f"党员{i}")
    client = client_for(cast.admin)
    with django_assert_num_queries(INACTIVE_QUERIES):
        page = client.get(reverse("compliance:inactive"), {"org": c3.pk})
    assert len(page.context["page"].object_list) == rows


@pytest.mark.parametrize("rows", [1, 50])
def test_api_query_count_is_the_same_for_1_and_50_branches(cast, client_for, django_assert_num_queries, rows):
    c3 = _third_committee(cast)
    _branches(c3, rows)
    client = client_for(cast.admin)
    # The API also looks for the subtree's rollup row (none here: the engine runs over the subtree).
    with django_assert_num_queries(TABLE_QUERIES + 1):
        data = client.get("/api/v1/compliance/", {"org": c3.pk, "period": "2026-Q3"}).json()
    assert len(data["branches"]) == rows
