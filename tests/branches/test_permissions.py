"""The permission matrix for the org tree (pretix style): (role, target, action) → expected status.

The standing cast (tests/conftest.py): committee staff of c1 see c1, its branches a and b and a's
party group; other_committee sees c2 and d; a secretary runs their own branch and its party
groups; member_a reads branch a; the outsider sees nothing.

The rules every row follows:
- an object outside the user's visible scope is 404, never 403 (its existence is not revealed);
- a visible object the user may not change is 403;
- anonymous HTML requests go to the login page, anonymous API requests get 401/403;
- an id in a request body naming a foreign object is answered exactly like an id that does not
  exist (400 "does not exist"), so a body cannot be used to probe for ids either.

Each write row also asserts that the write did, or did not, reach the database.
"""

import datetime

import pytest

from branches.models import CommitteePost, Organization, PostRole
from tests.conftest import make_member

ROLES = (
    "admin",
    "committee",
    "other_committee",
    "secretary_a",
    "secretary_b",
    "member_a",
    "outsider",
    "anonymous",
)
TARGETS = ("a", "b", "d", "c1", "a_group")
LOGIN = "login"  # anonymous HTML: redirect to /accounts/login/?next=…
ANON_API = "anon"  # anonymous API: 401 or 403

# What each role can see; everything else must 404.
VISIBLE = {
    "admin": {"root", "c1", "c2", "a", "b", "d", "a_group"},
    "committee": {"c1", "a", "a_group", "b"},
    "other_committee": {"c2", "d"},
    "secretary_a": {"a", "a_group"},
    "secretary_b": {"b"},
    "member_a": {"a", "a_group"},
    "outsider": set(),
    "anonymous": set(),
}


def user_of(cast, role):
    return None if role == "anonymous" else getattr(cast, role)


def parent_of(org):
    return Organization.objects.get_parent(org)


def table(rows):
    """Flatten {role: (status per TARGETS…)} into parametrize rows (role, target, expected)."""
    flat = []
    for role, statuses in rows.items():
        assert len(statuses) == len(TARGETS), role
        flat.extend((role, target, expected) for target, expected in zip(TARGETS, statuses, strict=True))
    assert {r for r, _, _ in flat} == set(ROLES)
    return flat


def ids(rows):
    return [f"{role}-{target}-{expected}" for role, target, expected in rows]


def assert_status(response, expected, path):
    if expected == LOGIN:
        assert response.status_code == 302
        assert response.url.startswith("/accounts/login/?next=")
        assert path in response.url
    elif expected == ANON_API:
        assert response.status_code in (401, 403)
    else:
        assert response.status_code == expected, getattr(response, "data", response.content[:300])


# --------------------------------------------------------------------------------------------
# HTML pages
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "shown"),
    [
        ("admin", {"root", "c1", "c2", "a", "b", "d", "a_group"}),
        ("committee", {"c1", "a", "b", "a_group"}),
        ("other_committee", {"c2", "d"}),
        ("secretary_a", {"a", "a_group"}),
        ("secretary_b", {"b"}),
        ("member_a", {"a", "a_group"}),
        ("outsider", set()),
    ],
)
def test_tree_page_lists_exactly_the_visible_orgs(cast, client_for, role, shown):
    response = client_for(user_of(cast, role)).get("/orgs/")
    assert response.status_code == 200
    listed = {o.pk for o in response.context["page"].object_list}
    assert listed == {getattr(cast, name).pk for name in shown}
    html = response.content.decode()
    for name in ("root", "c1", "c2", "a", "b", "d", "a_group"):
        org = getattr(cast, name)
        assert (f'href="/orgs/{org.pk}/"' in html) == (name in shown), name
    if not shown:
        assert "您的权限范围内还没有组织。" in html


def test_tree_page_sends_anonymous_to_login(client):
    response = client.get("/orgs/")
    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/orgs/"


