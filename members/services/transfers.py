"""Writes for organisational relationship transfers (组织关系转接) and mobile members (流动党员).

Transfers (流动党员管理 and 党员组织关系介绍信 practice, domain §2.7):
- within the system, branch → branch: the sending branch issues the letter, the receiving branch
  confirms; the member keeps every record (steps, status changes, assessments stay attached);
- out of the system: a letter to an outside organisation moves the member to 已转出; the returned
  回执 completes it;
- into the system from outside: the member is entered on the receiving branch's roster.
A letter records 党费交至年月 and is valid for 3 months by default (up to 6 across provinces);
outstanding dues must be acknowledged before a letter is issued.

Every write checks the user's scope, validates with field errors in one ValidationError, runs in
one transaction and is audited (Transfer, MobileRecord, MobileReport and Member are audited models;
a cancellation's reason is logged as a named event)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import log_action
from branches.models import BRANCH_KINDS, CommitteePost
from branches.scoping import scope_for

from ..development import add_months
from ..models import (
    ACTIVE_STATUSES,
    CURRENT_STATUSES,
    DevelopmentRule,
    Member,
    MemberStatus,
    MobileDirection,
    MobileRecord,
    MobileReport,
    Transfer,
    TransferDirection,
    TransferStatus,
)
from ..selectors_transfers import (
    ledger_paid_through,
    outstanding_dues_months,
    parse_year_month,
    status_before_transfer_out,
)
from .development import refresh_schedule
from .records import member_create
from .status import member_status_change

# From the rule table (DevelopmentRule): 介绍信 validity, 3 months by default and up to 6 for a
# cross-province transfer [domain §2.7]; dues prepaid for at most 6 months, so "paid through"
# cannot lie further ahead.


def _add(errors, field, message):
    errors.setdefault(field, []).append(message)


def _lock_member(member):
    return Member.objects.select_for_update().select_related("branch").get(pk=member.pk)


def _lock_transfer(transfer):
    return (
        Transfer.objects.select_for_update(of=("self",))  # the branches are nullable outer joins
        .select_related("member", "from_branch", "to_branch")
        .get(pk=transfer.pk)
    )


def _complete(transfer, *, user, receipt_on):
    transfer.status = TransferStatus.COMPLETED
    transfer.receipt_on = receipt_on
    transfer.confirmed_by = user
    transfer.save(update_fields=["status", "receipt_on", "confirmed_by"])


def _rules(branch, on):
    """Validity and prepayment limits from the rule table (national defaults, subtree overrides)."""
    return DevelopmentRule.values_for(branch, on)


def _check_letter(errors, *, issued_on, valid_until, today, branch):
    """The letter's dates; returns valid_until (the 3-month default when not given)."""
    if issued_on is None:
        _add(errors, "issued_on", _("请填写开具日期。"))
        return valid_until
    if issued_on > today:
        _add(errors, "issued_on", _("开具日期不能晚于今天。"))
    rules = _rules(branch, issued_on)
    default_months, max_months = rules["transfer_valid_months"], rules["transfer_max_valid_months"]
    if valid_until is None:
        return add_months(issued_on, default_months)
    if valid_until < issued_on:
        _add(errors, "valid_until", _("有效期不能早于开具日期。"))
    elif valid_until > add_months(issued_on, max_months):
        _add(
            errors,
            "valid_until",
            _("介绍信有效期一般为%(n)s个月，跨省转接最长%(max)s个月（至%(d)s）。")
            % {
                "n": default_months,
                "max": max_months,
                "d": add_months(issued_on, max_months).isoformat(),
            },
        )
    return valid_until


