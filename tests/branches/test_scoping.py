"""`scope_for` reads a user's grants, current officer posts and member records with hand-written SQL
(it runs on every signed-in request). Its answers must equal what the ORM says, for every role of
the standing cast, and a post counts only from its start to its end date, both days included."""

import datetime

import pytest
import time_machine

from branches.models import BRANCH_KINDS, OFFICER_ROLES, CommitteePost, Grant, PostRole
from branches.scoping import _minimal_roots, forget_scope, scope_for
from members.models import Member
from tests.conftest import make_member

ROLES = ("admin", "committee", "other_committee", "secretary_a", "secretary_b", "member_a", "outsider")


def orm_scope(user):
    """The same scope read through the ORM (the reference the SQL must match)."""
    grants = list(Grant.objects.filter(user=user).values_list("organization__path", flat=True))
    posts = CommitteePost.objects.current().filter(member__user=user, role__in=OFFICER_ROLES)
    officer = [p.organization.path for p in posts if p.organization.kind in BRANCH_KINDS]
    led = [p.organization.path for p in posts if p.organization.kind not in BRANCH_KINDS]
    members = list(Member.objects.filter(user=user).values_list("pk", "branch__path"))
    return {
        "staff": sorted((*grants, *led)),
        "officer": sorted(officer),
        "member_paths": [path for _, path in members],
        "member_ids": [pk for pk, _ in members],
    }


def sql_scope(user):
    forget_scope(user)
    scope = scope_for(user)
    return {
        "staff": sorted(scope.staff_paths),
        "officer": sorted(scope.officer_paths),
        "member_paths": list(scope.member_paths),
        "member_ids": list(scope.member_ids),
    }


@pytest.mark.parametrize("role", ROLES)
def test_scope_equals_the_orm_for_every_role(cast, role):
    user = getattr(cast, role)
    assert sql_scope(user) == orm_scope(user)


def test_scope_of_a_user_with_everything(cast):
    """A user with a grant, a branch post, a committee post and an ended post: each part lands
    where it belongs."""
    user = cast.secretary_a
    Grant.objects.create(user=user, organization=cast.c2)
    CommitteePost.objects.create(
        organization=cast.c1,
        role=PostRole.DEPUTY_SECRETARY,
        member=cast.sec_a,
        started_on=datetime.date(2024, 1, 1),
    )
    CommitteePost.objects.create(
        organization=cast.b,
        role=PostRole.ORGANIZATION_MEMBER,
        member=cast.sec_a,
        started_on=datetime.date(2023, 1, 1),
        ended_on=datetime.date(2023, 12, 31),
    )
    assert sql_scope(user) == orm_scope(user)
    scope = scope_for(user)
    assert set(scope.staff_paths) == {cast.c2.path, cast.c1.path}
    assert scope.officer_paths == (cast.a.path,)
    assert scope.member_ids == (cast.sec_a.pk,)
    assert scope.roles == {"committee_staff", "branch_officer", "member"}
    # 甲党支部 lies under 第一机关党委, so the two committees cover everything the user sees.
    assert scope.visible_paths == (cast.c1.path, cast.c2.path)


@pytest.mark.parametrize(
    "paths",
    [
        ("00010002", "00010001", "000100010001"),
        ("000100010001", "00010001", "00010002"),
        ("00010001", "00010002", "000100020003", "00010001"),
    ],
)
def test_minimal_roots_come_in_one_order_whatever_order_the_paths_came_in(paths):
    """Covered paths are dropped and the roots come in path order, so two scopes made of the
    same posts compare equal (a set's order depends on the process's hash seed)."""
    assert _minimal_roots(paths) == ("00010001", "00010002")


@pytest.mark.parametrize(
    ("today", "counts"),
    [
        (datetime.date(2026, 3, 31), False),  # the day before the post starts
        (datetime.date(2026, 4, 1), True),  # its first day
        (datetime.date(2026, 6, 30), True),  # its last day (quarter end)
        (datetime.date(2026, 7, 1), False),  # the day after it ends
    ],
)
def test_a_post_counts_from_its_first_to_its_last_day(cast, today, counts):
    member = make_member(cast.d, "丁书记", user=cast.outsider)
    CommitteePost.objects.create(
        organization=cast.d,
        role=PostRole.SECRETARY,
        member=member,
        started_on=datetime.date(2026, 4, 1),
        ended_on=datetime.date(2026, 6, 30),
    )
    with time_machine.travel(
        datetime.datetime(2026, today.month, today.day, 9, 0, tzinfo=datetime.UTC), tick=False
    ):
        assert sql_scope(cast.outsider) == orm_scope(cast.outsider)
        assert (cast.d.path in scope_for(cast.outsider).officer_paths) is counts
