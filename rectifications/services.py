"""Writes for rectification ledgers and the suggestion box. Each service checks who may act,
validates, runs in one transaction, records the item's transition and an audit entry.

Item moves lock the item row first (`select_for_update`): two officers pressing 认领 at once, or a
verifier and a second request racing, must see one consistent status — the second one fails with a
clear message instead of overwriting the first."""

import datetime
import os
import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.context import anonymously
from audit.models import AuditEntry
from audit.services import log_action
from branches.models import Organization, OrgKind

from . import access
from .models import (
    Evidence,
    Item,
    ItemStatus,
    ItemTransition,
    Ledger,
    LedgerSource,
    Measure,
    ProgressUpdate,
    ResolutionLevel,
    Suggestion,
    SuggestionReply,
    TransitionAction,
)
from .models.ledger import EVIDENCE_EXTENSIONS, EVIDENCE_MAX_BYTES, EVIDENCE_MAX_FILES
from .models.suggestion import new_receipt_code, receipt_hash

PERIOD = re.compile(r"^\d{4}(-(Q[1-4]|\d{2}|H[12]))?$")


# --------------------------------------------------------------------------------------------
# Ledgers and items
# --------------------------------------------------------------------------------------------


def ledger_create(*, user, issuer, source, title, deadline, issued_on=None, description="", period=""):
    """Open a ledger for `issuer` (its officers or the committee above)."""
    if not access.can_issue(user, issuer):
        raise PermissionDenied
    issued_on = issued_on or timezone.localdate()
    ledger = Ledger(
        issuer=issuer,
        source=source,
        title=(title or "").strip(),
        issued_on=issued_on,
        deadline=deadline,
        description=description or "",
        period=period or "",
        created_by=user,
    )
    _validate_ledger(ledger)
    with transaction.atomic():
        ledger.save()
    return ledger


