"""Writes to the org tree, committee posts and grants. Each validates, runs in one transaction and
leaves an audit entry (the model-level audit signals record field changes; named events such as a
move are logged here)."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from audit.services import log_action

from .models import (
    BRANCH_KINDS,
    SINGLE_HOLDER_ROLES,
    CommitteePost,
    Grant,
    Organization,
    OrgKind,
    PostRole,
    default_term_end,
)
from .scoping import forget_scope, scope_for

ORG_EDITABLE_FIELDS = (
    "name",
    "short_name",
    "field",
    "code",
    "established_on",
    "term_start",
    "term_end",
    "is_weak",
    "star_level",
    "budget",
    "address",
)
# Member.status of a full member (正式党员); branches reads it without importing members.
FULL_MEMBER_STATUS = "full"
# Only the committee above may set these (designation as weak, star rating, budget).
SUPERVISOR_ONLY_FIELDS = ("is_weak", "star_level", "budget")


def _lock(org):
    """Serialise structural changes under one parent: treebeard derives a new child's path from the
    last sibling's, so two concurrent inserts under the same parent would compute the same path."""
    return Organization.objects.select_for_update().get(pk=org.pk)


def can_create_child(user, parent, kind):
    scope = scope_for(user)
    if scope.supervises(parent):
        return True
    # A branch secretary may set up the party groups of their own branch.
    return kind == OrgKind.PARTY_GROUP and scope.can_edit(parent) and parent.kind in BRANCH_KINDS


def organization_create(*, user, parent, kind, name, **fields):
    """Create an organisation under `parent` (None only for a root 党委, admin only)."""
    scope = scope_for(user)
    if parent is None:
        if not scope.is_admin:
            raise PermissionDenied
    elif not can_create_child(user, parent, kind):
        raise PermissionDenied
    org = Organization(kind=kind, name=name, **{k: v for k, v in fields.items() if k in ORG_EDITABLE_FIELDS})
    if parent is not None and "field" not in fields:
        org.field = parent.field
    org.new_parent = parent  # term rules scoped to the parent's subtree apply before the insert
    org.clean_parent(parent)
    if org.term_start and not org.term_end:
        org.term_end = default_term_end(org)
    org.full_clean(exclude=["path", "depth", "numchild"])
    with transaction.atomic():
        if parent is None:
            return Organization.objects.add_root(instance=org)
        # add_child locks the parent row: concurrent inserts under one parent cannot share a path.
        return Organization.objects.add_child(parent, instance=org)


def organization_update(*, user, org, **fields):
    scope = scope_for(user)
    if not scope.can_edit(org):
        raise PermissionDenied
    unknown = set(fields) - set(ORG_EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(_("不可修改的字段：%(f)s") % {"f": ", ".join(sorted(unknown))})
    if not scope.supervises(org):
        for name in SUPERVISOR_ONLY_FIELDS:
            if name in fields and fields[name] != getattr(org, name):
                raise ValidationError({name: _("该项由上级党组织设定。")})
    with transaction.atomic():
        org = Organization.objects.select_for_update().get(pk=org.pk)
        for name, value in fields.items():
            setattr(org, name, value)
        if org.term_start and not org.term_end:
            org.term_end = default_term_end(org)
        org.full_clean(exclude=["path", "depth", "numchild"])
        org.save()
    return org


def organization_move(*, user, org, new_parent):
    """Move `org` with its whole subtree under `new_parent`; every path below is rewritten in the
    same transaction, so subtree queries stay correct."""
    scope = scope_for(user)
    if not (scope.supervises_strictly(org) and scope.supervises(new_parent)):
        raise PermissionDenied
    if new_parent.path.startswith(org.path):
        raise ValidationError({"parent": _("不能把组织移动到它自己或它的下级组织之下。")})
    org.clean_parent(new_parent)
    old_parent = Organization.objects.get_parent(org)
    if old_parent is not None and old_parent.pk == new_parent.pk:
        raise ValidationError({"parent": _("该组织已经在所选上级组织之下。")})
    with transaction.atomic():
        new_parent = _lock(new_parent)
        org = Organization.objects.select_for_update().get(pk=org.pk)
        Organization.objects.move(org, new_parent, pos="last-child")
        org.refresh_from_db()
        log_action(
            "branches.organization.moved",
            org,
            actor=user,
            changes={"parent": [old_parent.name if old_parent else None, new_parent.name]},
            data={"from_id": old_parent.pk if old_parent else None, "to_id": new_parent.pk},
        )
    return org


def post_assign(*, user, organization, role, member, started_on, elected_on=None, note=""):
    """Record that `member` holds `role` in `organization` from `started_on`.

    Only full members hold posts (预备党员 have no right to elect or be elected, 党章§7). For a
    single-holder post (书记, 组织委员 …) the sitting holder's term ends the day before; a holder
    who started later than `started_on` is a conflict the user must resolve, never overwritten."""
    scope = scope_for(user)
    if not scope.can_edit(organization):
        raise PermissionDenied
    if role == PostRole.GROUP_LEADER and organization.kind != OrgKind.PARTY_GROUP:
        raise ValidationError({"role": _("党小组长只能在党小组中任职。")})
    if role != PostRole.GROUP_LEADER and organization.kind == OrgKind.PARTY_GROUP:
        raise ValidationError({"role": _("党小组只设党小组长。")})
    # The holder must belong to the organisation: a member of the branch (of the party group's
    # branch), or of a branch somewhere under a 党委/党总支.
    home = (
        Organization.objects.get_parent(organization)
        if organization.kind == OrgKind.PARTY_GROUP
        else organization
    )
    if not member.branch.path.startswith(home.path):
        raise ValidationError(
            {"member": _("%(name)s不是%(org)s的党员。") % {"name": member.name, "org": home.name}}
        )
    if member.status != FULL_MEMBER_STATUS:
        raise ValidationError(
            {"member": _("%(name)s不是正式党员，不能担任委员职务。") % {"name": member.name}}
        )
    with transaction.atomic():
        _lock(organization)
        # Every post of this role still open on or after the new start date.
        overlapping = (
            CommitteePost.objects.select_for_update()
            .filter(organization=organization, role=role)
            .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=started_on))
        )
        if overlapping.filter(member=member).exists():
            raise ValidationError({"member": _("%(name)s已担任该职务。") % {"name": member.name}})
        if role in SINGLE_HOLDER_ROLES:
            later = overlapping.filter(started_on__gte=started_on).first()
            if later is not None:
                raise ValidationError(
                    {
                        "started_on": _("%(name)s自%(date)s起已担任该职务；请先更正那条任职记录。")
                        % {"name": later.member.name, "date": later.started_on.isoformat()}
                    }
                )
            for previous in overlapping:
                _end(previous, started_on - datetime.timedelta(days=1))
        post = CommitteePost(
            organization=organization,
            role=role,
            member=member,
            started_on=started_on,
            elected_on=elected_on,
            note=note,
        )
        post.full_clean()
        post.save()
    if member.user_id:
        forget_scope(member.user)
    return post


