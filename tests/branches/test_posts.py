"""Committee posts: who may hold one, no two sitting holders of a single-holder post, approval by
the committee above — and the pages and endpoints that end and approve posts, by role."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from branches.models import CommitteePost, PostRole
from branches.services import post_approve, post_assign, post_end
from tests.conftest import make_member

D = datetime.date


def secretary_post(cast):
    return CommitteePost.objects.get(organization=cast.a, role=PostRole.SECRETARY)


def test_only_a_full_member_may_hold_a_post(cast):
    applicant = make_member(cast.a, "申请人", status="applicant")
    probationary = make_member(cast.a, "预备党员", status="probationary")
    for person in (applicant, probationary):
        with pytest.raises(ValidationError) as excinfo:
            post_assign(
                user=cast.committee,
                organization=cast.a,
                role=PostRole.ORGANIZATION_MEMBER,
                member=person,
                started_on=D(2025, 1, 1),
            )
        assert "正式党员" in str(excinfo.value.message_dict["member"])
    assert not CommitteePost.objects.filter(role=PostRole.ORGANIZATION_MEMBER).exists()


def test_a_backdated_secretary_before_the_sitting_one_is_refused_and_nothing_changes(cast):
    newcomer = make_member(cast.a, "新书记")
    with pytest.raises(ValidationError) as excinfo:
        post_assign(
            user=cast.committee,
            organization=cast.a,
            role=PostRole.SECRETARY,
            member=newcomer,
            started_on=D(2023, 6, 1),
        )
    assert "2024-01-01" in str(excinfo.value.message_dict["started_on"])
    sitting = secretary_post(cast)
    assert sitting.ended_on is None
    assert CommitteePost.objects.filter(organization=cast.a, role=PostRole.SECRETARY).count() == 1


def test_an_ended_post_cannot_be_extended_into_its_successors_term(cast):
    successor = make_member(cast.a, "继任书记")
    post_assign(
        user=cast.committee,
        organization=cast.a,
        role=PostRole.SECRETARY,
        member=successor,
        started_on=D(2025, 3, 1),
    )
    first = CommitteePost.objects.get(organization=cast.a, role=PostRole.SECRETARY, member=cast.sec_a)
    assert first.ended_on == D(2025, 2, 28)
    with pytest.raises(ValidationError) as excinfo:
        post_end(user=cast.committee, post=first, ended_on=D(2025, 6, 30))
    assert "继任书记" in str(excinfo.value.message_dict["ended_on"])
    first.refresh_from_db()
    assert first.ended_on == D(2025, 2, 28)
    assert CommitteePost.objects.secretary_of(cast.a, on=D(2025, 3, 1)) == successor
    assert CommitteePost.objects.secretary_of(cast.a, on=D(2025, 2, 28)) == cast.sec_a


def test_the_database_refuses_two_open_ended_secretaries(cast):
    other = make_member(cast.a, "另一人")
    with pytest.raises(IntegrityError), transaction.atomic():
        CommitteePost.objects.create(
            organization=cast.a, role=PostRole.SECRETARY, member=other, started_on=D(2025, 1, 1)
        )
    # Several deputies may serve together.
    for name in ("副书记一", "副书记二"):
        CommitteePost.objects.create(
            organization=cast.a,
            role=PostRole.DEPUTY_SECRETARY,
            member=make_member(cast.a, name),
            started_on=D(2025, 1, 1),
        )


def test_approval_is_for_secretaries_and_deputies_once_and_not_before_the_election(cast):
    post = secretary_post(cast)
    with pytest.raises(ValidationError):
        post_approve(user=cast.committee, post=post, approved_on=D(2023, 12, 31))
    post_approve(user=cast.committee, post=post, approved_on=D(2024, 1, 20), approval_ref="机党〔2024〕3号")
    with pytest.raises(ValidationError) as excinfo:
        post_approve(user=cast.committee, post=post, approved_on=D(2024, 2, 1))
    assert "2024-01-20" in str(excinfo.value.message_dict["approved_on"])
    propaganda = post_assign(
        user=cast.committee,
        organization=cast.a,
        role=PostRole.PROPAGANDA_MEMBER,
        member=make_member(cast.a, "宣传委员"),
        started_on=D(2024, 1, 1),
    )
    with pytest.raises(ValidationError):
        post_approve(user=cast.committee, post=propaganda, approved_on=D(2024, 1, 20))


# --- Pages and endpoints that end and approve posts, by role -------------------------------------

END = "/orgs/posts/{pk}/end/"
APPROVE = "/orgs/posts/{pk}/approve/"

# role → (end a's secretary post, approve it): 302 done, 403 visible but not allowed, 404 foreign.
PAGE_MATRIX = {
    "admin": (302, 302),
    "committee": (302, 302),
    "other_committee": (404, 404),
    "secretary_a": (302, 403),
    "secretary_b": (404, 404),
    "member_a": (403, 403),
    "outsider": (404, 404),
}


@pytest.mark.parametrize(("role", "expected"), PAGE_MATRIX.items())
def test_ending_a_post_page_by_role(cast, client_for, role, expected):
    post = secretary_post(cast)
    response = client_for(getattr(cast, role)).post(END.format(pk=post.pk), {"ended_on": "2025-06-30"})
    assert response.status_code == expected[0]
    post.refresh_from_db()
    assert (post.ended_on == D(2025, 6, 30)) == (expected[0] == 302)


@pytest.mark.parametrize(("role", "expected"), PAGE_MATRIX.items())
def test_approving_a_post_page_by_role(cast, client_for, role, expected):
    post = secretary_post(cast)
    response = client_for(getattr(cast, role)).post(APPROVE.format(pk=post.pk), {"approval_ref": "批复"})
    assert response.status_code == expected[1]
    post.refresh_from_db()
    assert (post.approved_on is not None) == (expected[1] == 302)


API_MATRIX = {
    "committee": (200, 200),
    "other_committee": (404, 404),
    "secretary_a": (200, 403),
    "secretary_b": (404, 404),
    "member_a": (403, 403),
}


@pytest.mark.parametrize(("role", "expected"), API_MATRIX.items())
def test_ending_and_approving_through_the_api_by_role(cast, api_for, role, expected):
    post = secretary_post(cast)
    api = api_for(getattr(cast, role))
    approve = api.post(
        f"/api/v1/committee-posts/{post.pk}/approve/", {"approved_on": "2024-01-20"}, format="json"
    )
    assert approve.status_code == expected[1]
    end = api.post(f"/api/v1/committee-posts/{post.pk}/end/", {"ended_on": "2025-06-30"}, format="json")
    assert end.status_code == expected[0]
    post.refresh_from_db()
    assert (post.ended_on is not None) == (expected[0] == 200)
    assert (post.approved_on is not None) == (expected[1] == 200)


def test_post_history_is_shown_on_the_organisations_page(cast, client_for):
    post_assign(
        user=cast.committee,
        organization=cast.a,
        role=PostRole.ORGANIZATION_MEMBER,
        member=make_member(cast.a, "组织委员甲"),
        started_on=D(2025, 1, 1),
    )
    page = client_for(cast.secretary_a).get(f"/orgs/{cast.a.pk}/").content.decode()
    assert "组织委员甲" in page
    assert "创建委员职务" in page
