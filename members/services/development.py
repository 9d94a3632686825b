"""Writes to the development pipeline: record a step (with the 细则 time rules enforced or warned),
record an assessment, extend or cancel a probation; each refreshes the person's schedule.

Hard rules raise ValidationError naming the field; soft rules (a late talk, a late approval within
the extension, a gap in the half-yearly assessments) raise RuleWarnings until the user confirms,
and the confirmed warnings are kept with the step."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import log_action

from ..development import add_months, assessment_gaps, probation_end, schedule_for, working_days
from ..models import Assessment, DevelopmentRule, DevelopmentStep, Member, MemberStatus
from ..pipeline import STEP_BY_NO
from .records import can_manage
from .status import member_status_change


class RuleWarnings(ValidationError):
    """Soft rule breaches: recording goes ahead only when the user confirms them."""

    def __init__(self, messages):
        super().__init__(messages, code="warning")
        self.warnings = list(messages)


def _done(member):
    return dict(DevelopmentStep.objects.filter(member=member).values_list("step_no", "done_on"))


def _last_assessment(member):
    return (
        Assessment.objects.filter(member=member, kind=Assessment.Kind.ASSESSMENT)
        .order_by("-done_on")
        .values_list("done_on", flat=True)
        .first()
    )


def refresh_schedule(member):
    """Recompute and store the person's next step, due and earliest dates (three small queries)."""
    rules = DevelopmentRule.values_for(member.branch)
    schedule = schedule_for(member, _done(member), rules, _last_assessment(member))
    Member.objects.filter(pk=member.pk).update(
        next_step_no=schedule.next_no,
        next_step_due=schedule.deadline,
        next_step_earliest=schedule.earliest,
    )
    member.next_step_no, member.next_step_due = schedule.next_no, schedule.deadline
    member.next_step_earliest = schedule.earliest
    return schedule


def _member_ids(value, name):
    try:
        return [int(v) for v in (value or [])]
    except (TypeError, ValueError) as exc:
        raise ValidationError({name: _("请选择党员。")}) from exc


def _int(detail, name, label):
    value = detail.get(name)
    if value in (None, ""):
        raise ValidationError({name: _("请填写%(label)s。") % {"label": label}})
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError({name: _("%(label)s应为整数。") % {"label": label}}) from exc
    if number < 0:
        raise ValidationError({name: _("%(label)s不能为负数。") % {"label": label}})
    return number


def _date(detail, name, label):
    value = detail.get(name)
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError({name: _("请填写%(label)s。") % {"label": label}}) from exc


def _check_notice(detail, done_on, rules):
    """公示: at least N working days, finished by the meeting that decides."""
    start = _date(detail, "notice_from", _("公示开始日期"))
    end = _date(detail, "notice_to", _("公示结束日期"))
    if end < start:
        raise ValidationError({"notice_to": _("公示结束日期不能早于开始日期。")})
    if end > done_on:
        raise ValidationError({"notice_to": _("公示须在支部大会召开前结束。")})
    need = rules["notice_working_days"]
    if working_days(start, end) < need:
        raise ValidationError(
            {
                "notice_to": _("公示期不少于%(n)s个工作日，所填期间只有%(got)s个工作日。")
                % {"n": need, "got": working_days(start, end)}
            }
        )
    detail["notice_from"], detail["notice_to"] = start.isoformat(), end.isoformat()


def _check_vote(detail):
    """Branch general meeting vote: more than half of those entitled present; ayes more than half
    of the full members who should attend (written opinions of absentees count as ayes/noes)."""
    eligible = _int(detail, "eligible", _("应到会有表决权的正式党员人数"))
    present = _int(detail, "present", _("实到会有表决权的正式党员人数"))
    ayes = _int(detail, "ayes", _("赞成票数"))
    if eligible == 0:
        raise ValidationError({"eligible": _("应到会有表决权的正式党员人数须大于0。")})
    if present > eligible:
        raise ValidationError({"present": _("实到人数不能多于应到人数。")})
    if present * 2 <= eligible:
        raise ValidationError(
            {
                "present": _("到会有表决权的正式党员未超过应到会人数的半数（%(p)s/%(e)s），会议无效。")
                % {"p": present, "e": eligible}
            }
        )
    if ayes > eligible:
        raise ValidationError({"ayes": _("赞成票数不能多于应到会人数（含书面意见）。")})
    if ayes * 2 <= eligible:
        raise ValidationError(
            {
                "ayes": _("赞成票未超过应到会有表决权正式党员的半数（%(a)s/%(e)s），决议未通过。")
                % {"a": ayes, "e": eligible}
            }
        )
    detail.update(eligible=eligible, present=present, ayes=ayes)


