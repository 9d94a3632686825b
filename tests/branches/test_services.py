"""Writes to the org tree: creation rules, term rules, moves, committee posts, supervisor-only fields."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from audit.models import AuditEntry
from branches.models import CommitteePost, Organization, OrgKind, PostRole, TermRule
from branches.services import (
    organization_create,
    organization_move,
    organization_update,
    post_approve,
    post_assign,
)
from members.models import Member
from tests.conftest import make_member

SHANGHAI = ZoneInfo("Asia/Shanghai")


def fresh(org):
    return Organization.objects.get(pk=org.pk)


def parent_error(excinfo):
    return " ".join(excinfo.value.message_dict["parent"])


# --- organization_create: which kind may sit under which (条例 ch.2) ---------------------------


def test_committee_staff_build_a_general_branch_a_branch_and_a_party_group(cast):
    general = organization_create(
        user=cast.committee, parent=cast.c1, kind=OrgKind.GENERAL_BRANCH, name="丙总支"
    )
    branch = organization_create(user=cast.committee, parent=general, kind=OrgKind.BRANCH, name="丙一支部")
    group = organization_create(user=cast.committee, parent=branch, kind=OrgKind.PARTY_GROUP, name="丙一小组")

    assert [o.name for o in Organization.objects.subtree_of(fresh(cast.c1)) if o.depth > 2] == [
        "甲党支部",
        "甲第一党小组",
        "乙党支部",
        "丙总支",
        "丙一支部",
        "丙一小组",
    ]
    assert Organization.objects.get_parent(fresh(group)) == branch
    assert fresh(group).field == cast.c1.field  # inherited when not given


@pytest.mark.parametrize(
    ("kind", "parent_name", "expected"),
    [
        (
            OrgKind.PARTY_GROUP,
            "c1",
            "党小组只能设在党支部、联合党支部之下，不能设在第一机关党委（党委）之下。",
        ),
        (OrgKind.PARTY_GROUP, "a_group", "党小组只能设在党支部、联合党支部之下"),
        (OrgKind.BRANCH, "a", "党支部只能设在党委、党总支之下，不能设在甲党支部（党支部）之下。"),
        (OrgKind.JOINT_BRANCH, "a_group", "联合党支部只能设在党委、党总支之下"),
        (OrgKind.GENERAL_BRANCH, "a", "党总支只能设在党委之下"),
        (OrgKind.COMMITTEE, "a", "党委只能设在党委之下"),
    ],
)
def test_an_org_under_the_wrong_kind_of_parent_is_refused_on_the_parent_field(
    cast, kind, parent_name, expected
):
    with pytest.raises(ValidationError) as excinfo:
        organization_create(user=cast.admin, parent=getattr(cast, parent_name), kind=kind, name="新组织")
    assert set(excinfo.value.message_dict) == {"parent"}
    assert expected in parent_error(excinfo)
    assert not Organization.objects.filter(name="新组织").exists()


def test_a_general_branch_may_not_sit_under_another_general_branch(cast):
    general = organization_create(
        user=cast.committee, parent=cast.c1, kind=OrgKind.GENERAL_BRANCH, name="丙总支"
    )
    with pytest.raises(ValidationError) as excinfo:
        organization_create(user=cast.committee, parent=general, kind=OrgKind.GENERAL_BRANCH, name="丁总支")
    assert "党总支只能设在党委之下" in parent_error(excinfo)


def test_only_the_admin_creates_a_root_and_only_a_committee_can_be_one(cast):
    for user in (cast.committee, cast.secretary_a, cast.outsider):
        with pytest.raises(PermissionDenied):
            organization_create(user=user, parent=None, kind=OrgKind.COMMITTEE, name="新市委")

    with pytest.raises(ValidationError) as excinfo:
        organization_create(user=cast.admin, parent=None, kind=OrgKind.BRANCH, name="无主支部")
    assert parent_error(excinfo) == "党支部必须有上级党组织。"

    root = organization_create(user=cast.admin, parent=None, kind=OrgKind.COMMITTEE, name="新市委")
    assert root.depth == 1
    assert Organization.objects.get_root_nodes().filter(name="新市委").exists()


def test_staff_cannot_create_outside_their_subtree_and_a_secretary_only_party_groups(cast):
    with pytest.raises(PermissionDenied):
        organization_create(user=cast.committee, parent=cast.c2, kind=OrgKind.BRANCH, name="越界支部")
    with pytest.raises(PermissionDenied):
        organization_create(user=cast.secretary_a, parent=cast.c1, kind=OrgKind.BRANCH, name="越权支部")
    with pytest.raises(PermissionDenied):
        organization_create(user=cast.secretary_a, parent=cast.b, kind=OrgKind.PARTY_GROUP, name="乙小组")

    group = organization_create(
        user=cast.secretary_a, parent=cast.a, kind=OrgKind.PARTY_GROUP, name="甲第二小组"
    )
    assert Organization.objects.get_parent(fresh(group)) == cast.a


# --- Term rules (条例§21: village/community 5 years, others 3; versioned, overridable) -----------


@pytest.mark.parametrize(
    ("field", "term_end"),
    [
        ("village", datetime.date(2029, 2, 28)),
        ("community", datetime.date(2029, 2, 28)),
        ("organ", datetime.date(2027, 2, 28)),
        ("enterprise", datetime.date(2027, 2, 28)),
        ("school", datetime.date(2027, 2, 28)),
    ],
)
def test_term_end_defaults_to_start_plus_the_rule_years_minus_one_day(cast, field, term_end):
    org = organization_create(
        user=cast.committee,
        parent=cast.c1,
        kind=OrgKind.BRANCH,
        name="新支部",
        field=field,
        term_start=datetime.date(2024, 3, 1),
    )
    assert fresh(org).term_end == term_end


def test_default_rules_come_from_the_versioned_table(cast):
    assert set(
        TermRule.objects.filter(organization=None).values_list("field", "years", "effective_from")
    ) >= {
        ("", 3, datetime.date(2018, 10, 28)),
        ("village", 5, datetime.date(2018, 10, 28)),
        ("community", 5, datetime.date(2018, 10, 28)),
    }


def test_an_org_scoped_rule_wins_for_its_subtree_only(cast):
    TermRule.objects.create(organization=cast.c1, field="", years=4, effective_from=datetime.date(2020, 1, 1))
    start = datetime.date(2024, 3, 1)

    assert TermRule.years_for(cast.a, on=start) == 4
    assert TermRule.years_for(cast.a_group, on=start) == 4
    assert TermRule.years_for(cast.d, on=start) == 3  # a sibling committee's subtree

    # A new organisation joins the subtree's rule as it is created.
    inside = organization_create(
        user=cast.committee, parent=cast.c1, kind=OrgKind.BRANCH, name="新支部", term_start=start
    )
    outside = organization_create(
        user=cast.other_committee, parent=cast.c2, kind=OrgKind.BRANCH, name="外支部", term_start=start
    )
    assert fresh(inside).term_end == datetime.date(2028, 2, 29)
    assert fresh(outside).term_end == datetime.date(2027, 2, 28)

    # The nearest scope wins: a rule on branch a beats the one on c1.
    TermRule.objects.create(organization=cast.a, field="", years=5, effective_from=datetime.date(2020, 1, 1))
    assert TermRule.years_for(cast.a, on=start) == 5
    assert TermRule.years_for(cast.b, on=start) == 4


def test_a_newer_rule_applies_from_its_effective_date(cast):
    TermRule.objects.create(field="", years=4, effective_from=datetime.date(2025, 1, 1))
    assert TermRule.years_for(cast.a, on=datetime.date(2024, 12, 31)) == 3
    assert TermRule.years_for(cast.a, on=datetime.date(2025, 1, 1)) == 4

    before = organization_update(user=cast.committee, org=cast.a, term_start=datetime.date(2024, 12, 31))
    assert before.term_end == datetime.date(2027, 12, 30)
    after = organization_update(
        user=cast.committee, org=cast.b, term_start=datetime.date(2025, 1, 1), term_end=None
    )
    assert after.term_end == datetime.date(2028, 12, 31)


def test_a_term_may_run_at_most_one_year_beyond_the_rule(cast):
    start = datetime.date(2024, 1, 1)
    # 3 years, extended with approval by 1: the last allowed day is 2027-12-31.
    org = organization_update(
        user=cast.committee, org=cast.a, term_start=start, term_end=datetime.date(2027, 12, 31)
    )
    assert org.term_end == datetime.date(2027, 12, 31)

    with pytest.raises(ValidationError) as excinfo:
        organization_update(user=cast.committee, org=cast.a, term_end=datetime.date(2028, 1, 1))
    assert "任期不得超过规定的3年" in " ".join(excinfo.value.message_dict["term_end"])

    with pytest.raises(ValidationError) as excinfo:
        organization_create(
            user=cast.committee,
            parent=cast.c1,
            kind=OrgKind.BRANCH,
            name="超期支部",
            term_start=start,
            term_end=datetime.date(2029, 1, 1),
        )
    assert "term_end" in excinfo.value.message_dict
    assert fresh(cast.a).term_end == datetime.date(2027, 12, 31)


def test_a_village_term_may_run_six_years_but_not_more(cast):
    start = datetime.date(2024, 1, 1)
    organization_update(
        user=cast.committee,
        org=cast.a,
        field="village",
        term_start=start,
        term_end=datetime.date(2029, 12, 31),
    )
    with pytest.raises(ValidationError, match="5年"):
        organization_update(user=cast.committee, org=cast.a, term_end=datetime.date(2030, 1, 1))


def test_a_term_is_checked_against_the_rule_in_force_when_it_began(cast):
    # A later, longer rule does not stretch a term that began under the 3-year rule.
    TermRule.objects.create(field="", years=5, effective_from=datetime.date(2025, 1, 1))
    with pytest.raises(ValidationError, match="3年"):
        organization_update(
            user=cast.committee,
            org=cast.a,
            term_start=datetime.date(2024, 1, 1),
            term_end=datetime.date(2029, 12, 31),
        )


def test_term_end_must_follow_term_start(cast):
    with pytest.raises(ValidationError) as excinfo:
        organization_update(
            user=cast.committee,
            org=cast.a,
            term_start=datetime.date(2024, 1, 1),
            term_end=datetime.date(2024, 1, 1),
        )
    assert "term_end" in excinfo.value.message_dict


# --- organization_move ------------------------------------------------------------------------


def assert_tree_consistent():
    """treebeard's own check: no bad paths, orphans, wrong depths or wrong numchild."""
    assert Organization.objects.find_problems() == ([], [], [], [], [])