def ledger_update(*, user, ledger, **fields):
    if not access.can_issue(user, ledger.issuer):
        raise PermissionDenied
    allowed = {"source", "title", "issued_on", "deadline", "description"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"not ledger fields: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(ledger, name, value)
    _validate_ledger(ledger)
    with transaction.atomic():
        ledger.save()
    return ledger


def _validate_ledger(ledger):
    errors = {}
    if not ledger.title:
        errors["title"] = _("请填写台账名称。")
    if ledger.source not in LedgerSource.values:
        errors["source"] = _("请选择问题来源。")
    if ledger.deadline is None:
        errors["deadline"] = _("请填写整改完成时限。")
    elif ledger.issued_on and ledger.deadline < ledger.issued_on:
        errors["deadline"] = _("整改完成时限不能早于下达日期。")
    if errors:
        raise ValidationError(errors)


def _clean_measures(measures):
    return [m.strip() for m in measures or () if m and m.strip()]


def item_create(
    *,
    user,
    ledger,
    problem,
    units,
    deadline,
    measures,
    category="",
    lead_person=None,
    responsible_people=(),
    deadline_reason="",
    resolution_level=ResolutionLevel.TIMETABLED,
    source_unit=None,
    source_rule_code="",
    source_period="",
    source_member=None,
    source_meeting=None,
    source_suggestion=None,
    check_permission=True,
):
    """Add an item to a ledger. Responsible units lie in the issuer's subtree; the deadline falls
    within the ledger's unless a reason is given (整改时限 "8月底前" is the ledger's hard date)."""
    issuer = ledger.issuer
    if check_permission and not access.can_issue(user, issuer):
        raise PermissionDenied
    units = list(units or ())
    people = list(responsible_people or ())
    measures = _clean_measures(measures)
    errors = {}
    if not (problem or "").strip():
        errors["problem"] = _("请填写问题。")
    if not units:
        errors["units"] = _("请至少选择一个责任单位。")
    elif any(not u.path.startswith(issuer.path) for u in units):
        names = "、".join(u.name for u in units if not u.path.startswith(issuer.path))
        errors["units"] = _("责任单位必须是%(issuer)s或其下级组织：%(names)s不是。") % {
            "issuer": issuer.name,
            "names": names,
        }
    if not measures:
        errors["measures"] = _("请至少填写一条整改措施。")
    if deadline is None:
        errors["deadline"] = _("请填写整改时限。")
    elif deadline < ledger.issued_on:
        errors["deadline"] = _("整改时限不能早于台账下达日期（%(date)s）。") % {"date": ledger.issued_on}
    elif deadline > ledger.deadline and not (deadline_reason or "").strip():
        errors["deadline_reason"] = _("整改时限晚于台账完成时限（%(date)s），请说明理由。") % {
            "date": ledger.deadline
        }
    if resolution_level not in ResolutionLevel.values:
        errors["resolution_level"] = _("请选择整改类型。")
    outside = [
        m for m in [lead_person, *people] if m is not None and not m.branch.path.startswith(issuer.path)
    ]
    if outside:
        errors["responsible_people"] = _("责任人必须是%(issuer)s范围内的党员：%(names)s不是。") % {
            "issuer": issuer.name,
            "names": "、".join(m.name for m in outside),
        }
    if source_meeting is not None and not source_meeting.organization.path.startswith(issuer.path):
        errors["source_meeting"] = _("来源会议必须是%(issuer)s或其下级组织的会议。") % {"issuer": issuer.name}
    if source_member is not None and not source_member.branch.path.startswith(issuer.path):
        errors["source_member"] = _("民主评议对象必须是%(issuer)s范围内的党员。") % {"issuer": issuer.name}
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = Ledger.objects.select_for_update().get(pk=ledger.pk)  # serialises 序号 per ledger
        last = locked.items.order_by("-seq").values_list("seq", flat=True).first() or 0
        item = Item(
            ledger=ledger,
            seq=last + 1,
            category=(category or "").strip(),
            problem=problem.strip(),
            lead_person=lead_person,
            deadline=deadline,
            deadline_reason=(deadline_reason or "").strip(),
            resolution_level=resolution_level,
            source_unit=source_unit,
            source_rule_code=source_rule_code or "",
            source_period=source_period or "",
            source_member=source_member,
            source_meeting=source_meeting,
            source_suggestion=source_suggestion,
            created_by=user,
        )
        item.save()
        item.units.set(units)
        item.responsible_people.set(people)
        Measure.objects.bulk_create(
            Measure(item=item, seq=i, text=t) for i, t in enumerate(measures, start=1)
        )
        ItemTransition.objects.create(
            item=item, action=TransitionAction.CREATED, to_status=ItemStatus.OPEN, by=user
        )
    return item


def _transition(item, *, user, action, to_status, reason="", fields=None):
    """Record one move (the caller holds the row lock): the status and any other fields in one
    UPDATE, the timeline row and a named audit entry."""
    before = item.status
    fields = dict(fields or {})
    fields["status"] = to_status
    Item.objects.filter(pk=item.pk).update(**fields)
    for name, value in fields.items():
        setattr(item, name, value)
    ItemTransition.objects.create(
        item=item, action=action, from_status=before, to_status=to_status, by=user, reason=reason
    )
    log_action(
        f"rectifications.item.{action}",
        item,
        actor=user,
        changes={"status": [before, to_status]},
        data={"reason": reason} if reason else None,
    )


def _locked(item):
    return Item.objects.select_for_update(of=("self",)).select_related("ledger__issuer").get(pk=item.pk)


def _refuse(item, wanted):
    raise ValidationError(
        _("此事项当前状态为“%(status)s”，不能%(action)s。")
        % {"status": item.get_status_display(), "action": access.ACTION_LABELS[wanted]}
    )


def item_claim(*, user, item):
    """认领: the responsible unit takes the item on."""
    with transaction.atomic():
        item = _locked(item)
        if not access.works_item(user, item):
            raise PermissionDenied
        if item.status != ItemStatus.OPEN:
            _refuse(item, "claim")
        _transition(
            item,
            user=user,
            action=TransitionAction.CLAIMED,
            to_status=ItemStatus.CLAIMED,
            fields={"claimed_by": user, "claimed_at": timezone.now()},
        )
    return item


def validate_evidence(files):
    """Type and size limits, each error naming the file."""
    files = list(files or ())
    errors = []
    if len(files) > EVIDENCE_MAX_FILES:
        errors.append(
            _("每次最多上传%(n)s个佐证材料，本次选择了%(got)s个。")
            % {"n": EVIDENCE_MAX_FILES, "got": len(files)}
        )
    for f in files:
        ext = os.path.splitext(f.name)[1].lower()
        if ext not in EVIDENCE_EXTENSIONS:
            errors.append(
                _("“%(name)s”的文件类型不支持；可上传 %(types)s。")
                % {"name": f.name, "types": "、".join(e.lstrip(".") for e in EVIDENCE_EXTENSIONS)}
            )
        elif f.size > EVIDENCE_MAX_BYTES:
            errors.append(
                _("“%(name)s”有 %(size).1f MB，超过 %(max)s MB 的上限。")
                % {"name": f.name, "size": f.size / 1024 / 1024, "max": EVIDENCE_MAX_BYTES // (1024 * 1024)}
            )
    if errors:
        raise ValidationError({"files": errors})
    return files


def item_progress_add(*, user, item, text, on=None, files=()):
    """推进情况: a dated report with evidence; the first one moves a claimed item into progress."""
    on = on or timezone.localdate()
    errors = {}
    if not (text or "").strip():
        errors["text"] = _("请填写推进情况。")
    if on > timezone.localdate():
        errors["on"] = _("报送日期不能晚于今天。")
    try:
        files = validate_evidence(files)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        item = _locked(item)
        if not (access.works_item(user, item) or access.is_responsible(user, item)):
            raise PermissionDenied
        if item.status not in (ItemStatus.CLAIMED, ItemStatus.IN_PROGRESS):
            if item.status == ItemStatus.OPEN:
                raise ValidationError(_("请先认领此事项，再报送推进情况。"))
            _refuse(item, "progress")
        update = ProgressUpdate.objects.create(item=item, on=on, text=text.strip(), by=user)
        for f in files:
            Evidence.objects.create(update=update, file=f, name=os.path.basename(f.name)[:200], size=f.size)
        last = max(on, item.last_update_on) if item.last_update_on else on
        _transition(
            item,
            user=user,
            action=TransitionAction.PROGRESSED,
            to_status=ItemStatus.IN_PROGRESS,
            reason=text.strip()[:500],
            fields={"last_update_on": last},
        )
    return update


def item_request_closeout(*, user, item, summary=""):
    """申请销号: the unit reports the item done; it stays open until the issuer verifies."""
    with transaction.atomic():
        item = _locked(item)
        if not access.works_item(user, item):
            raise PermissionDenied
        if item.status != ItemStatus.IN_PROGRESS:
            if item.status == ItemStatus.CLAIMED:
                raise ValidationError(_("申请销号前请至少报送一次推进情况和佐证材料。"))
            _refuse(item, "request_closeout")
        _transition(
            item,
            user=user,
            action=TransitionAction.CLOSEOUT_REQUESTED,
            to_status=ItemStatus.CLOSEOUT_REQUESTED,
            reason=(summary or "").strip(),
            fields={"closeout_requested_at": timezone.now()},
        )
    return item


def _check_verifier(user, item):
    if not access.verifies_item(user, item) or (access.works_item(user, item) and not user.is_superuser):
        raise PermissionDenied


def item_verify(*, user, item, comment=""):
    """验收销号: only the issuing organisation closes an item, and never the unit that worked it."""
    with transaction.atomic():
        item = _locked(item)
        _check_verifier(user, item)
        if item.status != ItemStatus.CLOSEOUT_REQUESTED:
            _refuse(item, "verify")
        _transition(
            item,
            user=user,
            action=TransitionAction.VERIFIED,
            to_status=ItemStatus.CLOSED,
            reason=(comment or "").strip(),
            fields={"closed_by": user, "closed_at": timezone.now()},
        )
    return item


def item_return(*, user, item, reason):
    """退回整改: the issuer sends a close-out request back, with its reason, to in progress."""
    if not (reason or "").strip():
        raise ValidationError({"reason": _("请填写退回理由。")})
    with transaction.atomic():
        item = _locked(item)
        _check_verifier(user, item)
        if item.status != ItemStatus.CLOSEOUT_REQUESTED:
            _refuse(item, "return")
        _transition(
            item,
            user=user,
            action=TransitionAction.RETURNED,
            to_status=ItemStatus.IN_PROGRESS,
            reason=reason.strip(),
            fields={"return_count": item.return_count + 1, "closeout_requested_at": None},
        )
    return item


def item_create_from_compliance_miss(*, issuer, unit, rule_code, rule_label, period, summary, user):
    """One click from a compliance miss to an item, pre-filled and linked by (unit, rule, period),
    in the issuer's ledger of compliance misses for that period (made on first use, due in
    COMPLIANCE_DAYS). Idempotent: the same miss returns the item already made. The compliance
    engine's results are not rows, so the link is the rule code and period, not a key."""
    errors = {}
    if not PERIOD.match(period or ""):
        errors["period"] = _("期间格式应为 2026-Q3、2026-07 或 2026。")
    if not (rule_code or "").strip():
        errors["rule"] = _("缺少合规规则代码。")
    if not unit.path.startswith(issuer.path):
        errors["unit"] = _("%(unit)s不在%(issuer)s的管辖范围内。") % {
            "unit": unit.name,
            "issuer": issuer.name,
        }
    if errors:
        raise ValidationError(errors)
    if not access.can_issue(user, issuer):
        raise PermissionDenied
    existing = Item.objects.filter(source_unit=unit, source_rule_code=rule_code, source_period=period).first()
    if existing is not None:
        return existing
    today = timezone.localdate()
    deadline = today + timezone.timedelta(days=COMPLIANCE_DAYS)
    try:
        with transaction.atomic():
            ledger, _created = Ledger.objects.get_or_create(
                issuer=issuer,
                source=LedgerSource.COMPLIANCE_MISS,
                period=period,
                defaults={
                    "title": _("%(period)s 合规检查未达标问题整改台账") % {"period": period},
                    "issued_on": today,
                    "deadline": deadline,
                    "created_by": user,
                },
            )
            item_deadline = min(deadline, ledger.deadline) if ledger.deadline >= today else deadline
            return item_create(
                user=user,
                ledger=ledger,
                problem=_("%(unit)s：%(rule)s（%(period)s）。%(summary)s")
                % {
                    "unit": unit.name,
                    "rule": rule_label or rule_code,
                    "period": period,
                    "summary": summary or "",
                },
                category=_("合规检查"),
                units=[unit],
                measures=[
                    _("对照“%(rule)s”查找原因，补齐缺项并建立长效机制。") % {"rule": rule_label or rule_code}
                ],
                deadline=item_deadline,
                deadline_reason=_("合规检查未达标，限期整改") if item_deadline > ledger.deadline else "",
                source_unit=unit,
                source_rule_code=rule_code,
                source_period=period,
            )
    except IntegrityError:
        # A concurrent click made it first (the unique constraint on unit, rule, period).
        return Item.objects.get(source_unit=unit, source_rule_code=rule_code, source_period=period)


COMPLIANCE_DAYS = 30


# --------------------------------------------------------------------------------------------
# Suggestion box
# --------------------------------------------------------------------------------------------


def suggestion_recipients(member):
    """A member writes to their own branch or any committee above it."""
    return Organization.objects.filter(
        path__in=[*member.branch.ancestor_paths(), member.branch.path]
    ).exclude(kind=OrgKind.PARTY_GROUP)


def suggestion_submit(*, user, recipient, subject, body, kind="suggestion", anonymous=False):
    """Leave a suggestion. Returns (suggestion, receipt code or None). Anonymous: nothing stored
    links it to the author — no author, no actor on its audit entry, no time of day; the receipt
    code (shown once) is the author's only way back to the reply."""
    member = getattr(user, "member", None)
    if member is None:
        raise PermissionDenied
    errors = {}
    if not (subject or "").strip():
        errors["subject"] = _("请填写标题。")
    if not (body or "").strip():
        errors["body"] = _("请填写内容。")
    if recipient is None or not suggestion_recipients(member).filter(pk=recipient.pk).exists():
        errors["recipient"] = _("只能向本支部或上级党组织提意见。")
    if errors:
        raise ValidationError(errors)
    code = new_receipt_code() if anonymous else None
    suggestion = Suggestion(
        recipient=recipient,
        kind=kind,
        subject=subject.strip(),
        body=body.strip(),
        anonymous=bool(anonymous),
        author=None if anonymous else member,
        receipt_hash=receipt_hash(code) if anonymous else "",
    )
    if anonymous:
        with anonymously(), transaction.atomic():
            suggestion.save()
            entry = log_action("rectifications.suggestion.submitted", suggestion, data={"anonymous": True})
            # The day only, like the row: a to-the-second time could be matched against the
            # author's session (its expiry moves with every request they make).
            day = timezone.make_aware(datetime.datetime.combine(suggestion.submitted_on, datetime.time()))
            AuditEntry.objects.filter(pk=entry.pk).update(at=day)
    else:
        with transaction.atomic():
            suggestion.save()
            log_action("rectifications.suggestion.submitted", suggestion, actor=user)
    return suggestion, code


def suggestion_by_receipt(code):
    if not code or not code.strip():
        return None
    return Suggestion.objects.filter(anonymous=True, receipt_hash=receipt_hash(code)).first()


def can_answer(user, suggestion):
    from branches.scoping import scope_for

    return scope_for(user).can_edit(suggestion.recipient)


def suggestion_reply(*, user, suggestion, body):
    if not can_answer(user, suggestion):
        raise PermissionDenied
    if not (body or "").strip():
        raise ValidationError({"body": _("请填写答复内容。")})
    with transaction.atomic():
        reply = SuggestionReply.objects.create(suggestion=suggestion, body=body.strip(), replied_by=user)
    return reply


def suggestion_convert(*, user, suggestion, units, deadline, measures, problem="", category="", ledger=None):
    """Turn a suggestion into a ledger item, linked: into `ledger` (one the recipient issued) or
    the recipient's suggestion-box ledger of the year, made on first use."""
    if not can_answer(user, suggestion) or not access.can_issue(user, suggestion.recipient):
        raise PermissionDenied
    if Item.objects.filter(source_suggestion=suggestion).exists():
        raise ValidationError(_("这条意见已经转为整改事项。"))
    if ledger is not None and ledger.issuer_id != suggestion.recipient_id:
        raise ValidationError(
            {"ledger": _("只能转入%(org)s下达的台账。") % {"org": suggestion.recipient.name}}
        )
    today = timezone.localdate()
    with transaction.atomic():
        if ledger is None:
            year_end = today.replace(month=12, day=31)
            ledger, _created = Ledger.objects.get_or_create(
                issuer=suggestion.recipient,
                source=LedgerSource.SUGGESTION_BOX,
                period=str(today.year),
                defaults={
                    "title": _("%(year)s年意见箱问题整改台账") % {"year": today.year},
                    "issued_on": today.replace(month=1, day=1),
                    "deadline": max(year_end, deadline or year_end),
                    "created_by": user,
                },
            )
        return item_create(
            user=user,
            ledger=ledger,
            problem=problem or f"{suggestion.subject}：{suggestion.body}",
            category=category or _("意见箱"),
            units=units,
            deadline=deadline,
            measures=measures,
            source_suggestion=suggestion,
        )