def _check_dues(errors, *, member, dues_paid_through, acknowledged, today, required):
    """党费交至年月 on the letter; months owed must be acknowledged before the letter is issued."""
    dues_paid_through = (dues_paid_through or "").strip() or ledger_paid_through(member, today)
    if not dues_paid_through:
        if required:
            _add(errors, "dues_paid_through", _("请填写党费交至年月（如2026-05）。"))
        return dues_paid_through
    parsed = parse_year_month(dues_paid_through)
    if parsed is None:
        _add(errors, "dues_paid_through", _("党费交至年月的格式应为YYYY-MM，如2026-05。"))
        return dues_paid_through
    prepay = _rules(member.branch, today)["dues_prepay_max_months"]
    latest = add_months(today.replace(day=1), prepay)
    if (parsed[0], parsed[1]) > (latest.year, latest.month):
        _add(
            errors,
            "dues_paid_through",
            _("党费预交不超过%(n)s个月，最晚交至%(ym)s。") % {"n": prepay, "ym": f"{latest:%Y-%m}"},
        )
        return dues_paid_through
    owed = outstanding_dues_months(member, dues_paid_through, today)
    if owed and not acknowledged:
        span = owed[0] if len(owed) == 1 else _("%(first)s至%(last)s") % {"first": owed[0], "last": owed[-1]}
        _add(
            errors,
            "outstanding_dues_acknowledged",
            _("党费交至%(paid)s，尚欠%(n)s个月（%(span)s），请确认后再办理转出。")
            % {"paid": dues_paid_through, "n": len(owed), "span": span},
        )
    return dues_paid_through


def _check_leaving(errors, member, *, statuses, label):
    """Only one pending transfer per member; officers hand over their posts before leaving."""
    if member.status not in statuses:
        _add(
            errors,
            "member",
            _("%(status)s不能办理%(what)s。") % {"status": member.get_status_display(), "what": label},
        )
    pending = Transfer.objects.filter(member=member, status=TransferStatus.PENDING).first()
    if pending is not None:
        _add(
            errors,
            "member",
            _("该党员已有一项待办结的组织关系转接（%(no)s），请先办结或撤销。")
            % {"no": pending.letter_no or pending.issued_on.isoformat()},
        )
    posts = (
        CommitteePost.objects.current()
        .filter(member=member, organization__path__startswith=member.branch.path)
        .select_related("organization")
    )
    for post in posts:
        _add(
            errors,
            "member",
            _("该党员现任%(org)s%(role)s，请先登记离任。")
            % {"org": post.organization.name, "role": post.get_role_display()},
        )


def transfer_internal_start(
    *,
    user,
    member,
    to_branch,
    issued_on,
    reason="",
    dues_paid_through="",
    outstanding_dues_acknowledged=False,
    letter_no="",
    valid_until=None,
):
    """系统内转接: the sending branch issues a letter to another branch in the system, which then
    confirms (transfer_confirm). People in the development pipeline move the same way; a party
    member's letter must state 党费交至年月."""
    today = timezone.localdate()
    with transaction.atomic():
        member = _lock_member(member)  # one pending transfer per member: serialise the check
        if not scope_for(user).can_edit(member.branch):
            raise PermissionDenied
        errors = {}
        _check_leaving(errors, member, statuses=CURRENT_STATUSES, label=_("组织关系转接"))
        if to_branch is None:
            _add(errors, "to_branch", _("请选择接收支部。"))
        elif to_branch.kind not in BRANCH_KINDS:
            _add(errors, "to_branch", _("组织关系只能转入党支部。"))
        elif to_branch.pk == member.branch_id:
            _add(errors, "to_branch", _("接收支部不能是该党员现在所在的支部。"))
        valid_until = _check_letter(
            errors, issued_on=issued_on, valid_until=valid_until, today=today, branch=member.branch
        )
        dues_paid_through = _check_dues(
            errors,
            member=member,
            dues_paid_through=dues_paid_through,
            acknowledged=outstanding_dues_acknowledged,
            today=today,
            required=member.status in ACTIVE_STATUSES,
        )
        if errors:
            raise ValidationError(errors)
        return Transfer.objects.create(
            member=member,
            direction=TransferDirection.INTERNAL,
            from_branch=member.branch,
            to_branch=to_branch,
            letter_no=letter_no.strip(),
            dues_paid_through=dues_paid_through,
            outstanding_dues_acknowledged=outstanding_dues_acknowledged,
            issued_on=issued_on,
            valid_until=valid_until,
            reason=reason.strip(),
            created_by=user,
        )