def test_moving_a_general_branch_moves_its_whole_subtree_one_level_deeper(cast):
    general = organization_create(user=cast.admin, parent=cast.c1, kind=OrgKind.GENERAL_BRANCH, name="丙总支")
    x = organization_create(user=cast.admin, parent=general, kind=OrgKind.BRANCH, name="丙一支部")
    y = organization_create(user=cast.admin, parent=general, kind=OrgKind.BRANCH, name="丙二支部")
    x_group = organization_create(user=cast.admin, parent=x, kind=OrgKind.PARTY_GROUP, name="丙一小组")
    district = organization_create(user=cast.admin, parent=cast.c2, kind=OrgKind.COMMITTEE, name="第二区党委")
    moved_ids = {general.pk, x.pk, y.pk, x_group.pk}

    organization_move(user=cast.admin, org=fresh(general), new_parent=fresh(district))

    assert_tree_consistent()
    general, x, y, x_group, district = map(fresh, (general, x, y, x_group, district))
    assert (general.depth, x.depth, y.depth, x_group.depth) == (4, 5, 5, 6)
    for node in (general, x, y, x_group):
        assert node.path.startswith(district.path)
        assert len(node.path) == node.depth * Organization.steplen
    # Subtree queries: the new parent's subtree gained all four, the old one lost them.
    assert moved_ids <= set(Organization.objects.subtree_of(district).values_list("pk", flat=True))
    assert set(Organization.objects.subtree_of(fresh(cast.c2)).values_list("pk", flat=True)) == {
        cast.c2.pk,
        cast.d.pk,
        district.pk,
        *moved_ids,
    }
    assert not moved_ids & set(Organization.objects.subtree_of(fresh(cast.c1)).values_list("pk", flat=True))
    # Ancestor queries, both by path prefix and through treebeard.
    expected = [cast.root.pk, cast.c2.pk, district.pk, general.pk, x.pk]
    assert list(
        Organization.objects.filter(path__in=x_group.ancestor_paths()).values_list("pk", flat=True)
    ) == (expected)
    assert [o.pk for o in Organization.objects.get_ancestors(x_group)] == expected
    assert Organization.objects.get_parent(x_group) == x
    # numchild on the old and the new parent.
    assert fresh(cast.c1).numchild == 2  # a and b
    assert district.numchild == 1
    assert [o.pk for o in Organization.objects.get_children(district)] == [general.pk]


