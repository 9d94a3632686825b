"""Query counts that do not grow with the data (healthchecks style: a comment per query).

Every list page and endpoint takes the same number of queries for 1 row as for 50, and a
committee's subtree of 500 organisations costs what a subtree of 5 does: rows are annotated in SQL
(`with_row_facts`), never fetched one by one.

Counts are pinned exactly for the embedded default database (SQLite), where a session write runs
in a savepoint; a change to any of them is a change to review, not to paper over.
"""

import datetime

import pytest
from django.contrib.auth import get_user_model

from branches.models import CommitteePost, Grant, Organization, PostRole
from exports.models import ExportJob, ExportStatus
from members.models import Member


def build_committee(branches, *, members_per_branch=1, parent=None):
    """A 党委 with `branches` branches under it, loaded in bulk; each branch has a secretary (who
    is one of its members) so that every annotated column has something to find."""
    tree = [
        {
            "data": {"name": "测试党委", "kind": "committee", "field": "organ"},
            "children": [
                {"data": {"name": f"第{i:03d}党支部", "kind": "branch", "field": "organ"}}
                for i in range(branches)
            ],
        }
    ]
    root_pk = Organization.objects.load_bulk(tree, parent=parent, bulk_create=True)[0]
    root = Organization.objects.get(pk=root_pk)
    branch_rows = list(Organization.objects.filter(path__startswith=root.path, depth=root.depth + 1))
    members = Member.objects.bulk_create(
        Member(name=f"{b.name}党员{j}", gender="male", branch=b, status="full")
        for b in branch_rows
        for j in range(members_per_branch)
    )
    first_member = {}
    for m in members:
        first_member.setdefault(m.branch_id, m)
    CommitteePost.objects.bulk_create(
        CommitteePost(
            organization=b,
            role=PostRole.SECRETARY,
            member=first_member[b.pk],
            started_on=datetime.date(2024, 1, 1),
        )
        for b in branch_rows
        if b.pk in first_member
    )
    return root


def staff_of(org, username="staff"):
    user = get_user_model().objects.create_user(username=username, password="correct horse battery")
    Grant.objects.create(user=user, organization=org)
    return user


@pytest.fixture
def city(db):
    """A city 党委 above the committee, so that detail pages have a breadcrumb to look up."""
    return Organization.objects.add_root({"name": "江城市委", "kind": "committee", "field": "organ"})


@pytest.fixture
def token_api():
    """An API client authenticated by token, as API consumers are: every request loads the user
    afresh (force_authenticate would hand the view one cached user object, scope and all)."""
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    def login(user):
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
        return api

    return login


def get(client, path, assert_queries, count):
    """GET `path` under an exact query count. A warm-up request first fills the per-process caches
    (content types) as on a running server, so the count is the steady state, whatever ran
    before this test."""
    client.get(path)
    with assert_queries(count):
        response = client.get(path)
    assert response.status_code == 200
    return response


# --------------------------------------------------------------------------------------------
# 1 row and 50 rows
# --------------------------------------------------------------------------------------------
#
# Every signed-in page and endpoint opens with the same few queries:
#   HTML: (1) the session row, (2) the user row;  API: (1) the token joined to its user.
#   Then the user's scope (branches.scoping.scope_for), once per request: grants, current officer
#   posts, member record.
# The session is not written back: the counted request comes within a minute of the warm-up, and
# accounts.middleware.IdleSessionMiddleware pushes the idle expiry forward at most once a minute.


@pytest.mark.parametrize("rows", [1, 50])
def test_tree_page(city, client_for, django_assert_num_queries, rows):
    committee = build_committee(rows - 1, parent=city)  # the committee itself is the first row
    client = client_for(staff_of(committee))
    # 1-2   session, user
    # 3-5   scope: grants, officer posts, member record
    # 6     COUNT of the visible organisations (paginator)
    # 7     the page of organisations, secretary and member count as subqueries
    response = get(client, "/orgs/", django_assert_num_queries, 7)
    assert len(response.context["page"].object_list) == rows


@pytest.mark.parametrize("rows", [1, 50])
def test_committee_detail_page(city, client_for, django_assert_num_queries, rows):
    committee = build_committee(rows, parent=city)
    client = client_for(staff_of(committee))
    # 1-2   session, user
    # 3-5   scope: grants, officer posts, member record
    # 6     the organisation, fetched through visible_to (404 outside the scope)
    # 7     its ancestors for the breadcrumb (path IN the path's prefixes)
    # 8     which of those ancestors the user may open
    # 9     the direct children, secretary and member count as subqueries
    # 10    the current committee posts with their members
    # 11    subtree summary: organisations by kind (GROUP BY)
    # 12    subtree summary: active members (COUNT)
    # 13    the change history with its actors
    # 14    panels of higher apps: overdue rectification items escalated here (COUNT; their rows
    #       only when there are any)
    response = get(client, f"/orgs/{committee.pk}/", django_assert_num_queries, 14)
    assert len(response.context["children"]) == rows
    assert response.context["summary"]["members"] == rows