def transfer_confirm(*, user, transfer, receipt_on=None):
    """The receiving branch (its officers, or committee staff over it) confirms an internal
    transfer: the member moves to the new branch with their whole history and leaves their party
    group. An expired letter cannot be accepted — the sender cancels and issues a new one."""
    today = timezone.localdate()
    receipt_on = receipt_on or today
    with transaction.atomic():
        transfer = _lock_transfer(transfer)
        if transfer.to_branch is None or not scope_for(user).can_edit(transfer.to_branch):
            raise PermissionDenied
        errors = {}
        if transfer.direction != TransferDirection.INTERNAL:
            _add(errors, "status", _("只有系统内转接由接收支部确认。"))
        elif transfer.status != TransferStatus.PENDING:
            _add(errors, "status", _("该转接已办结或已撤销。"))
        if receipt_on > today:
            _add(errors, "receipt_on", _("接收日期不能晚于今天。"))
        elif receipt_on < transfer.issued_on:
            _add(errors, "receipt_on", _("接收日期不能早于介绍信开具日期。"))
        elif receipt_on > transfer.valid_until:
            _add(
                errors,
                "receipt_on",
                _("介绍信已于%(d)s过期，请转出支部撤销后重新开具。")
                % {"d": transfer.valid_until.isoformat()},
            )
        member = _lock_member(transfer.member)
        if not errors and member.branch_id != transfer.from_branch_id:
            _add(errors, "status", _("该党员已不在转出支部，请撤销此转接。"))
        if errors:
            raise ValidationError(errors)
        member.branch = transfer.to_branch
        member.party_group = None
        member.save(update_fields=["branch", "party_group", "updated_at"])
        # The development rules may differ in the receiving branch's subtree.
        refresh_schedule(member)
        _complete(transfer, user=user, receipt_on=receipt_on)
    return transfer


def transfer_out_start(
    *,
    user,
    member,
    external_org,
    letter_no,
    issued_on,
    dues_paid_through,
    outstanding_dues_acknowledged=False,
    valid_until=None,
    reason="",
):
    """转出系统外: a letter to an organisation outside the system; the member's status becomes
    已转出 at once (through member_status_change, naming the letter) and the transfer stays pending
    until the 回执 comes back (transfer_receipt)."""
    today = timezone.localdate()
    with transaction.atomic():
        member = _lock_member(member)
        if not scope_for(user).can_edit(member.branch):
            raise PermissionDenied
        errors = {}
        _check_leaving(errors, member, statuses=ACTIVE_STATUSES, label=_("转出系统外"))
        external_org = (external_org or "").strip()
        letter_no = (letter_no or "").strip()
        if not external_org:
            _add(errors, "external_org", _("请填写接收党组织名称。"))
        if not letter_no:
            _add(errors, "letter_no", _("请填写介绍信编号。"))
        valid_until = _check_letter(
            errors, issued_on=issued_on, valid_until=valid_until, today=today, branch=member.branch
        )
        dues_paid_through = _check_dues(
            errors,
            member=member,
            dues_paid_through=dues_paid_through,
            acknowledged=outstanding_dues_acknowledged,
            today=today,
            required=True,
        )
        if errors:
            raise ValidationError(errors)
        transfer = Transfer.objects.create(
            member=member,
            direction=TransferDirection.OUT,
            from_branch=member.branch,
            external_org=external_org,
            letter_no=letter_no,
            dues_paid_through=dues_paid_through,
            outstanding_dues_acknowledged=outstanding_dues_acknowledged,
            issued_on=issued_on,
            valid_until=valid_until,
            reason=(reason or "").strip(),
            created_by=user,
        )
        member_status_change(
            member=member,
            to_status=MemberStatus.TRANSFERRED_OUT,
            on=issued_on,
            reason=_("组织关系转出至%(org)s（介绍信%(no)s）") % {"org": external_org, "no": letter_no},
            user=user,
        )
    return transfer


def transfer_receipt(*, user, transfer, receipt_on):
    """The 回执 of an out-of-system letter came back: record its date and complete the transfer.
    A late receipt is still recorded (the letter was flagged 已过期未回执 meanwhile)."""
    today = timezone.localdate()
    with transaction.atomic():
        transfer = _lock_transfer(transfer)
        if transfer.from_branch is None or not scope_for(user).can_edit(transfer.from_branch):
            raise PermissionDenied
        errors = {}
        if transfer.direction != TransferDirection.OUT:
            _add(errors, "status", _("只有转出系统外的介绍信需要登记回执。"))
        elif transfer.status != TransferStatus.PENDING:
            _add(errors, "status", _("该转接已办结或已撤销。"))
        if receipt_on is None:
            _add(errors, "receipt_on", _("请填写回执日期。"))
        elif receipt_on > today:
            _add(errors, "receipt_on", _("回执日期不能晚于今天。"))
        elif receipt_on < transfer.issued_on:
            _add(errors, "receipt_on", _("回执日期不能早于介绍信开具日期。"))
        if errors:
            raise ValidationError(errors)
        _complete(transfer, user=user, receipt_on=receipt_on)
    return transfer


