from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import CURRENT_STATUSES, Member, MemberStatus, StatusChange


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


# End states recorded on a decision outside the pipeline and transfers (去世, 除名, 自行脱党, 退党).
END_STATUSES = (
    MemberStatus.DECEASED,
    MemberStatus.LAPSED,
    MemberStatus.EXPELLED,
    MemberStatus.WITHDRAWN,
)


def member_end(*, user, member, to_status, on, reason):
    """Record that a person leaves the roster (death, 除名/开除, 自行脱党, 退党): the branch or the
    committee above, with the date and the decision or reason."""
    from branches.scoping import scope_for

    from .development import refresh_schedule

    if not scope_for(user).can_edit(member.branch):
        raise PermissionDenied
    errors = {}
    if to_status not in END_STATUSES:
        errors["to_status"] = [_("请选择变更后的政治面貌。")]
    if member.status not in CURRENT_STATUSES:
        errors["to_status"] = [
            _("%(name)s已不在册（%(status)s）。")
            % {"name": member.name, "status": member.get_status_display()}
        ]
    if not (reason or "").strip():
        errors["reason"] = [_("请填写原因或组织决定（文号）。")]
    if on is None or on > timezone.localdate():
        errors["on"] = [_("日期不能晚于今天。")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        member = member_status_change(
            member=member, to_status=to_status, on=on, reason=reason.strip(), user=user
        )
        refresh_schedule(member)
    return member