def _check_people(member, ids, name, *, count, label):
    ids = _member_ids(ids, name)
    if len(set(ids)) != len(ids) or member.pk in ids:
        raise ValidationError({name: _("%(label)s不能重复，也不能是本人。") % {"label": label}})
    if not count[0] <= len(ids) <= count[1]:
        if count[0] == count[1]:
            msg = _("须确定%(n)s名%(label)s。") % {"n": count[0], "label": label}
        else:
            msg = _("须确定%(a)s至%(b)s名%(label)s。") % {"a": count[0], "b": count[1], "label": label}
        raise ValidationError({name: msg})
    people = list(Member.objects.filter(pk__in=ids).only("pk", "name", "status", "branch_id"))
    if len(people) != len(ids):
        raise ValidationError({name: _("所选党员不存在。")})
    not_full = [p.name for p in people if p.status != MemberStatus.FULL]
    if not_full:
        raise ValidationError(
            {
                name: _("%(label)s须为正式党员：%(names)s 不是。")
                % {"label": label, "names": "、".join(not_full)}
            }
        )
    return [{"id": p.pk, "name": p.name} for p in people]


def _rules_check(member, no, done_on, detail, done, rules):
    """Hard rules raise; soft rules are returned as warnings."""
    warnings = []
    if no == 1:
        if member.birth_date and member.age(done_on) < rules["min_age_years"]:
            raise ValidationError(
                {
                    "done_on": _("递交入党申请书时须年满%(age)s周岁（出生日期 %(birth)s）。")
                    % {"age": rules["min_age_years"], "birth": member.birth_date.isoformat()}
                }
            )
        if not member.birth_date:
            raise ValidationError({"done_on": _("请先在档案中填写出生日期或身份证号，以核对年龄。")})
    elif no == 2:
        applied = member.applied_on or done.get(1)
        limit = applied + datetime.timedelta(days=rules["talk_within_days"]) if applied else None
        if limit and done_on > limit:
            warnings.append(
                _("谈话应在递交入党申请书后%(days)s天内（%(limit)s前）进行，本次已逾期%(late)s天。")
                % {
                    "days": rules["talk_within_days"],
                    "limit": limit.isoformat(),
                    "late": (done_on - limit).days,
                }
            )
    elif no == 5:
        detail["cultivators"] = _check_people(
            member, detail.get("cultivators"), "cultivators", count=(1, 2), label=_("培养联系人")
        )
    elif no in (6, 7):
        if no == 7 and member.activist_on:
            earliest = add_months(member.activist_on, rules["activist_min_months"])
            if done_on < earliest:
                raise ValidationError(
                    {
                        "done_on": _(
                            "确定为入党积极分子（%(since)s）满%(months)s个月后，才能确定为发展对象（%(earliest)s起）。"
                        )
                        % {
                            "since": member.activist_on.isoformat(),
                            "months": rules["activist_min_months"],
                            "earliest": earliest.isoformat(),
                        }
                    }
                )
        if member.activist_on:
            dates = Assessment.objects.filter(member=member, kind=Assessment.Kind.ASSESSMENT).values_list(
                "done_on", flat=True
            )
            for start, end in assessment_gaps(
                member.activist_on, done_on, list(dates), rules["assessment_interval_months"]
            ):
                warnings.append(
                    _("%(start)s至%(end)s之间超过%(months)s个月没有培养考察记录。")
                    % {
                        "start": start.isoformat(),
                        "end": end.isoformat(),
                        "months": rules["assessment_interval_months"],
                    }
                )
    elif no == 9:
        n = rules["sponsors"]
        detail["sponsors"] = _check_people(
            member, detail.get("sponsors"), "sponsors", count=(n, n), label=_("入党介绍人")
        )
    elif no == 11:
        hours = _int(detail, "hours", _("培训学时"))
        days = _int(detail, "days", _("培训天数"))
        if hours < rules["training_min_hours"] and days < rules["training_min_days"]:
            raise ValidationError(
                {
                    "hours": _("集中培训不少于%(days)s天或%(hours)s学时（所填：%(d)s天、%(h)s学时）。")
                    % {
                        "days": rules["training_min_days"],
                        "hours": rules["training_min_hours"],
                        "d": days,
                        "h": hours,
                    }
                }
            )
        detail.update(hours=hours, days=days)
    elif no in (15, 23):
        if no == 23 and member.probation_end_on and done_on < member.probation_end_on:
            raise ValidationError(
                {
                    "done_on": _("预备期%(end)s届满，不得提前讨论转正。")
                    % {"end": member.probation_end_on.isoformat()}
                }
            )
        _check_notice(detail, done_on, rules)
        _check_vote(detail)
    elif no == 17:
        admitted = member.admitted_on
        limit = add_months(admitted, rules["approval_within_months"])
        hard = add_months(limit, rules["approval_extension_months"])
        if done_on > hard:
            raise ValidationError(
                {
                    "done_on": _(
                        "上级党委审批须在支部大会通过后%(m)s个月内（最多延长%(x)s个月，即%(hard)s前）完成。"
                    )
                    % {
                        "m": rules["approval_within_months"],
                        "x": rules["approval_extension_months"],
                        "hard": hard.isoformat(),
                    }
                }
            )
        if done_on > limit:
            warnings.append(
                _("审批超过%(m)s个月期限（%(limit)s），属于延长审批，请在备注中说明原因。")
                % {"m": rules["approval_within_months"], "limit": limit.isoformat()}
            )
    elif no == 24:
        if member.probation_end_on and done_on < member.probation_end_on:
            raise ValidationError(
                {
                    "done_on": _("预备期%(end)s届满，不得提前转正。")
                    % {"end": member.probation_end_on.isoformat()}
                }
            )
        if done.get(23):
            limit = add_months(done[23], rules["approval_within_months"])
            if done_on > limit:
                warnings.append(
                    _("转正审批超过%(m)s个月期限（%(limit)s）。")
                    % {"m": rules["approval_within_months"], "limit": limit.isoformat()}
                )
    return warnings