def transfer_in_external(
    *,
    user,
    branch,
    external_org,
    letter_no,
    issued_on,
    dues_paid_through="",
    valid_until=None,
    status=MemberStatus.FULL,
    reason="",
    **person,
):
    """从系统外转入: a member arrives with a letter from an outside organisation. They are entered
    on the branch's roster (member_create: the protected-data and date rules apply) with a
    completed in-transfer recording the letter. An expired letter is not accepted."""
    scope = scope_for(user)
    if branch is None or not scope.can_edit(branch):
        raise PermissionDenied
    today = timezone.localdate()
    errors = {}
    if branch.kind not in BRANCH_KINDS:
        _add(errors, "branch", _("组织关系只能转入党支部。"))
    if status not in ACTIVE_STATUSES:
        _add(errors, "status", _("转入的只能是正式党员或预备党员。"))
    external_org = (external_org or "").strip()
    letter_no = (letter_no or "").strip()
    if not external_org:
        _add(errors, "external_org", _("请填写转出党组织名称。"))
    if not letter_no:
        _add(errors, "letter_no", _("请填写介绍信编号。"))
    valid_until = _check_letter(
        errors, issued_on=issued_on, valid_until=valid_until, today=today, branch=branch
    )
    if valid_until is not None and valid_until < today and "valid_until" not in errors:
        _add(
            errors,
            "valid_until",
            _("介绍信已于%(d)s过期，请党员回原党组织重新开具。") % {"d": valid_until.isoformat()},
        )
    dues_paid_through = (dues_paid_through or "").strip()
    if dues_paid_through and parse_year_month(dues_paid_through) is None:
        _add(errors, "dues_paid_through", _("党费交至年月的格式应为YYYY-MM，如2026-05。"))
    with transaction.atomic():
        try:
            member = member_create(user=user, branch=branch, status=status, **person)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors.setdefault(field, []).extend(messages)
        if errors:
            raise ValidationError(errors)  # rolls back the member entered above
        Transfer.objects.create(
            member=member,
            direction=TransferDirection.IN,
            status=TransferStatus.COMPLETED,
            to_branch=branch,
            external_org=external_org,
            letter_no=letter_no,
            dues_paid_through=dues_paid_through,
            issued_on=issued_on,
            valid_until=valid_until,
            receipt_on=today,
            confirmed_by=user,
            reason=(reason or "").strip(),
            created_by=user,
        )
    return member


def transfer_cancel(*, user, transfer, reason):
    """Cancel a pending transfer (the sending branch, or committee staff over it). A member
    transferred out of the system gets back the status held before the letter."""
    reason = (reason or "").strip()
    with transaction.atomic():
        transfer = _lock_transfer(transfer)
        if transfer.from_branch is None or not scope_for(user).can_edit(transfer.from_branch):
            raise PermissionDenied
        errors = {}
        if transfer.status != TransferStatus.PENDING:
            _add(errors, "status", _("只能撤销待办结的转接。"))
        if not reason:
            _add(errors, "reason", _("请填写撤销原因。"))
        if errors:
            raise ValidationError(errors)
        if transfer.direction == TransferDirection.OUT:
            member = transfer.member
            if member.status == MemberStatus.TRANSFERRED_OUT:
                member_status_change(
                    member=member,
                    to_status=status_before_transfer_out(member),
                    on=timezone.localdate(),
                    reason=_("撤销组织关系转出（介绍信%(no)s）：%(reason)s")
                    % {"no": transfer.letter_no, "reason": reason},
                    user=user,
                )
        transfer.status = TransferStatus.CANCELLED
        transfer.save(update_fields=["status"])
        log_action("members.transfer.cancelled", transfer, actor=user, data={"reason": reason})
    return transfer


# --- Mobile members ------------------------------------------------------------------------------


def _check_day(errors, field, value, *, today, not_before=None, before_label=""):
    if value is None:
        return
    if value > today:
        _add(errors, field, _("日期不能晚于今天。"))
    elif not_before is not None and value < not_before:
        _add(
            errors,
            field,
            _("日期不能早于%(what)s（%(d)s）。") % {"what": before_label, "d": not_before.isoformat()},
        )


