"""Writes to member records: create, edit, the member's own contact details, and the audited view of
a full 身份证号 / phone number. Status never changes here (see status.py, development.py,
transfers.py); every write runs in one transaction and the model audit records what changed."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import log_action
from branches.models import BRANCH_KINDS, OrgKind
from branches.scoping import scope_for

from ..models import CURRENT_STATUSES, DevelopmentRule, DevelopmentStep, Member, MemberStatus, StatusChange
from ..protected import (
    birth_date_from_id,
    gender_from_id,
    id_number_problems,
    keyed_hash,
    normalise_id_number,
    normalise_phone,
    validate_mobile,
)

# What the roster form edits. Status, the development schedule and the mobile flag belong to the
# workflows; the key dates may be corrected here (entering a roster that predates the system).
MEMBER_FIELDS = (
    "name",
    "gender",
    "ethnicity",
    "birth_date",
    "education",
    "id_number",
    "phone",
    "party_group",
    "dues_category",
    "applied_on",
    "activist_on",
    "target_on",
    "admitted_on",
    "probation_end_on",
    "regularised_on",
    "is_elderly_infirm",
    "is_hardship",
    "quorum_excluded",
    "quorum_exclusion_reason",
)
CONTACT_FIELDS = ("phone",)
# The date a person must have to be entered with a status (a roster predating the system).
STATUS_DATE = {
    MemberStatus.APPLICANT: None,  # the application itself may be recorded later (step 1)
    MemberStatus.ACTIVIST: "activist_on",
    MemberStatus.DEVELOPMENT_TARGET: "target_on",
    MemberStatus.PROBATIONARY: "admitted_on",
    MemberStatus.FULL: None,
}


def can_manage(user, branch):
    """Branch officers and the committee above keep the roster of a branch."""
    return scope_for(user).can_edit(branch)


def can_reveal(user, member):
    """Who may see a full 身份证号 / phone: the member themself, the branch officers and the
    committee above (everyone else sees the masked value only)."""
    scope = scope_for(user)
    return scope.can_edit(member.branch) or member.pk in scope.member_ids


def validate_member(member, *, scope=None, check_clash=True, rules_for=None):
    """Every rule of a member record, as field errors (raises one ValidationError with all).

    A bulk caller (the roster import) checks ID clashes for all rows in one query
    (`check_clash=False`) and passes `rules_for(branch, on)` answering from rules loaded once."""
    errors = {}
    member.name = (member.name or "").strip()
    if not member.name:
        errors.setdefault("name", []).append(_("请填写姓名。"))
    member.id_number = normalise_id_number(member.id_number)
    if member.id_number:
        problems = id_number_problems(member.id_number, birth_date=member.birth_date, gender=member.gender)
        if problems:
            errors.setdefault("id_number", []).extend(problems)
        else:
            member.birth_date = member.birth_date or birth_date_from_id(member.id_number)
            member.gender = member.gender or gender_from_id(member.id_number)
            clash = check_clash and (
                Member.objects.filter(id_hash=keyed_hash(member.id_number))
                .exclude(pk=member.pk)
                .select_related("branch")
                .first()
            )
            if clash:
                if scope is not None and scope.can_see(clash.branch):
                    msg = _("该身份证号已登记：%(branch)s %(name)s。") % {
                        "branch": clash.branch.name,
                        "name": clash.name,
                    }
                else:
                    msg = _("该身份证号已在其他党组织登记，请通过组织关系转接办理。")
                errors.setdefault("id_number", []).append(msg)
    member.phone = normalise_phone(member.phone)
    if member.phone:
        try:
            validate_mobile(member.phone)
        except ValidationError as exc:
            errors.setdefault("phone", []).extend(exc.messages)
    if not member.gender:
        errors.setdefault("gender", []).append(_("请选择性别。"))
    if member.branch_id and member.branch.kind not in BRANCH_KINDS:
        errors.setdefault("branch", []).append(_("党员只能编入党支部。"))
    if member.party_group_id:
        group = member.party_group
        if group.kind != OrgKind.PARTY_GROUP or not group.path.startswith(member.branch.path):
            errors.setdefault("party_group", []).append(_("所选党小组不属于该支部。"))
    if member.quorum_excluded and not member.quorum_exclusion_reason.strip():
        errors.setdefault("quorum_exclusion_reason", []).append(
            _("不计入应到会人数时必须说明原因（如出国、患病、外出流动）。")
        )
    today = timezone.localdate()
    if member.birth_date and member.birth_date > today:
        errors.setdefault("birth_date", []).append(_("出生日期不能晚于今天。"))
    date_order = ("applied_on", "activist_on", "target_on", "admitted_on", "regularised_on")
    previous = None
    for name in date_order:
        value = getattr(member, name)
        if value is None:
            continue
        if value > today:
            errors.setdefault(name, []).append(_("日期不能晚于今天。"))
        elif previous is not None and value < getattr(member, previous):
            errors.setdefault(name, []).append(
                _("该日期早于“%(other)s”。") % {"other": Member._meta.get_field(previous).verbose_name}
            )
        previous = name
    if member.applied_on and member.birth_date:
        rules = (rules_for or DevelopmentRule.values_for)(member.branch, member.applied_on)
        min_age = rules.get("min_age_years", 18)
        if member.age(member.applied_on) < min_age:
            errors.setdefault("applied_on", []).append(
                _("递交入党申请书时须年满%(age)s周岁。") % {"age": min_age}
            )
    required_date = STATUS_DATE.get(member.status)
    if required_date and not getattr(member, required_date):
        errors.setdefault(required_date, []).append(
            _("%(status)s须填写“%(field)s”。")
            % {
                "status": member.get_status_display(),
                "field": Member._meta.get_field(required_date).verbose_name,
            }
        )
    if errors:
        raise ValidationError(errors)


def member_create(*, user, branch, status=MemberStatus.FULL, **fields):
    """Enter a person on a branch's roster (a new applicant, or someone whose record predates the
    system) — the starting status is recorded as the first StatusChange (建档)."""
    if not can_manage(user, branch):
        raise PermissionDenied
    if status not in CURRENT_STATUSES:
        raise ValidationError(
            {"status": _("新建档案只能是入党申请人、积极分子、发展对象、预备党员或正式党员。")}
        )
    unknown = set(fields) - set(MEMBER_FIELDS)
    if unknown:
        raise ValueError(f"not member fields: {sorted(unknown)}")
    member = Member(branch=branch, status=status, **fields)
    if status == MemberStatus.PROBATIONARY and member.admitted_on and not member.probation_end_on:
        from ..development import probation_end

        member.probation_end_on = probation_end(member)
    validate_member(member, scope=scope_for(user))
    with transaction.atomic():
        member.save()
        StatusChange.objects.create(
            member=member,
            from_status="",
            to_status=status,
            changed_on=timezone.localdate(),
            reason=_("建档"),
            changed_by=user,
        )
        if status == MemberStatus.APPLICANT and member.applied_on:
            DevelopmentStep.objects.create(
                member=member, step_no=1, done_on=member.applied_on, recorded_by=user, note=_("建档时登记")
            )
        from .development import refresh_schedule

        refresh_schedule(member)
    return member


def member_update(*, user, member, **fields):
    if not can_manage(user, member.branch):
        raise PermissionDenied
    unknown = set(fields) - set(MEMBER_FIELDS)
    if unknown:
        raise ValueError(f"not editable here: {sorted(unknown)}")
    with transaction.atomic():
        member = Member.objects.select_for_update().select_related("branch").get(pk=member.pk)
        for name, value in fields.items():
            setattr(member, name, value)
        validate_member(member, scope=scope_for(user))
        member.save()
        from .development import refresh_schedule

        refresh_schedule(member)
    return member


def member_contact_update(*, user, member, phone):
    """我的档案: a member edits their own contact details (and only those)."""
    if member.pk not in scope_for(user).member_ids and not can_manage(user, member.branch):
        raise PermissionDenied
    with transaction.atomic():
        member = Member.objects.select_for_update().select_related("branch").get(pk=member.pk)
        member.phone = normalise_phone(phone)
        if member.phone:
            try:
                validate_mobile(member.phone)
            except ValidationError as exc:
                raise ValidationError({"phone": exc.messages}) from exc
        member.save(update_fields=["phone", "updated_at"])
    return member


def member_reveal(*, user, member, field):
    """The full 身份证号 or phone, for those allowed — every view is an audit entry."""
    if field not in ("id_number", "phone"):
        raise ValueError(field)
    if not can_reveal(user, member):
        raise PermissionDenied
    log_action(
        "members.member.revealed",
        member,
        actor=user,
        data={"field": field, "label": str(Member._meta.get_field(field).verbose_name)},
    )
    return getattr(member, field)
