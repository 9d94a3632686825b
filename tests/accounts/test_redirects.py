"""After a POST a form goes back to its `next` — a page of this site only, never another site."""

import pytest
from django.test import RequestFactory

from accounts.redirects import next_or


@pytest.mark.parametrize(
    ("posted", "expected"),
    [
        ("/dues/mine/", "/dues/mine/"),
        ("/meetings/?page=2", "/meetings/?page=2"),
        ("", "/fallback/"),
        ("https://evil.example/phish", "/fallback/"),
        ("//evil.example/phish", "/fallback/"),
        ("javascript:alert(1)", "/fallback/"),
    ],
)
def test_next_or_keeps_only_pages_of_this_site(posted, expected):
    request = RequestFactory().post("/x/", {"next": posted})
    assert next_or(request, "/fallback/") == expected


def test_dues_generation_does_not_redirect_off_site(cast, client_for):
    client = client_for(cast.secretary_a)
    response = client.post(f"/dues/orgs/{cast.a.pk}/generate/", {"next": "https://evil.example/"})
    assert response.status_code == 302
    assert response["Location"] == f"/dues/orgs/{cast.a.pk}/"
    response = client.post(f"/dues/orgs/{cast.a.pk}/generate/", {"next": f"/dues/branch/{cast.a.pk}/"})
    assert response["Location"] == f"/dues/branch/{cast.a.pk}/"
