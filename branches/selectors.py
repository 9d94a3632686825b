"""Reads over the org tree. Row annotations are subqueries, so a page of rows is one query."""

from django.apps import apps
from django.db.models import Count, F, Func, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from .models import CommitteePost, Organization, PostRole


def _member_model():
    # branches sits below members: reach the model through the registry, never by import.
    return apps.get_model("members", "Member")


def with_row_facts(qs, on=None, *, member_counts=True):
    """Annotate each organisation with its current secretary's name and its active member count
    (members of a branch, or of every branch in a committee's subtree). `member_counts=False`
    leaves the count out, for rows that never show it (a branch's party groups)."""
    on = on or timezone.localdate()
    secretary = (
        CommitteePost.objects.current(on)
        .filter(organization=OuterRef("pk"), role=PostRole.SECRETARY)
        .order_by("-started_on")
        .values("member__name")[:1]
    )
    if not member_counts:
        return qs.annotate(secretary_name=Subquery(secretary))
    # COUNT(*) over the correlated rows; a plain Func is not an aggregate, so no GROUP BY is added.
    members = (
        _member_model()
        .objects.active()
        .filter(branch__path__startswith=OuterRef("path"))
        .order_by()
        .annotate(n=Func(F("pk"), function="COUNT"))
        .values("n")
    )
    return qs.annotate(
        secretary_name=Subquery(secretary),
        member_count=Coalesce(Subquery(members, output_field=IntegerField()), 0),
    )


def subtree_summary(org):
    """Counts over `org`'s subtree: organisations by kind, active and probationary members."""
    Member = _member_model()
    by_kind = dict(
        Organization.objects.filter(path__startswith=org.path)
        .exclude(pk=org.pk)
        .order_by()
        .values_list("kind")
        .annotate(n=Count("pk"))
    )
    members = Member.objects.active().filter(branch__path__startswith=org.path)
    return {
        "branches": by_kind.get("branch", 0) + by_kind.get("joint_branch", 0),
        "general_branches": by_kind.get("general_branch", 0),
        "committees": by_kind.get("committee", 0),
        "party_groups": by_kind.get("party_group", 0),
        "members": members.count(),
    }