def step_record(
    *,
    user,
    member,
    step_no,
    done_on,
    detail=None,
    approval_ref="",
    note="",
    evidence=None,
    confirm_warnings=False,
):
    """Record step `step_no` for `member`: it must be the next step; returns the DevelopmentStep."""
    if not can_manage(user, member.branch):
        raise PermissionDenied
    step = STEP_BY_NO.get(step_no)
    if step is None:
        raise ValidationError({"step_no": _("步骤编号应为1至25。")})
    detail = dict(detail or {})
    with transaction.atomic():
        member = Member.objects.select_for_update().select_related("branch").get(pk=member.pk)
        done = _done(member)
        rules = DevelopmentRule.values_for(member.branch, done_on)
        schedule = schedule_for(member, done, rules)
        if schedule.next_no is None:
            raise ValidationError({"step_no": _("%(name)s当前不在发展流程中。") % {"name": member.name}})
        if step_no in done:
            raise ValidationError({"step_no": _("第%(no)s步已登记。") % {"no": step_no}})
        if step_no != schedule.next_no:
            nxt = STEP_BY_NO[schedule.next_no]
            raise ValidationError(
                {
                    "step_no": _("请按顺序登记：下一步是第%(no)s步“%(name)s”。")
                    % {"no": nxt.no, "name": nxt.name}
                }
            )
        if done_on > timezone.localdate():
            raise ValidationError({"done_on": _("完成日期不能晚于今天。")})
        previous = max((d for n, d in done.items() if n < step_no), default=None)
        if previous and done_on < previous:
            raise ValidationError(
                {"done_on": _("完成日期不能早于上一步骤的日期（%(d)s）。") % {"d": previous.isoformat()}}
            )
        warnings = _rules_check(member, step_no, done_on, detail, done, rules)
        if warnings and not confirm_warnings:
            raise RuleWarnings(warnings)
        if warnings:
            detail["warnings"] = warnings
        record = DevelopmentStep.objects.create(
            member=member,
            step_no=step_no,
            done_on=done_on,
            detail=detail,
            approval_ref=approval_ref,
            note=note,
            evidence=evidence or "",
            recorded_by=user,
        )
        if step.sets_date:
            setattr(member, step.sets_date, done_on)
        if step_no == 17:
            member.probation_end_on = probation_end(
                member, DevelopmentRule.values_for(member.branch, member.admitted_on)
            )
        if step_no == 24:
            # 转正时间为预备期满之日; 党龄 counts from it.
            member.regularised_on = member.probation_end_on or done_on
        if step.sets_date or step_no in (17, 24):
            member.save(
                update_fields=[
                    "applied_on",
                    "activist_on",
                    "target_on",
                    "admitted_on",
                    "probation_end_on",
                    "regularised_on",
                    "updated_at",
                ]
            )
        if step.sets_status:
            member = member_status_change(
                member=member,
                to_status=step.sets_status,
                on=done_on,
                reason=_("第%(no)s步：%(name)s") % {"no": step.no, "name": step.name},
                user=user,
            )
        refresh_schedule(member)
    return record


