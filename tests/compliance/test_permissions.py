"""Who sees what: roles × own subtree × sibling. A foreign organisation is a 404."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

ROLES = ("admin", "committee", "other_committee", "secretary_a", "secretary_b", "member_a", "outsider")
# (page, org) → the roles that get 200; everyone else a 404.
MATRIX = [
    ("overview", "c1", {"admin", "committee"}),
    ("overview", "c2", {"admin", "other_committee"}),
    ("branch", "a", {"admin", "committee", "secretary_a", "member_a"}),
    ("branch", "b", {"admin", "committee", "secretary_b"}),
    ("branch", "d", {"admin", "other_committee"}),
    ("inactive", "c1", {"admin", "committee"}),
    ("inactive", "a", {"admin", "committee", "secretary_a", "member_a"}),
    ("api", "a", {"admin", "committee", "secretary_a", "member_a"}),
    ("api", "c1", {"admin", "committee"}),
    ("api", "d", {"admin", "other_committee"}),
]


def _url(page, org):
    if page == "branch":
        return reverse("compliance:branch", args=[org.pk]), {"period": "2026-09"}
    if page == "api":
        return "/api/v1/compliance/", {"org": org.pk, "period": "2026-09"}
    return reverse(f"compliance:{page}"), {"org": org.pk, "period": "2026-09"}


@pytest.mark.parametrize(("page", "org", "allowed"), MATRIX)
@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(cast, client_for, api_for, page, org, allowed, role):
    url, params = _url(page, getattr(cast, org))
    user = getattr(cast, role)
    client = api_for(user) if page == "api" else client_for(user)
    status = client.get(url, params).status_code
    assert status == (200 if role in allowed else 404), (page, org, role, status)


@pytest.mark.parametrize("page", ["overview", "branch", "inactive"])
def test_anonymous_goes_to_login(cast, client, page):
    url, params = _url(page, cast.a)
    response = client.get(url, params)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_outsider_without_org_gets_a_clear_page(cast, client_for):
    response = client_for(cast.outsider).get(reverse("compliance:overview"))
    assert response.status_code == 404 and "没有可查看的党组织" in response.content.decode()
