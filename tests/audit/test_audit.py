"""The audit trail: every create/update/delete of a registered model, with who did it and what changed."""

import datetime

from django.contrib.contenttypes.models import ContentType

from audit.context import acting_as, current_actor
from audit.models import AuditEntry
from audit.services import log_action
from branches.models import CommitteePost, Grant, Organization, PostRole, TermRule
from branches.services import organization_update


def org_form_data(org, **changes):
    """The edit form as the browser would post it back unchanged, plus `changes`."""
    data = {
        "name": org.name,
        "short_name": org.short_name,
        "field": org.field,
        "code": org.code,
        "established_on": org.established_on or "",
        "term_start": org.term_start or "",
        "term_end": org.term_end or "",
        "star_level": org.star_level or "",
        "budget": org.budget if org.budget is not None else "",
        "address": org.address,
    }
    if org.is_weak:
        data["is_weak"] = "on"
    data.update(changes)
    return data


def test_creating_through_a_view_records_the_logged_in_user(cast, client_for):
    response = client_for(cast.committee).post(
        f"/orgs/{cast.c1.pk}/new/", {"kind": "branch", "name": "丙党支部", "field": "school"}
    )
    org = Organization.objects.get(name="丙党支部")
    assert response.status_code == 302

    entry = AuditEntry.objects.for_object(org).get()
    assert entry.action == "branches.organization.created"
    assert (entry.actor, entry.actor_repr) == (cast.committee, "committee")
    assert entry.object_repr == "丙党支部"
    assert entry.changes["name"] == [None, "丙党支部"]
    assert entry.changes["kind"] == [None, "branch"]
    assert entry.changes["field"] == [None, "school"]
    # Tree bookkeeping and timestamps are not reported as changes.
    assert not {"path", "depth", "numchild", "created_at", "updated_at"} & set(entry.changes)


def test_updating_through_a_view_records_each_field_before_and_after(cast, client_for):
    client = client_for(cast.committee)
    response = client.post(
        f"/orgs/{cast.a.pk}/edit/",
        org_form_data(cast.a, name="甲党支部（更名）", address="江城路1号", star_level=4),
    )
    assert response.status_code == 302

    entry = AuditEntry.objects.for_object(cast.a).get(action="branches.organization.updated")
    assert entry.actor == cast.committee
    assert entry.changes == {
        "name": ["甲党支部", "甲党支部（更名）"],
        "address": ["", "江城路1号"],
        "star_level": [None, 4],
    }


def test_an_update_that_changes_nothing_writes_nothing(cast, client_for):
    organization_update(user=cast.committee, org=cast.a, budget=1200, term_start=datetime.date(2024, 5, 1))
    a = Organization.objects.get(pk=cast.a.pk)
    before = AuditEntry.objects.count()

    assert client_for(cast.committee).post(f"/orgs/{a.pk}/edit/", org_form_data(a)).status_code == 302
    organization_update(user=cast.committee, org=a, name=a.name, address="")
    Organization.objects.get(pk=a.pk).save()
    post = CommitteePost.objects.get(member=cast.sec_a)
    post.save()

    assert AuditEntry.objects.count() == before


def test_code_run_with_acting_as_records_that_user(cast):
    with acting_as(cast.admin):
        assert current_actor() == cast.admin
        rule = TermRule.objects.create(field="village", years=4, effective_from=datetime.date(2030, 1, 1))
        rule.years = 5
        rule.save()
        rule_pk = rule.pk
        rule.delete()
    assert current_actor() is None

    entries = AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(TermRule), object_id=str(rule_pk)
    ).order_by("id")
    assert [e.action for e in entries] == [
        "branches.termrule.created",
        "branches.termrule.updated",
        "branches.termrule.deleted",
    ]
    assert {e.actor for e in entries} == {cast.admin}
    created, updated, deleted = entries
    assert created.changes["years"] == [None, 4]
    assert created.changes["effective_from"] == [None, "2030-01-01"]
    assert updated.changes == {"years": [4, 5]}
    assert deleted.changes["years"] == [5, None]
    assert deleted.changes["field"] == ["village", None]


