from django.db import transaction

from ..models import Member, StatusChange


def member_status_change(*, member, to_status, on, reason, user):
    """The one way a member's status changes (development steps, transfers, 自行脱党 …): the
    member row is locked, the change recorded as a StatusChange and audited through the model."""
    with transaction.atomic():
        member = Member.objects.select_for_update().get(pk=member.pk)
        if member.status == to_status:
            return member
        StatusChange.objects.create(
            member=member,
            from_status=member.status,
            to_status=to_status,
            changed_on=on,
            reason=reason,
            changed_by=user,
        )
        member.status = to_status
        member.save(update_fields=["status", "updated_at"])
    return member
