def test_home_redirects_each_role_to_its_page(cast, client_for):
    assert client_for(cast.committee).get("/").url == f"/dashboard/?org={cast.c1.pk}"
    assert client_for(cast.secretary_a).get("/").url == f"/dashboard/branch/{cast.a.pk}/"
    assert client_for(cast.member_a).get("/").url == "/dashboard/me/"
    assert client_for(cast.admin).get("/").url == "/orgs/"