def mobile_start(
    *,
    user,
    member,
    direction,
    location,
    since,
    fixed_place=True,
    contact="",
    home_org="",
    card_no="",
    card_issued_on=None,
    note="",
):
    """流动党员登记: a member leaves for elsewhere (流出) or a member from elsewhere stays with us
    (流入). The member is flagged mobile; one open record per member at a time."""
    today = timezone.localdate()
    with transaction.atomic():
        member = _lock_member(member)
        if not scope_for(user).can_edit(member.branch):
            raise PermissionDenied
        errors = {}
        if member.status not in ACTIVE_STATUSES:
            _add(errors, "member", _("只有党员（含预备党员）可以登记为流动党员。"))
        if MobileRecord.objects.filter(member=member, until__isnull=True).exists():
            _add(errors, "member", _("该党员已有一条未结束的流动登记，请先结束后再登记。"))
        if direction not in MobileDirection.values:
            _add(errors, "direction", _("请选择流向。"))
        location = (location or "").strip()
        if not location:
            _add(errors, "location", _("请填写流动地点或单位。"))
        home_org = (home_org or "").strip()
        if direction == MobileDirection.INFLOW and not home_org:
            _add(errors, "home_org", _("流入党员须填写原党组织（组织关系所在党组织）。"))
        if since is None:
            _add(errors, "since", _("请填写流动开始日期。"))
        _check_day(errors, "since", since, today=today)
        _check_day(errors, "card_issued_on", card_issued_on, today=today)
        card_no = (card_no or "").strip()
        if card_issued_on and not card_no:
            _add(errors, "card_no", _("填写了发放日期，请同时填写活动证编号。"))
        if errors:
            raise ValidationError(errors)
        record = MobileRecord.objects.create(
            member=member,
            direction=direction,
            location=location,
            since=since,
            fixed_place=fixed_place,
            contact=(contact or "").strip(),
            home_org=home_org,
            card_no=card_no,
            card_issued_on=card_issued_on,
            note=(note or "").strip(),
        )
        if not member.is_mobile:
            member.is_mobile = True
            member.save(update_fields=["is_mobile", "updated_at"])
    return record


def _lock_record(record):
    return MobileRecord.objects.select_for_update().select_related("member__branch").get(pk=record.pk)


def mobile_report(*, user, record, reported_on, summary=""):
    """A mobile member's report home (at least once a year, 流动党员管理): kept as a MobileReport,
    and the record's last_report_on moves forward."""
    today = timezone.localdate()
    with transaction.atomic():
        record = _lock_record(record)
        if not scope_for(user).can_edit(record.member.branch):
            raise PermissionDenied
        errors = {}
        if record.until is not None:
            _add(errors, "reported_on", _("该流动登记已结束。"))
        if reported_on is None:
            _add(errors, "reported_on", _("请填写汇报日期。"))
        _check_day(
            errors,
            "reported_on",
            reported_on,
            today=today,
            not_before=record.since,
            before_label=_("流动开始日期"),
        )
        if errors:
            raise ValidationError(errors)
        report = MobileReport.objects.create(
            record=record, reported_on=reported_on, summary=(summary or "").strip(), recorded_by=user
        )
        if record.last_report_on is None or reported_on > record.last_report_on:
            record.last_report_on = reported_on
            record.save(update_fields=["last_report_on"])
    return report


def mobile_end(*, user, record, until):
    """End a stretch of mobility (the member is back, or the relationship was transferred); the
    member stops being flagged mobile when no other record is open."""
    today = timezone.localdate()
    with transaction.atomic():
        record = _lock_record(record)
        member = _lock_member(record.member)
        if not scope_for(user).can_edit(member.branch):
            raise PermissionDenied
        errors = {}
        if record.until is not None:
            _add(errors, "until", _("该流动登记已结束。"))
        if until is None:
            _add(errors, "until", _("请填写流动结束日期。"))
        _check_day(
            errors, "until", until, today=today, not_before=record.since, before_label=_("流动开始日期")
        )
        if errors:
            raise ValidationError(errors)
        record.until = until
        record.save(update_fields=["until"])
        still_open = MobileRecord.objects.filter(member=member, until__isnull=True).exists()
        if member.is_mobile and not still_open:
            member.is_mobile = False
            member.save(update_fields=["is_mobile", "updated_at"])
    return record