# Status per target, in TARGETS order: a, b, d, c1, a_group.
HTML_GET = {
    "detail": {
        "admin": (200, 200, 200, 200, 200),
        "committee": (200, 200, 404, 200, 200),
        "other_committee": (404, 404, 200, 404, 404),
        "secretary_a": (200, 404, 404, 404, 200),
        "secretary_b": (404, 200, 404, 404, 404),
        "member_a": (200, 404, 404, 404, 200),
        "outsider": (404, 404, 404, 404, 404),
        "anonymous": (LOGIN,) * 5,
    },
    # Nothing may be created under a party group, so its "new" page is 403 to whoever can see it.
    "new": {
        "admin": (200, 200, 200, 200, 403),
        "committee": (200, 200, 404, 200, 403),
        "other_committee": (404, 404, 200, 404, 404),
        "secretary_a": (200, 404, 404, 404, 403),
        "secretary_b": (404, 200, 404, 404, 404),
        "member_a": (403, 404, 404, 404, 403),
        "outsider": (404, 404, 404, 404, 404),
        "anonymous": (LOGIN,) * 5,
    },
    "edit": {
        "admin": (200, 200, 200, 200, 200),
        "committee": (200, 200, 404, 200, 200),
        "other_committee": (404, 404, 200, 404, 404),
        "secretary_a": (200, 404, 404, 404, 200),
        "secretary_b": (404, 200, 404, 404, 404),
        "member_a": (403, 404, 404, 404, 403),
        "outsider": (404, 404, 404, 404, 404),
        "anonymous": (LOGIN,) * 5,
    },
    # Committee staff move what is below their grant root, never the root itself (c1).
    "move": {
        "admin": (200, 200, 200, 200, 200),
        "committee": (200, 200, 404, 403, 200),
        "other_committee": (404, 404, 200, 404, 404),
        "secretary_a": (403, 404, 404, 404, 403),
        "secretary_b": (404, 403, 404, 404, 404),
        "member_a": (403, 404, 404, 404, 403),
        "outsider": (404, 404, 404, 404, 404),
        "anonymous": (LOGIN,) * 5,
    },
    "posts/new": {
        "admin": (200, 200, 200, 200, 200),
        "committee": (200, 200, 404, 200, 200),
        "other_committee": (404, 404, 200, 404, 404),
        "secretary_a": (200, 404, 404, 404, 200),
        "secretary_b": (404, 200, 404, 404, 404),
        "member_a": (403, 404, 404, 404, 403),
        "outsider": (404, 404, 404, 404, 404),
        "anonymous": (LOGIN,) * 5,
    },
}
HTML_GET_ROWS = [(action, *row) for action, rows in HTML_GET.items() for row in table(rows)]


def test_detail_table_matches_visibility():
    """The detail column is the visibility table itself: a guard against a typo in either."""
    for role, statuses in HTML_GET["detail"].items():
        for target, status in zip(TARGETS, statuses, strict=True):
            if role != "anonymous":
                assert (status == 200) == (target in VISIBLE[role]), (role, target)


@pytest.mark.parametrize(
    ("action", "role", "target", "expected"),
    HTML_GET_ROWS,
    ids=[f"{a}-{r}-{t}-{e}" for a, r, t, e in HTML_GET_ROWS],
)
def test_html_get(cast, client_for, action, role, target, expected):
    org = getattr(cast, target)
    path = f"/orgs/{org.pk}/" if action == "detail" else f"/orgs/{org.pk}/{action}/"
    response = client_for(user_of(cast, role)).get(path)
    assert_status(response, expected, path)


# POST /orgs/<pk>/new/ — the kind offered is the one that fits under the target.
CHILD_KIND = {
    "a": "party_group",
    "b": "party_group",
    "d": "party_group",
    "c1": "branch",
    "a_group": "party_group",
}
# 200 means the form came back with the error shown and nothing was written.
HTML_CREATE = table(
    {
        "admin": (302, 302, 302, 302, 403),
        "committee": (302, 302, 404, 302, 403),
        "other_committee": (404, 404, 302, 404, 404),
        "secretary_a": (302, 404, 404, 404, 403),
        "secretary_b": (404, 302, 404, 404, 404),
        "member_a": (403, 404, 404, 404, 403),
        "outsider": (404, 404, 404, 404, 404),
        "anonymous": (LOGIN,) * 5,
    }
)


@pytest.mark.parametrize(("role", "target", "expected"), HTML_CREATE, ids=ids(HTML_CREATE))
def test_html_create_child(cast, client_for, role, target, expected):
    parent = getattr(cast, target)
    path = f"/orgs/{parent.pk}/new/"
    response = client_for(user_of(cast, role)).post(
        path, {"kind": CHILD_KIND[target], "name": "新建组织", "field": "organ"}
    )
    assert_status(response, expected, path)
    created = Organization.objects.filter(name="新建组织").first()
    if expected == 302:
        assert created is not None
        assert parent_of(created).pk == parent.pk
        assert response.url == f"/orgs/{created.pk}/"
    else:
        assert created is None


