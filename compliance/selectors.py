"""Reads for the compliance pages: members with no organisational life, the meetings behind a cell."""

from django.db.models import Exists, Max, OuterRef, Q, Subquery
from django.utils import timezone

from meetings.models import ATTENDED_STATUSES, Attendance, Meeting
from members.development import add_months
from members.models import ACTIVE_STATUSES

# 党章§9: a member who, without good reason, takes no part in organisational life for six
# consecutive months is regarded as having given up membership (自行脱党) — a ground for review.
NO_ORG_LIFE_MONTHS = 6


def no_org_life_since(today=None, months=NO_ORG_LIFE_MONTHS):
    """The first day of the look-back: the flag means no attended locked meeting on or after it."""
    return add_months(today or timezone.localdate(), -months)


def members_without_org_life(members, *, today=None, months=NO_ORG_LIFE_MONTHS):
    """Members (full or probationary) of `members` — already scoped (visible_to, a branch, a
    subtree) — who attended (present or late) no locked meeting held in the last `months` months,
    annotated with `last_attended_on` (None: never). Not flagged: someone admitted within the
    look-back (not yet a member for six months), and members of a branch whose records do not reach
    back that far (no locked meeting held before the look-back began: a branch that started
    recording its meetings recently would otherwise flag everyone). Correlated subqueries on the
    (member, meeting) and (organisation, held_on) indexes; no per-member queries."""
    since = no_org_life_since(today, months)
    attended = Attendance.objects.filter(
        member=OuterRef("pk"), status__in=ATTENDED_STATUSES, meeting__locked_at__isnull=False
    )
    recent = attended.filter(meeting__held_on__gte=since)
    last = attended.order_by().values("member").annotate(last=Max("meeting__held_on")).values("last")
    recorded = Meeting.objects.filter(
        organization=OuterRef("branch_id"), locked_at__isnull=False, held_on__lt=since
    )
    return (
        members.filter(status__in=ACTIVE_STATUSES)
        .filter(Q(admitted_on__isnull=True) | Q(admitted_on__lte=since))
        .filter(Exists(recorded))
        .filter(~Exists(recent))
        .annotate(last_attended_on=Subquery(last))
    )


def meetings_for(ids, user):
    """The meetings behind a compliance cell, as the user may see them."""
    return (
        Meeting.objects.visible_to(user)
        .filter(pk__in=ids)
        .select_related("organization", "party_group")
        .order_by("held_on", "pk")
    )
