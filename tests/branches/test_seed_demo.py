import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from audit.models import AuditEntry
from branches.models import CommitteePost, Grant, Organization, PostRole
from members.models import Member


def seed(**kwargs):
    out = io.StringIO()
    call_command("seed_demo", stdout=out, **kwargs)
    return out.getvalue()


def snapshot():
    return (
        Organization.objects.count(),
        Member.objects.count(),
        CommitteePost.objects.count(),
        Grant.objects.count(),
        get_user_model().objects.count(),
    )


@pytest.mark.django_db
def test_the_demo_organisation_and_accounts(settings):
    settings.DEBUG = True
    output = seed()
    root = Organization.objects.get(code="DEMO-JG")
    assert root.kind == "committee"
    subtree = Organization.objects.subtree_of(root)
    assert subtree.filter(kind="general_branch").count() == 1
    assert subtree.filter(kind="branch").count() == 5
    assert subtree.filter(kind="party_group").count() == 10
    assert 75 <= Member.objects.filter(branch__path__startswith=root.path).count() <= 90
    # Every branch has a sitting secretary; realistic two- or three-character Chinese names.
    for branch in subtree.filter(kind="branch"):
        assert CommitteePost.objects.secretary_of(branch) is not None
    assert all(2 <= len(name) <= 3 for name in Member.objects.values_list("name", flat=True))

    User = get_user_model()
    for username in ("admin", "committee", "secretary", "member"):
        assert username in output
        assert User.objects.get(username=username).check_password("partyaffairs-demo")
    assert User.objects.get(username="admin").is_superuser
    assert Grant.objects.filter(user__username="committee", organization=root).exists()
    office = Organization.objects.get(code="DEMO-B1")
    secretary = Member.objects.get(user__username="secretary")
    assert CommitteePost.objects.secretary_of(office) == secretary
    member = Member.objects.get(user__username="member")
    assert member.branch == office and not member.posts.exists()
    # Loaded through the audited models like any other write.
    assert AuditEntry.objects.filter(action="branches.organization.created").count() == 17
    assert CommitteePost.objects.filter(organization=root, role=PostRole.SECRETARY).exists()


@pytest.mark.django_db
def test_a_second_run_changes_nothing(settings):
    settings.DEBUG = True
    seed()
    before, entries = snapshot(), AuditEntry.objects.count()
    seed()
    assert snapshot() == before
    assert AuditEntry.objects.count() == entries


@pytest.mark.django_db
def test_it_refuses_with_debug_off_unless_forced(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        seed()
    assert Organization.objects.count() == 0
    seed(force=True)
    assert Organization.objects.filter(code="DEMO-JG").exists()