def assessment_record(*, user, member, kind, done_on, summary="", reviewer=""):
    if not can_manage(user, member.branch):
        raise PermissionDenied
    if done_on > timezone.localdate():
        raise ValidationError({"done_on": _("日期不能晚于今天。")})
    if member.status not in (
        MemberStatus.ACTIVIST,
        MemberStatus.DEVELOPMENT_TARGET,
        MemberStatus.PROBATIONARY,
    ):
        raise ValidationError({"kind": _("只有积极分子、发展对象和预备党员需要登记培养考察。")})
    with transaction.atomic():
        record = Assessment.objects.create(
            member=member, kind=kind, done_on=done_on, summary=summary, reviewer=reviewer, recorded_by=user
        )
        refresh_schedule(member)
    return record


def probation_extend(*, user, member, months, decided_on, approval_ref, reason=""):
    """延长预备期: once only, 6–12 months (rule table), on a branch meeting vote and approval."""
    if not can_manage(user, member.branch):
        raise PermissionDenied
    with transaction.atomic():
        member = Member.objects.select_for_update().select_related("branch").get(pk=member.pk)
        rules = DevelopmentRule.values_for(member.branch, decided_on)
        if member.status != MemberStatus.PROBATIONARY:
            raise ValidationError({"months": _("只有预备党员可以延长预备期。")})
        if member.probation_extension_months:
            raise ValidationError(
                {
                    "months": _("预备期只能延长一次，已延长%(m)s个月。")
                    % {"m": member.probation_extension_months}
                }
            )
        low, high = rules["extension_min_months"], rules["extension_max_months"]
        if not low <= months <= high:
            raise ValidationError(
                {"months": _("延长期限为%(low)s至%(high)s个月。") % {"low": low, "high": high}}
            )
        if not approval_ref.strip():
            raise ValidationError({"approval_ref": _("请填写上级党委批复文号。")})
        if decided_on > timezone.localdate():
            raise ValidationError({"decided_on": _("日期不能晚于今天。")})
        old_end = member.probation_end_on
        member.probation_extension_months = months
        member.probation_end_on = probation_end(member)
        member.save(update_fields=["probation_extension_months", "probation_end_on", "updated_at"])
        log_action(
            "members.member.extended",
            member,
            actor=user,
            changes={
                "probation_end_on": [
                    old_end.isoformat() if old_end else None,
                    member.probation_end_on.isoformat(),
                ]
            },
            data={
                "months": months,
                "approval_ref": approval_ref,
                "reason": reason,
                "decided_on": decided_on.isoformat(),
            },
        )
        refresh_schedule(member)
    return member


def probation_cancel(*, user, member, decided_on, approval_ref, reason):
    """取消预备党员资格 (on a branch meeting vote and approval)."""
    if not can_manage(user, member.branch):
        raise PermissionDenied
    if member.status != MemberStatus.PROBATIONARY:
        raise ValidationError({"reason": _("只有预备党员可以取消预备资格。")})
    if not reason.strip():
        raise ValidationError({"reason": _("请填写取消预备资格的原因。")})
    if not approval_ref.strip():
        raise ValidationError({"approval_ref": _("请填写上级党委批复文号。")})
    with transaction.atomic():
        member = member_status_change(
            member=member,
            to_status=MemberStatus.PROBATION_CANCELLED,
            on=decided_on,
            reason=f"{reason}（{approval_ref}）",
            user=user,
        )
        refresh_schedule(member)
    return member