def test_moving_a_branch_to_a_sibling_committee_changes_who_sees_it(cast):
    organization_move(user=cast.admin, org=cast.a, new_parent=cast.c2)

    assert_tree_consistent()
    a, a_group = fresh(cast.a), fresh(cast.a_group)
    assert Organization.objects.get_parent(a) == cast.c2
    assert Organization.objects.get_parent(a_group) == a
    assert (fresh(cast.c1).numchild, fresh(cast.c2).numchild) == (1, 2)
    # Scoping is by path prefix, so access follows the move with nothing else to update.
    assert set(Organization.objects.visible_to(cast.committee).values_list("name", flat=True)) == {
        "第一机关党委",
        "乙党支部",
    }
    assert {a.pk, a_group.pk} <= set(
        Organization.objects.visible_to(cast.other_committee).values_list("pk", flat=True)
    )
    assert cast.sec_a in Member.objects.visible_to(cast.other_committee)
    assert cast.sec_a not in Member.objects.visible_to(cast.committee)


def test_a_move_writes_a_moved_audit_entry(cast):
    general = organization_create(
        user=cast.committee, parent=cast.c1, kind=OrgKind.GENERAL_BRANCH, name="丙总支"
    )
    organization_move(user=cast.committee, org=cast.a, new_parent=general)

    entry = AuditEntry.objects.for_object(cast.a).get(action="branches.organization.moved")
    assert entry.actor == cast.committee
    assert entry.actor_repr == "committee"
    assert entry.changes == {"parent": ["第一机关党委", "丙总支"]}
    assert entry.data == {"from_id": cast.c1.pk, "to_id": general.pk}
    # The path rewrite itself is not reported as an edit of every node below.
    assert not AuditEntry.objects.filter(action="branches.organization.updated").exists()