def _end(post, ended_on):
    post.ended_on = ended_on
    post.full_clean()
    post.save(update_fields=["ended_on"])


def post_end(*, user, post, ended_on):
    """End a term of office. A single-holder post may not run into its successor's term."""
    if not scope_for(user).can_edit(post.organization):
        raise PermissionDenied
    if ended_on < post.started_on:
        raise ValidationError({"ended_on": _("离任日期不能早于任职日期。")})
    with transaction.atomic():
        post = CommitteePost.objects.select_for_update().get(pk=post.pk)
        if post.role in SINGLE_HOLDER_ROLES:
            successor = (
                CommitteePost.objects.filter(organization=post.organization_id, role=post.role)
                .exclude(pk=post.pk)
                .filter(started_on__gt=post.started_on, started_on__lte=ended_on)
                .first()
            )
            if successor is not None:
                raise ValidationError(
                    {
                        "ended_on": _("离任日期不能晚于继任者%(name)s的任职日期（%(date)s）。")
                        % {"name": successor.member.name, "date": successor.started_on.isoformat()}
                    }
                )
        _end(post, ended_on)
    if post.member.user_id:
        forget_scope(post.member.user)
    return post


APPROVED_ROLES = (PostRole.SECRETARY, PostRole.DEPUTY_SECRETARY)


def post_approve(*, user, post, approved_on, approval_ref=""):
    """The superior approves an elected 书记 or 副书记 (条例§21) — committee staff above only, once."""
    if not scope_for(user).supervises_strictly(post.organization):
        raise PermissionDenied
    if post.role not in APPROVED_ROLES:
        raise ValidationError({"role": _("只有书记、副书记的任职需要上级批复。")})
    if post.approved_on is not None:
        raise ValidationError(
            {"approved_on": _("该任职已于%(date)s批复。") % {"date": post.approved_on.isoformat()}}
        )
    if approved_on < (post.elected_on or post.started_on):
        raise ValidationError({"approved_on": _("批复日期不能早于选举日期。")})
    with transaction.atomic():
        post.approved_on = approved_on
        post.approval_ref = approval_ref
        post.save(update_fields=["approved_on", "approval_ref"])
    return post


def grant_create(*, user, grantee, organization):
    if not scope_for(user).supervises(organization):
        raise PermissionDenied
    with transaction.atomic():
        grant, _created = Grant.objects.get_or_create(
            user=grantee, organization=organization, defaults={"granted_by": user}
        )
    forget_scope(grantee)
    return grant