def test_secretary_cannot_create_a_branch(cast, client_for):
    """Branches are set up by the committee: a secretary is only offered 党小组 under their branch."""
    client = client_for(cast.secretary_a)
    form = client.get(f"/orgs/{cast.a.pk}/new/").context["form"]
    assert [value for value, _ in form.fields["kind"].choices] == ["party_group"]
    response = client.post(
        f"/orgs/{cast.a.pk}/new/", {"kind": "branch", "name": "私设支部", "field": "organ"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["kind"]
    assert not Organization.objects.filter(name="私设支部").exists()


def edit_payload(org, **changes):
    data = {
        "name": org.name,
        "short_name": org.short_name,
        "field": org.field,
        "code": org.code,
        "address": org.address,
    }
    return {**data, **changes}


HTML_EDIT = table(
    {
        "admin": (302, 302, 302, 302, 302),
        "committee": (302, 302, 404, 302, 302),
        "other_committee": (404, 404, 302, 404, 404),
        "secretary_a": (302, 404, 404, 404, 302),
        "secretary_b": (404, 302, 404, 404, 404),
        "member_a": (403, 404, 404, 404, 403),
        "outsider": (404, 404, 404, 404, 404),
        "anonymous": (LOGIN,) * 5,
    }
)


@pytest.mark.parametrize(("role", "target", "expected"), HTML_EDIT, ids=ids(HTML_EDIT))
def test_html_edit(cast, client_for, role, target, expected):
    org = getattr(cast, target)
    path = f"/orgs/{org.pk}/edit/"
    response = client_for(user_of(cast, role)).post(path, edit_payload(org, name="改过的名称"))
    assert_status(response, expected, path)
    org.refresh_from_db()
    if expected == 302:
        assert response.url == f"/orgs/{org.pk}/"
        assert org.name == "改过的名称"
    else:
        assert org.name != "改过的名称"


def test_secretary_edit_cannot_set_supervisor_only_fields(cast, client_for):
    """软弱涣散, star rating and budget are set from above: the secretary's form ignores them."""
    response = client_for(cast.secretary_a).post(
        f"/orgs/{cast.a.pk}/edit/",
        edit_payload(cast.a, address="新地址", is_weak="on", star_level="5", budget="9999"),
    )
    assert response.status_code == 302
    cast.a.refresh_from_db()
    assert cast.a.address == "新地址"
    assert (cast.a.is_weak, cast.a.star_level, cast.a.budget) == (False, None, None)


def test_committee_edit_sets_supervisor_only_fields(cast, client_for):
    response = client_for(cast.committee).post(
        f"/orgs/{cast.a.pk}/edit/", edit_payload(cast.a, is_weak="on", star_level="3")
    )
    assert response.status_code == 302
    cast.a.refresh_from_db()
    assert (cast.a.is_weak, cast.a.star_level) == (True, 3)


# POST /orgs/<pk>/move/: (target, new parent) pairs that fit the kinds.
MOVES = {"a_group": "b", "c1": "c2", "d": "c1"}
HTML_MOVE = [
    # a_group → b: inside committee's subtree.
    ("admin", "a_group", 302),
    ("committee", "a_group", 302),
    ("other_committee", "a_group", 404),
    ("secretary_a", "a_group", 403),
    ("secretary_b", "a_group", 404),
    ("member_a", "a_group", 403),
    ("outsider", "a_group", 404),
    ("anonymous", "a_group", LOGIN),
    # c1 → c2: committee's own grant root is not theirs to move.
    ("admin", "c1", 302),
    ("committee", "c1", 403),
    ("other_committee", "c1", 404),
    ("secretary_a", "c1", 404),
    # d → c1: other_committee may move d, but only to a parent they supervise; c1 is not offered.
    ("admin", "d", 302),
    ("committee", "d", 404),
    ("other_committee", "d", 200),
    ("secretary_b", "d", 404),
]


@pytest.mark.parametrize(("role", "target", "expected"), HTML_MOVE, ids=ids(HTML_MOVE))
def test_html_move(cast, client_for, role, target, expected):
    org = getattr(cast, target)
    old_parent = parent_of(org)
    new_parent = getattr(cast, MOVES[target])
    path = f"/orgs/{org.pk}/move/"
    response = client_for(user_of(cast, role)).post(path, {"parent": new_parent.pk})
    assert_status(response, expected, path)
    parent_now = parent_of(Organization.objects.get(pk=org.pk))
    if expected == 302:
        assert parent_now.pk == new_parent.pk
    else:
        assert parent_now.pk == old_parent.pk
    if expected == 200:
        assert response.context["form"].errors["parent"]


def post_payload(cast, target):
    """A post that fits the target: 组织委员 of a branch or committee, 党小组长 of a party group."""
    holder = {"a": cast.mem_a, "b": cast.sec_b, "c1": cast.mem_a, "a_group": cast.mem_a}
    member = make_member(cast.d, "丁委员") if target == "d" else holder[target]
    role = PostRole.GROUP_LEADER if target == "a_group" else PostRole.ORGANIZATION_MEMBER
    return {"role": role, "member": member.pk, "started_on": "2024-03-01"}, role, member


HTML_POST_CREATE = table(
    {
        "admin": (302, 302, 302, 302, 302),
        "committee": (302, 302, 404, 302, 302),
        "other_committee": (404, 404, 302, 404, 404),
        "secretary_a": (302, 404, 404, 404, 302),
        "secretary_b": (404, 302, 404, 404, 404),
        "member_a": (403, 404, 404, 404, 403),
        "outsider": (404, 404, 404, 404, 404),
        "anonymous": (LOGIN,) * 5,
    }
)


@pytest.mark.parametrize(("role", "target", "expected"), HTML_POST_CREATE, ids=ids(HTML_POST_CREATE))
def test_html_post_create(cast, client_for, role, target, expected):
    org = getattr(cast, target)
    payload, post_role, member = post_payload(cast, target)
    path = f"/orgs/{org.pk}/posts/new/"
    response = client_for(user_of(cast, role)).post(path, payload)
    assert_status(response, expected, path)
    written = CommitteePost.objects.filter(organization=org, role=post_role, member=member)
    if expected == 302:
        assert response.url == f"/orgs/{org.pk}/"
        assert written.get().started_on == datetime.date(2024, 3, 1)
    else:
        assert not written.exists()


# --------------------------------------------------------------------------------------------
# API
# --------------------------------------------------------------------------------------------

API = "/api/v1/organizations/"
POSTS_API = "/api/v1/committee-posts/"


@pytest.mark.parametrize("role", [r for r in ROLES if r != "anonymous"])
def test_api_list_returns_exactly_the_visible_orgs(cast, api_for, role):
    response = api_for(user_of(cast, role)).get(API)
    assert response.status_code == 200
    returned = [row["id"] for row in response.data["results"]]
    assert response.data["count"] == len(returned)
    assert set(returned) == {getattr(cast, name).pk for name in VISIBLE[role]}
    # Tree order: the materialised path.
    assert returned == list(Organization.objects.filter(pk__in=returned).values_list("pk", flat=True))


def test_api_list_within_a_foreign_org_is_empty(cast, api_for):
    response = api_for(cast.committee).get(API, {"within": cast.c2.pk})
    assert response.status_code == 200
    assert response.data["results"] == []


def test_api_list_refuses_anonymous(cast, api_for):
    assert api_for(None).get(API).status_code in (401, 403)


API_RETRIEVE = table(
    {role: tuple(HTML_GET["detail"][role]) for role in ROLES if role != "anonymous"}
    | {"anonymous": (ANON_API,) * 5}
)


@pytest.mark.parametrize(("role", "target", "expected"), API_RETRIEVE, ids=ids(API_RETRIEVE))
def test_api_retrieve(cast, api_for, role, target, expected):
    org = getattr(cast, target)
    response = api_for(user_of(cast, role)).get(f"{API}{org.pk}/")
    assert_status(response, expected, None)
    if expected == 200:
        assert response.data["id"] == org.pk
        assert response.data["name"] == org.name


API_PATCH = table(
    {
        "admin": (200, 200, 200, 200, 200),
        "committee": (200, 200, 404, 200, 200),
        "other_committee": (404, 404, 200, 404, 404),
        "secretary_a": (200, 404, 404, 404, 200),
        "secretary_b": (404, 200, 404, 404, 404),
        "member_a": (403, 404, 404, 404, 403),
        "outsider": (404, 404, 404, 404, 404),
        "anonymous": (ANON_API,) * 5,
    }
)


@pytest.mark.parametrize(("role", "target", "expected"), API_PATCH, ids=ids(API_PATCH))
def test_api_partial_update(cast, api_for, role, target, expected):
    org = getattr(cast, target)
    response = api_for(user_of(cast, role)).patch(f"{API}{org.pk}/", {"name": "接口改名"}, format="json")
    assert_status(response, expected, None)
    org.refresh_from_db()
    if expected == 200:
        assert response.data["name"] == org.name == "接口改名"
    else:
        assert org.name != "接口改名"


def test_api_secretary_cannot_patch_supervisor_only_fields(cast, api_for):
    response = api_for(cast.secretary_a).patch(f"{API}{cast.a.pk}/", {"is_weak": True}, format="json")
    assert response.status_code == 400
    assert "is_weak" in response.data
    cast.a.refresh_from_db()
    assert cast.a.is_weak is False


# POST /api/v1/organizations/ with a parent; 400 = the parent id is answered "does not exist".
API_CREATE = table(
    {
        "admin": (201, 201, 201, 201, 400),  # nothing fits under a party group
        "committee": (201, 201, 400, 201, 400),
        "other_committee": (400, 400, 201, 400, 400),
        "secretary_a": (201, 400, 400, 400, 403),
        "secretary_b": (400, 201, 400, 400, 400),
        "member_a": (403, 400, 400, 400, 403),
        "outsider": (400, 400, 400, 400, 400),
        "anonymous": (ANON_API,) * 5,
    }
)


@pytest.mark.parametrize(("role", "target", "expected"), API_CREATE, ids=ids(API_CREATE))
def test_api_create(cast, api_for, role, target, expected):
    parent = getattr(cast, target)
    response = api_for(user_of(cast, role)).post(
        API, {"parent": parent.pk, "kind": CHILD_KIND[target], "name": "接口新建"}, format="json"
    )
    assert_status(response, expected, None)
    created = Organization.objects.filter(name="接口新建").first()
    if expected == 201:
        assert parent_of(created).pk == parent.pk
        assert response.data["id"] == created.pk
        assert response.data["parent_id"] == parent.pk
    else:
        assert created is None
    if expected == 400 and target not in VISIBLE[role]:
        assert list(response.data) == ["parent"]


def test_api_secretary_cannot_create_a_branch(cast, api_for):
    response = api_for(cast.secretary_a).post(
        API, {"parent": cast.a.pk, "kind": "branch", "name": "私设支部"}, format="json"
    )
    assert response.status_code == 403
    assert not Organization.objects.filter(name="私设支部").exists()


def test_api_foreign_parent_reads_like_a_missing_one(cast, api_for):
    """A parent id outside the user's scope gets the same answer as an id that does not exist."""
    api = api_for(cast.secretary_a)
    missing = Organization.objects.order_by("-pk").first().pk + 100
    foreign = api.post(API, {"parent": cast.b.pk, "kind": "party_group", "name": "x"}, format="json")
    absent = api.post(API, {"parent": missing, "kind": "party_group", "name": "x"}, format="json")
    assert foreign.status_code == absent.status_code == 400
    assert str(foreign.data["parent"][0]).replace(str(cast.b.pk), "N") == str(
        absent.data["parent"][0]
    ).replace(str(missing), "N")


API_MOVE = [
    # a_group → b
    ("admin", "a_group", 200),
    ("committee", "a_group", 200),
    ("other_committee", "a_group", 404),
    ("secretary_a", "a_group", 403),
    ("secretary_b", "a_group", 404),
    ("member_a", "a_group", 403),
    ("outsider", "a_group", 404),
    ("anonymous", "a_group", ANON_API),
    # c1 → c2: the grant root stays put for its own staff.
    ("admin", "c1", 200),
    ("committee", "c1", 403),
    ("other_committee", "c1", 404),
    ("member_a", "c1", 404),
    # d → c1: other_committee may move d, but c1 is a foreign parent to them.
    ("admin", "d", 200),
    ("committee", "d", 404),
    ("other_committee", "d", 400),
    ("secretary_a", "d", 404),
]


@pytest.mark.parametrize(("role", "target", "expected"), API_MOVE, ids=ids(API_MOVE))
def test_api_move(cast, api_for, role, target, expected):
    org = getattr(cast, target)
    old_parent = parent_of(org)
    new_parent = getattr(cast, MOVES[target])
    response = api_for(user_of(cast, role)).post(
        f"{API}{org.pk}/move/", {"parent": new_parent.pk}, format="json"
    )
    assert_status(response, expected, None)
    parent_now = parent_of(Organization.objects.get(pk=org.pk))
    if expected == 200:
        assert parent_now.pk == new_parent.pk
        assert response.data["parent_id"] == new_parent.pk
    else:
        assert parent_now.pk == old_parent.pk


# --- committee posts -------------------------------------------------------------------------

POSTS_VISIBLE = {
    "admin": {"a", "b"},
    "committee": {"a", "b"},
    "other_committee": set(),
    "secretary_a": {"a"},
    "secretary_b": {"b"},
    "member_a": {"a"},
    "outsider": set(),
}


def secretary_post(cast, target):
    return CommitteePost.objects.get(organization=getattr(cast, target), role=PostRole.SECRETARY)


@pytest.mark.parametrize("role", list(POSTS_VISIBLE))
def test_api_posts_list_returns_exactly_the_visible_posts(cast, api_for, role):
    response = api_for(user_of(cast, role)).get(POSTS_API)
    assert response.status_code == 200
    returned = {row["id"] for row in response.data["results"]}
    assert returned == {secretary_post(cast, t).pk for t in POSTS_VISIBLE[role]}


API_POST_RETRIEVE = [
    (role, target, 200 if target in POSTS_VISIBLE[role] else 404)
    for role in POSTS_VISIBLE
    for target in ("a", "b")
] + [("anonymous", "a", ANON_API)]


@pytest.mark.parametrize(("role", "target", "expected"), API_POST_RETRIEVE, ids=ids(API_POST_RETRIEVE))
def test_api_posts_retrieve(cast, api_for, role, target, expected):
    post = secretary_post(cast, target)
    response = api_for(user_of(cast, role)).get(f"{POSTS_API}{post.pk}/")
    assert_status(response, expected, None)
    if expected == 200:
        assert response.data["member_name"] == post.member.name


# 400 = the organisation (or member) id is answered "does not exist".
API_POST_CREATE = table(
    {
        "admin": (201, 201, 201, 201, 201),
        "committee": (201, 201, 400, 201, 201),
        "other_committee": (400, 400, 201, 400, 400),
        "secretary_a": (201, 400, 400, 400, 201),
        "secretary_b": (400, 201, 400, 400, 400),
        "member_a": (403, 400, 400, 400, 403),
        "outsider": (400, 400, 400, 400, 400),
        "anonymous": (ANON_API,) * 5,
    }
)


@pytest.mark.parametrize(("role", "target", "expected"), API_POST_CREATE, ids=ids(API_POST_CREATE))
def test_api_posts_create(cast, api_for, role, target, expected):
    org = getattr(cast, target)
    payload, post_role, member = post_payload(cast, target)
    response = api_for(user_of(cast, role)).post(
        POSTS_API, {**payload, "organization": org.pk}, format="json"
    )
    assert_status(response, expected, None)
    written = CommitteePost.objects.filter(organization=org, role=post_role, member=member)
    if expected == 201:
        assert response.data["id"] == written.get().pk
    else:
        assert not written.exists()


def test_api_post_with_a_foreign_member_does_not_reveal_them(cast, api_for):
    """Naming a member of someone else's branch reads exactly like naming one that does not exist:
    the error must not carry the foreign member's name."""
    from members.models import Member

    foreign = Member.objects.get(name="丁党员")
    missing = Member.objects.order_by("-pk").first().pk + 100
    api = api_for(cast.secretary_a)
    answers = []
    for pk in (foreign.pk, missing):
        response = api.post(
            POSTS_API,
            {
                "organization": cast.a.pk,
                "role": "organization_member",
                "member": pk,
                "started_on": "2024-03-01",
            },
            format="json",
        )
        assert response.status_code == 400
        assert "丁党员" not in str(response.data)
        answers.append(str(response.data["member"][0]).replace(str(pk), "N"))
    assert answers[0] == answers[1]
    assert not CommitteePost.objects.filter(member=foreign).exists()