def test_a_move_into_its_own_subtree_is_refused(cast):
    with pytest.raises(ValidationError) as excinfo:
        organization_move(user=cast.admin, org=fresh(cast.c1), new_parent=fresh(cast.c1))
    assert parent_error(excinfo) == "不能把组织移动到它自己或它的下级组织之下。"
    with pytest.raises(ValidationError) as excinfo:
        organization_move(user=cast.admin, org=fresh(cast.a), new_parent=fresh(cast.a_group))
    assert parent_error(excinfo) == "不能把组织移动到它自己或它的下级组织之下。"
    assert_tree_consistent()


def test_a_move_under_an_illegal_parent_kind_is_refused(cast):
    with pytest.raises(ValidationError) as excinfo:
        organization_move(user=cast.admin, org=cast.a, new_parent=cast.b)
    assert "党支部只能设在党委、党总支之下" in parent_error(excinfo)
    with pytest.raises(ValidationError):
        organization_move(user=cast.admin, org=cast.a_group, new_parent=cast.c1)
    assert Organization.objects.get_parent(fresh(cast.a)) == cast.c1
    assert not AuditEntry.objects.filter(action="branches.organization.moved").exists()


def test_only_staff_above_may_move_and_only_within_their_subtree(cast):
    with pytest.raises(PermissionDenied):  # their own grant root is not theirs to move
        organization_move(user=cast.committee, org=cast.c1, new_parent=cast.c2)
    with pytest.raises(PermissionDenied):  # the target lies outside their subtree
        organization_move(user=cast.committee, org=cast.a, new_parent=cast.c2)
    with pytest.raises(PermissionDenied):
        organization_move(user=cast.secretary_a, org=cast.a_group, new_parent=cast.b)


