import pytest

from branches.models import Grant


def test_staff_with_several_grants_land_on_the_topmost(cast, client_for):
    Grant.objects.create(user=cast.committee, organization=cast.root)
    assert client_for(cast.committee).get("/").url == f"/dashboard/?org={cast.root.pk}"


def test_a_login_without_any_role_lands_on_its_own_page(cast, client_for):
    response = client_for(cast.outsider).get("/", follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/me/"
    assert "尚未关联党员档案" in response.content.decode()


def test_exported_files_are_not_served_as_public_media(cast, client_for):
    assert (
        client_for(None).get("/media/exports/2026/11/organizations-20261122-101010.xlsx").status_code == 404
    )


@pytest.mark.parametrize("role", ["committee", "secretary_a", "member_a"])
def test_the_admin_is_for_system_admins_only(cast, client_for, role):
    response = client_for(getattr(cast, role)).get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response.url


def test_the_admin_edits_fields_but_never_the_tree_shape(cast, client_for):
    admin = client_for(cast.admin)
    assert admin.get("/admin/branches/organization/").status_code == 200
    assert admin.get("/admin/branches/organization/add/").status_code == 403
    change = admin.get(f"/admin/branches/organization/{cast.a.pk}/change/").content.decode()
    assert 'name="kind"' not in change and 'name="path"' not in change