def test_deleting_a_grant_keeps_its_values_and_the_actors_name(cast):
    grant = Grant.objects.get(user=cast.committee)
    grant_pk = grant.pk
    with acting_as(cast.admin):
        grant.delete()

    entry = AuditEntry.objects.get(action="branches.grant.deleted")
    assert entry.object_id == str(grant_pk)
    assert entry.changes["user_id"] == [cast.committee.pk, None]
    assert entry.changes["organization_id"] == [cast.c1.pk, None]
    assert entry.changes["role"] == ["committee_staff", None]

    # The actor's name outlives the account.
    cast.admin.delete()
    entry.refresh_from_db()
    assert (entry.actor, entry.actor_repr) == (None, "admin")


def test_acting_as_overrides_the_request_and_nothing_is_invented_without_either(cast):
    with acting_as(cast.secretary_a):
        with acting_as(cast.admin):
            assert current_actor() == cast.admin
        assert current_actor() == cast.secretary_a

    grant = Grant.objects.create(user=cast.outsider, organization=cast.c2)
    entry = AuditEntry.objects.for_object(grant).get()
    assert entry.action == "branches.grant.created"
    assert (entry.actor, entry.actor_repr) == (None, "")


def test_the_org_page_shows_the_history_with_the_actors_name(cast, client_for):
    cast.committee.name = "王专干"
    cast.committee.save()
    client = client_for(cast.committee)
    client.post(f"/orgs/{cast.a.pk}/edit/", org_form_data(cast.a, name="甲党支部（更名）", is_weak="on"))

    page = client.get(f"/orgs/{cast.a.pk}/").content.decode()

    history = page[page.index("变更记录") :]
    assert "<strong>王专干</strong> · 修改" in history
    assert "名称：甲党支部 → 甲党支部（更名）" in history
    assert "软弱涣散：否 → 是" in history


def test_the_org_page_shows_only_that_orgs_history(cast, client_for):
    with acting_as(cast.admin):
        organization_update(user=cast.admin, org=cast.b, address="乙路2号")

    page = client_for(cast.committee).get(f"/orgs/{cast.a.pk}/").content.decode()

    assert "乙路2号" not in page
    assert "暂无变更记录" not in page  # a was created with an entry of its own


def test_for_object_selects_by_model_and_pk_newest_first(cast):
    # A grant whose pk equals the org's: the content type keeps them apart.
    Grant.objects.filter(organization=cast.c2).delete()
    twin = Grant.objects.create(pk=cast.a.pk, user=cast.outsider, organization=cast.c2)
    log_action("branches.organization.moved", cast.a, actor=cast.admin, changes={"parent": ["x", "y"]})

    entries = list(AuditEntry.objects.for_object(cast.a))

    assert [e.action for e in entries] == ["branches.organization.moved", "branches.organization.created"]
    assert all(e.object_id == str(cast.a.pk) for e in entries)
    assert [e.action for e in AuditEntry.objects.for_object(twin)] == ["branches.grant.created"]
    assert [e.action for e in AuditEntry.objects.for_object(cast.sec_a)] == ["members.member.created"]


def test_a_post_assignment_through_a_view_is_audited_with_the_secretary_as_actor(cast, client_for):
    response = client_for(cast.secretary_a).post(
        f"/orgs/{cast.a.pk}/posts/new/",
        {"role": PostRole.ORGANIZATION_MEMBER, "member": cast.mem_a.pk, "started_on": "2025-01-01"},
    )
    assert response.status_code == 302

    post = CommitteePost.objects.get(role=PostRole.ORGANIZATION_MEMBER)
    entry = AuditEntry.objects.for_object(post).get()
    assert entry.action == "branches.committeepost.created"
    assert entry.actor == cast.secretary_a
    assert entry.changes["member_id"] == [None, cast.mem_a.pk]
    assert entry.changes["started_on"] == [None, "2025-01-01"]


def test_changed_foreign_keys_show_names_not_ids(cast):
    import datetime

    from branches.models import CommitteePost, PostRole
    from branches.services import post_assign
    from tests.conftest import make_member

    holder = make_member(cast.a, "宣传委员乙")
    post = post_assign(
        user=cast.committee,
        organization=cast.a,
        role=PostRole.PROPAGANDA_MEMBER,
        member=holder,
        started_on=datetime.date(2025, 1, 1),
    )
    entry = AuditEntry.objects.for_object(post).get(action="branches.committeepost.created")
    rows = {str(label): after for label, _before, after in entry.change_rows()}
    assert rows["任职党员"] == "宣传委员乙"
    assert rows["党组织"] == cast.a.name
    assert rows["职务"] == "宣传委员"
    assert CommitteePost.objects.filter(member=holder).exists()