# --- Committee posts --------------------------------------------------------------------------


def test_a_new_secretary_ends_the_previous_one_the_day_before(cast):
    successor = make_member(cast.a, "甲新书记")
    post_assign(
        user=cast.committee,
        organization=cast.a,
        role=PostRole.SECRETARY,
        member=successor,
        started_on=datetime.date(2025, 3, 1),
    )

    previous = CommitteePost.objects.get(member=cast.sec_a, role=PostRole.SECRETARY)
    assert previous.ended_on == datetime.date(2025, 2, 28)
    assert CommitteePost.objects.filter(organization=cast.a, role=PostRole.SECRETARY).count() == 2
    secretary_of = CommitteePost.objects.secretary_of
    assert secretary_of(cast.a, on=datetime.date(2024, 1, 1)) == cast.sec_a
    assert secretary_of(cast.a, on=datetime.date(2025, 2, 28)) == cast.sec_a
    assert secretary_of(cast.a, on=datetime.date(2025, 3, 1)) == successor
    assert secretary_of(cast.a, on=datetime.date(2023, 12, 31)) is None

    # "Today" is the Shanghai date: 2025-02-28 16:30 UTC is already 1 March in Shanghai.
    with time_machine.travel(datetime.datetime(2025, 2, 28, 23, 59, 59, tzinfo=SHANGHAI), tick=False):
        assert secretary_of(cast.a) == cast.sec_a
    with time_machine.travel(datetime.datetime(2025, 2, 28, 16, 30, tzinfo=datetime.UTC), tick=False):
        assert secretary_of(cast.a) == successor
        assert [p.member for p in CommitteePost.objects.current().filter(organization=cast.a)] == [successor]


def test_a_deputy_secretary_does_not_end_the_other_deputies(cast):
    first, second = make_member(cast.a, "副书记一"), make_member(cast.a, "副书记二")
    for member in (first, second):
        post_assign(
            user=cast.secretary_a,
            organization=cast.a,
            role=PostRole.DEPUTY_SECRETARY,
            member=member,
            started_on=datetime.date(2025, 1, 1),
        )
    current = CommitteePost.objects.current(datetime.date(2025, 6, 1)).filter(role=PostRole.DEPUTY_SECRETARY)
    assert {p.member for p in current} == {first, second}