@pytest.mark.parametrize("rows", [1, 50])
def test_branch_detail_page(city, client_for, django_assert_num_queries, rows):
    committee = build_committee(1, members_per_branch=rows, parent=city)
    branch = Organization.objects.get(path__startswith=committee.path, kind="branch")
    groups = [
        Organization.objects.add_child(
            branch, {"name": f"第{i}党小组", "kind": "party_group", "field": "organ"}
        )
        for i in range(2)
    ]
    Member.objects.filter(branch=branch).update(party_group=groups[0])
    client = client_for(staff_of(committee))
    # 1-2   session, user
    # 3-5   scope: grants, officer posts, member record
    # 6     the branch, fetched through visible_to
    # 7     its ancestors for the breadcrumb
    # 8     which of those ancestors the user may open
    # 9     its party groups, with annotations
    # 10    the current committee posts with their members
    # 11    the member roster with each member's party group (select_related)
    # 12-16 the 本月/本季度应开会议 panel (compliance engine): rules, organisations, full
    #       members, locked meetings, talks
    # 17    the panel's count of members with no organisational life for 6 months
    # 18    the change history with its actors
    # 19    panels of higher apps: overdue rectification items escalated here (COUNT)
    response = get(client, f"/orgs/{branch.pk}/", django_assert_num_queries, 19)
    assert len(response.context["members"]) == rows
    assert len(response.context["children"]) == 2


@pytest.mark.parametrize("rows", [1, 50])
def test_api_organizations_list(city, token_api, django_assert_num_queries, rows):
    committee = build_committee(rows - 1, parent=city)
    api = token_api(staff_of(committee))
    # 1     token joined to its user
    # 2-4   scope: grants, officer posts, member record
    # 5     COUNT of the visible organisations (paginator)
    # 6     the page of organisations, secretary and member count as subqueries
    # 7     the parents' ids for the page, by path, in one query
    response = get(api, "/api/v1/organizations/", django_assert_num_queries, 7)
    assert len(response.data["results"]) == rows
    assert {r["parent_id"] for r in response.data["results"]} == {city.pk} | (
        {committee.pk} if rows > 1 else set()
    )


@pytest.mark.parametrize("rows", [1, 50])
def test_api_committee_posts_list(city, token_api, django_assert_num_queries, rows):
    committee = build_committee(rows, parent=city)
    api = token_api(staff_of(committee))
    # 1     token joined to its user
    # 2-4   scope: grants, officer posts, member record
    # 5     COUNT of the posts in visible organisations (paginator)
    # 6     the page of posts with organisation and member (select_related)
    response = get(api, "/api/v1/committee-posts/", django_assert_num_queries, 6)
    assert len(response.data["results"]) == rows
    assert all(r["member_name"] and r["organization_name"] for r in response.data["results"])


@pytest.mark.parametrize("rows", [1, 50])
def test_exports_page(city, client_for, django_assert_num_queries, rows):
    user = staff_of(city)
    ExportJob.objects.bulk_create(
        ExportJob(user=user, exporter="organizations", status=ExportStatus.DONE, rows=i) for i in range(rows)
    )
    client = client_for(user)
    # 1-2   session, user
    # 3-5   scope, for the navigation bar: grants, officer posts, member record
    # 6     the user's export jobs (newest 50)
    response = get(client, "/exports/", django_assert_num_queries, 6)
    assert len(response.context["jobs"]) == rows


# --------------------------------------------------------------------------------------------
# A committee's subtree of 5 and of 500 organisations
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [5, 500])
def test_api_subtree_listing(city, token_api, django_assert_num_queries, size):
    committee = build_committee(size - 1, parent=city)
    api = token_api(staff_of(committee))
    # 1     token joined to its user
    # 2-4   scope: grants, officer posts, member record
    # 5     the `within` organisation (its path bounds the subtree)
    # 6     COUNT of the subtree within the visible organisations (paginator)
    # 7     the first page (50) of the subtree, with annotations
    # 8     the parents' ids for the page, by path, in one query
    response = get(api, f"/api/v1/organizations/?within={committee.pk}", django_assert_num_queries, 8)
    assert response.data["count"] == size
    assert len(response.data["results"]) == min(size, 50)


@pytest.mark.parametrize("size", [5, 500])
def test_tree_page_subtree(city, client_for, django_assert_num_queries, size):
    committee = build_committee(size - 1, parent=city)
    client = client_for(staff_of(committee))
    # 1-2   session, user
    # 3-5   scope: grants, officer posts, member record
    # 6     COUNT of the visible organisations (paginator)
    # 7     the first page (50), with annotations
    response = get(client, "/orgs/", django_assert_num_queries, 7)
    assert response.context["page"].paginator.count == size
    assert len(response.context["page"].object_list) == min(size, 50)


@pytest.mark.parametrize("size", [5, 500])
def test_committee_detail_page_subtree(city, client_for, django_assert_num_queries, size):
    """The committee page lists every direct child (not paginated) and sums the whole subtree:
    still the same queries for 4 branches as for 499."""
    committee = build_committee(size - 1, parent=city)
    client = client_for(staff_of(committee))
    # The same 14 queries as test_committee_detail_page: the children and the subtree summary
    # are one query each whatever their size.
    response = get(client, f"/orgs/{committee.pk}/", django_assert_num_queries, 14)
    assert len(response.context["children"]) == size - 1
    assert response.context["summary"]["branches"] == size - 1
    assert response.context["summary"]["members"] == size - 1