def test_a_post_holder_must_belong_to_the_branch(cast):
    with pytest.raises(ValidationError) as excinfo:
        post_assign(
            user=cast.committee,
            organization=cast.a,
            role=PostRole.SECRETARY,
            member=cast.sec_b,
            started_on=datetime.date(2025, 3, 1),
        )
    assert excinfo.value.message_dict["member"] == ["乙书记不是甲党支部的党员。"]
    assert CommitteePost.objects.secretary_of(cast.a, on=datetime.date(2025, 3, 1)) == cast.sec_a

    with pytest.raises(ValidationError, match="不是甲党支部的党员"):
        post_assign(
            user=cast.committee,
            organization=cast.a_group,
            role=PostRole.GROUP_LEADER,
            member=cast.sec_b,
            started_on=datetime.date(2025, 3, 1),
        )
    leader = post_assign(
        user=cast.secretary_a,
        organization=cast.a_group,
        role=PostRole.GROUP_LEADER,
        member=cast.mem_a,
        started_on=datetime.date(2025, 3, 1),
    )
    assert leader.member == cast.mem_a


def test_a_committee_post_may_be_held_by_a_member_of_any_branch_below(cast):
    post = post_assign(
        user=cast.admin,
        organization=cast.c1,
        role=PostRole.COMMITTEE_MEMBER,
        member=cast.sec_b,
        started_on=datetime.date(2025, 1, 1),
    )
    assert post.organization == cast.c1
    with pytest.raises(ValidationError):
        post_assign(
            user=cast.admin,
            organization=cast.c2,
            role=PostRole.COMMITTEE_MEMBER,
            member=cast.sec_b,
            started_on=datetime.date(2025, 1, 1),
        )


def test_only_committee_staff_above_approve_a_post(cast):
    post = CommitteePost.objects.get(member=cast.sec_a, role=PostRole.SECRETARY)
    for user in (cast.secretary_a, cast.secretary_b, cast.member_a, cast.other_committee, cast.outsider):
        with pytest.raises(PermissionDenied):
            post_approve(user=user, post=post, approved_on=datetime.date(2024, 1, 10))
    assert CommitteePost.objects.get(pk=post.pk).approved_on is None

    post_approve(
        user=cast.committee,
        post=post,
        approved_on=datetime.date(2024, 1, 10),
        approval_ref="江机党〔2024〕3号",
    )
    post.refresh_from_db()
    assert (post.approved_on, post.approval_ref) == (datetime.date(2024, 1, 10), "江机党〔2024〕3号")

    # A post in the committee's own organisation is approved from further up.
    own = CommitteePost.objects.create(
        organization=cast.c1, role=PostRole.SECRETARY, member=cast.sec_b, started_on=datetime.date(2024, 1, 1)
    )
    with pytest.raises(PermissionDenied):
        post_approve(user=cast.committee, post=own, approved_on=datetime.date(2024, 1, 10))
    post_approve(user=cast.admin, post=own, approved_on=datetime.date(2024, 1, 10))


# --- Supervisor-only fields -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"), [("is_weak", True), ("star_level", 3), ("budget", Decimal("5000.00"))]
)
def test_a_secretary_cannot_set_supervisor_only_fields(cast, field, value):
    with pytest.raises(ValidationError) as excinfo:
        organization_update(user=cast.secretary_a, org=cast.a, **{field: value})
    assert excinfo.value.message_dict == {field: ["该项由上级党组织设定。"]}
    assert getattr(fresh(cast.a), field) in (False, None)

    organization_update(user=cast.committee, org=cast.a, **{field: value})
    assert getattr(fresh(cast.a), field) == value


def test_a_secretary_edits_ordinary_fields_and_may_resubmit_unchanged_supervisor_values(cast):
    organization_update(user=cast.committee, org=cast.a, is_weak=True, star_level=2)
    org = organization_update(
        user=cast.secretary_a, org=fresh(cast.a), address="江城路1号", is_weak=True, star_level=2
    )
    assert (org.address, org.is_weak, org.star_level) == ("江城路1号", True, 2)
    with pytest.raises(PermissionDenied):
        organization_update(user=cast.secretary_a, org=cast.b, address="越权")
    with pytest.raises(ValidationError):
        organization_update(user=cast.secretary_a, org=cast.a, path="0001")
