"""Writes for 三会一课: plan, record, attendance, votes, the minutes sign-off chain, amendments,
action items, attachments and 谈心谈话.

Every service is keyword-only, runs in one transaction (the meeting row locked with
`select_for_update`, so two officers saving at once cannot interleave a sign-off with an edit),
raises `ValidationError` with messages keyed by field name, and writes the audit trail.

Who may do what (documented in the README):
- plan, record, attendance, votes, action items, attachments, amendments, submit: the branch's
  officers (书记/副书记/组织委员) and the committee staff above (`scope.can_edit`);
- the recorder's signature: the user linked to the recorder's member record — or, when the
  recorder has no login, a branch officer on their behalf (recorded as such in the trail);
- the secretary's signature: the branch secretary in office (a 副书记 when the post is vacant); for
  a 党小组会 the host (the group leader) — or a branch officer when the host has no login. The two
  signatures must come from two different users;
- review (accept / return): committee staff strictly above the meeting's organisation.
"""

import datetime
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import log_action
from branches.models import BRANCH_KINDS, CommitteePost, OrgKind, PostRole
from branches.scoping import scope_for
from members.models import Member

from . import quorum as rules
from .models import (
    LOCKED_STATES,
    ActionItem,
    Amendment,
    Attachment,
    AttachmentKind,
    Attendance,
    AttendanceStatus,
    LecturerType,
    Meeting,
    MeetingKind,
    MeetingStatus,
    MinutesState,
    Resolution,
    Talk,
    TalkPairType,
)
from .selectors import _voting_on, expected_attendees

# Attachments: photos and scans. The first bytes must match the extension (a renamed .exe is not a
# photo); the size limit is a setting so an installation can raise it.
ATTACHMENT_TYPES = {
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".pdf": (b"%PDF-",),
}
ATTACHMENT_MAX_BYTES = getattr(settings, "MEETING_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)

# What an amendment may change once the minutes are locked.
AMENDABLE_FIELDS = ("topic", "agenda", "place", "minutes")

PLAN_FIELDS = ("topic", "agenda", "place", "planned_on", "starts_at", "also_themed_day", "party_group")
RECORD_FIELDS = (
    "topic",
    "agenda",
    "place",
    "held_on",
    "starts_at",
    "ends_at",
    "also_themed_day",
    "party_group",
    "host",
    "recorder",
    "lecturer",
    "lecturer_name",
    "lecturer_type",
    "minutes",
)


def _add(errors, field, message):
    errors.setdefault(field, []).append(message)


def _raise(errors):
    if errors:
        raise ValidationError(errors)


def _lock(meeting):
    return Meeting.objects.select_for_update(of=("self",)).select_related("organization").get(pk=meeting.pk)


def can_edit(user, meeting):
    return scope_for(user).can_edit(meeting.organization)


def _require_edit(user, org):
    if not scope_for(user).can_edit(org):
        raise PermissionDenied


def _check_org(errors, organization):
    if organization is None:
        _add(errors, "organization", _("请选择召开会议的党支部。"))
    elif organization.kind not in BRANCH_KINDS:
        _add(errors, "organization", _("三会一课由党支部召开，请选择党支部。"))


def _check_group(errors, meeting):
    if meeting.kind == MeetingKind.GROUP_MEETING:
        group = meeting.party_group
        if group is None:
            _add(errors, "party_group", _("党小组会须选择党小组。"))
        elif group.kind != OrgKind.PARTY_GROUP or not group.path.startswith(meeting.organization.path):
            _add(errors, "party_group", _("请选择本支部的党小组。"))
    elif meeting.party_group_id is not None:
        meeting.party_group = None


def _clean_text(meeting, errors):
    meeting.topic = (meeting.topic or "").strip()
    meeting.agenda = (meeting.agenda or "").strip()
    meeting.place = (meeting.place or "").strip()
    if not meeting.topic:
        _add(errors, "topic", _("请填写会议主题。"))
    if meeting.kind not in MeetingKind.values:
        _add(errors, "kind", _("请选择会议类型。"))
    if meeting.also_themed_day and meeting.kind == MeetingKind.THEMED_DAY:
        meeting.also_themed_day = False


def _set(meeting, values, allowed):
    for name, value in values.items():
        if name not in allowed:
            raise TypeError(f"unexpected field {name!r}")
        setattr(meeting, name, value)


# --- Plan and record ---------------------------------------------------------------------------


def meeting_plan(*, user, meeting=None, organization=None, kind=None, **fields):
    """Plan a meeting (kind, planned date, place, topic/agenda), or change a planned one."""
    today = timezone.localdate()
    with transaction.atomic():
        if meeting is None:
            meeting = Meeting(organization=organization, kind=kind, created_by=user)
            errors = {}
            _check_org(errors, organization)
            _raise(errors)
        else:
            meeting = _lock(meeting)
            if kind is not None:
                meeting.kind = kind
        _require_edit(user, meeting.organization)
        errors = {}
        if meeting.status != MeetingStatus.PLANNED:
            _add(errors, "status", _("只有计划中的会议可以修改计划；已召开的会议请填写会议记录。"))
            _raise(errors)
        created = meeting.pk is None
        _set(meeting, fields, PLAN_FIELDS)
        _clean_text(meeting, errors)
        _check_group(errors, meeting)
        if meeting.planned_on is None:
            _add(errors, "planned_on", _("请填写计划日期。"))
        elif created and meeting.planned_on < today - datetime.timedelta(days=31):
            _add(errors, "planned_on", _("计划日期早于一个月前：已召开的会议请直接“补录会议”。"))
        _raise(errors)
        meeting.save()
        log_action("meetings.meeting.planned" if created else "meetings.meeting.plan_changed", meeting)
    return meeting


def meeting_record(*, user, meeting=None, organization=None, kind=None, **fields):
    """Record a meeting as held (a planned one, or one after the fact): held at, place, topic,
    host, recorder, lecturer for a 党课 (with lecturer type), minutes. The expected attendees are
    derived from the roster at the held date (kept in step when the date or kind changes).
    Locked minutes are not edited here: a change is an amendment with a reason."""
    today = timezone.localdate()
    with transaction.atomic():
        if meeting is None:
            errors = {}
            _check_org(errors, organization)
            _raise(errors)
            meeting = Meeting(organization=organization, kind=kind, created_by=user)
        else:
            meeting = _lock(meeting)
            if kind is not None and kind != meeting.kind:
                if meeting.minutes_state not in (MinutesState.DRAFT, MinutesState.RETURNED):
                    raise ValidationError({"kind": _("记录已签字，不能修改会议类型。")})
                meeting.kind = kind
        _require_edit(user, meeting.organization)
        if meeting.is_locked:
            raise ValidationError({"minutes": _("会议记录已签字锁定，修改须以“更正”方式提出并说明原因。")})
        if meeting.status == MeetingStatus.CANCELLED:
            raise ValidationError({"status": _("会议已取消。")})
        if meeting.minutes_state == MinutesState.RECORDER_SIGNED:
            raise ValidationError(
                {"minutes": _("记录人已签字，等待书记签字；如需修改，请先由书记退回（撤销签字）。")}
            )
        before = (meeting.kind, meeting.held_on, meeting.party_group_id)
        created = meeting.pk is None
        _set(meeting, fields, RECORD_FIELDS)
        errors = {}
        _clean_text(meeting, errors)
        _check_group(errors, meeting)
        meeting.minutes = (meeting.minutes or "").strip()
        meeting.lecturer_name = (meeting.lecturer_name or "").strip()
        if meeting.held_on is None:
            _add(errors, "held_on", _("请填写召开日期。"))
        elif meeting.held_on > today:
            _add(errors, "held_on", _("召开日期不能晚于今天；尚未召开的会议请使用“计划会议”。"))
        if meeting.starts_at and meeting.ends_at and meeting.ends_at <= meeting.starts_at:
            _add(errors, "ends_at", _("结束时间须晚于开始时间。"))
        for name, label in (("host", _("主持人")), ("recorder", _("记录人"))):
            person = getattr(meeting, name)
            if person is None:
                _add(errors, name, _("请选择%(what)s。") % {"what": label})
            elif meeting.organization_id and person.branch_id != meeting.organization_id:
                _add(errors, name, _("%(what)s须为本支部党员。") % {"what": label})
        if meeting.kind == MeetingKind.PARTY_LECTURE:
            if meeting.lecturer is None and not meeting.lecturer_name:
                _add(errors, "lecturer", _("党课须填写授课人。"))
            if meeting.lecturer_type not in LecturerType.values:
                _add(errors, "lecturer_type", _("党课须选择授课人类型。"))
            if meeting.lecturer is not None and not meeting.lecturer_name:
                meeting.lecturer_name = meeting.lecturer.name
        else:
            meeting.lecturer, meeting.lecturer_name, meeting.lecturer_type = None, "", ""
        _raise(errors)
        meeting.status = MeetingStatus.HELD
        meeting.save()
        if created or before != (meeting.kind, meeting.held_on, meeting.party_group_id):
            _sync_attendance(meeting)
        refresh_quorum(meeting)
        log_action("meetings.meeting.recorded", meeting, data={"created": created})
    return meeting


def meeting_cancel(*, user, meeting, reason):
    """Cancel a planned meeting (the reason is kept in the trail)."""
    with transaction.atomic():
        meeting = _lock(meeting)
        _require_edit(user, meeting.organization)
        reason = (reason or "").strip()
        errors = {}
        if meeting.status != MeetingStatus.PLANNED:
            _add(errors, "status", _("只有计划中的会议可以取消。"))
        if not reason:
            _add(errors, "reason", _("请填写取消原因。"))
        _raise(errors)
        meeting.status = MeetingStatus.CANCELLED
        meeting.save(update_fields=["status", "updated_at"])
        log_action("meetings.meeting.cancelled", meeting, data={"reason": reason})
    return meeting


# --- Attendance and quorum ---------------------------------------------------------------------


def _sync_attendance(meeting):
    """Bring the attendance in line with the roster at the meeting date: add newly expected people,
    drop derived rows of people no longer expected (hand-adjusted rows stay), refresh vote flags."""
    derived = {row["member"].pk: row for row in expected_attendees(meeting)}
    existing = {a.member_id: a for a in meeting.attendance.all()}
    stale = [a.pk for mid, a in existing.items() if mid not in derived and not a.adjustment_reason]
    Attendance.objects.filter(pk__in=stale).delete()
    changed = []
    for mid, row in derived.items():
        current = existing.get(mid)
        if current is None:
            continue
        if current.adjustment_reason:
            continue
        if (current.has_vote, current.quorum_excluded) != (row["has_vote"], row["quorum_excluded"]):
            current.has_vote, current.quorum_excluded = row["has_vote"], row["quorum_excluded"]
            changed.append(current)
    Attendance.objects.bulk_update(changed, ["has_vote", "quorum_excluded"])
    Attendance.objects.bulk_create(
        [
            Attendance(
                meeting=meeting,
                member=row["member"],
                has_vote=row["has_vote"],
                quorum_excluded=row["quorum_excluded"],
                expected=True,
            )
            for mid, row in derived.items()
            if mid not in existing
        ]
    )


def refresh_quorum(meeting):
    """Store the quorum snapshot from the saved attendance (the same rule as the live panel) and
    re-evaluate every vote against the new base."""
    result = rules.compute(meeting.kind, list(meeting.attendance.all()))
    meeting.expected_count = result.expected
    meeting.present_count = result.present
    meeting.voting_expected = result.voting_expected
    meeting.voting_present = result.voting_present
    meeting.is_quorate = result.is_quorate
    meeting.save(
        update_fields=[
            "expected_count",
            "present_count",
            "voting_expected",
            "voting_present",
            "is_quorate",
            "updated_at",
        ]
    )
    voted = list(meeting.resolutions.filter(put_to_vote=True))
    for r in voted:
        r.vote_base = result.voting_expected
        r.passed = rules.resolution_passes(r.votes_for, r.vote_base)
    Resolution.objects.bulk_update(voted, ["vote_base", "passed"])
    return result


def _editable_record(user, meeting):
    meeting = _lock(meeting)
    _require_edit(user, meeting.organization)
    if meeting.status != MeetingStatus.HELD:
        raise ValidationError({"status": _("请先将会议登记为已召开（填写召开日期）。")})
    if meeting.minutes_state not in (MinutesState.DRAFT, MinutesState.RETURNED):
        raise ValidationError({"attendance": _("会议记录已签字，不能再修改出席情况。")})
    return meeting


def attendance_save(*, user, meeting, rows):
    """Save attendance: `rows` is a list of {"member": id or Member, "status", "reason"}; each must
    be someone on the meeting's list. Leave (请假) needs a reason. Refreshes the quorum."""
    with transaction.atomic():
        meeting = _editable_record(user, meeting)
        lines = {a.member_id: a for a in meeting.attendance.select_related("member")}
        errors = {}
        changed = []
        for i, row in enumerate(rows, start=1):
            member = row.get("member")
            mid = getattr(member, "pk", member)
            line = lines.get(mid)
            if line is None:
                _add(errors, "attendance", _("第 %(n)d 行：此人不在本次会议的应到名单中。") % {"n": i})
                continue
            status = row.get("status")
            reason = (row.get("reason") or "").strip()
            if status not in AttendanceStatus.values:
                _add(errors, "attendance", _("%(name)s：请选择出席情况。") % {"name": line.member.name})
                continue
            if status == AttendanceStatus.LEAVE and not reason:
                _add(errors, "attendance", _("%(name)s：请假须填写原因。") % {"name": line.member.name})
                continue
            if status == AttendanceStatus.PRESENT:
                reason = ""
            if (line.status, line.reason) != (status, reason):
                line.status, line.reason = status, reason[:200]
                changed.append(line)
        _raise(errors)
        Attendance.objects.bulk_update(changed, ["status", "reason"])
        result = refresh_quorum(meeting)
        log_action(
            "meetings.attendance.saved",
            meeting,
            data={
                "changed": {str(a.member_id): a.status for a in changed},
                "present": result.present,
                "voting_present": result.voting_present,
                "voting_expected": result.voting_expected,
                "is_quorate": result.is_quorate,
            },
        )
    return result


def attendance_adjust(*, user, meeting, member, add, reason):
    """The secretary adds someone to, or removes someone from, the expected list — with a reason.
    A removed person's line stays (not expected) so the adjustment is visible on the record."""
    with transaction.atomic():
        meeting = _editable_record(user, meeting)
        reason = (reason or "").strip()
        errors = {}
        if not reason:
            _add(errors, "reason", _("增减应到人员须填写原因。"))
        if member is None or not Member.objects.visible_to(user).filter(pk=member.pk).exists():
            _add(errors, "member", _("请选择人员。"))
        _raise(errors)
        line = meeting.attendance.filter(member=member).first()
        if add:
            if line is not None and line.expected:
                raise ValidationError({"member": _("此人已在应到名单中。")})
            has_vote = meeting.kind == MeetingKind.COMMITTEE_MEETING or (
                member.branch_id == meeting.organization_id and _voting_on(member, meeting.held_on)
            )
            if line is None:
                line = Attendance(meeting=meeting, member=member)
            line.expected = True
            line.has_vote = has_vote
            line.quorum_excluded = member.quorum_excluded and meeting.kind != MeetingKind.COMMITTEE_MEETING
            line.adjustment_reason = reason[:200]
            line.save()
        else:
            if line is None or not line.expected:
                raise ValidationError({"member": _("此人不在应到名单中。")})
            line.expected = False
            line.status = AttendanceStatus.ABSENT
            line.adjustment_reason = reason[:200]
            line.save()
        result = refresh_quorum(meeting)
        log_action(
            "meetings.attendance.adjusted",
            meeting,
            data={"member": member.pk, "name": member.name, "added": bool(add), "reason": reason},
        )
    return result


# --- Resolutions and votes ---------------------------------------------------------------------


def resolution_add(*, user, meeting, text, put_to_vote=False):
    with transaction.atomic():
        meeting = _editable_record(user, meeting)
        text = (text or "").strip()
        if not text:
            raise ValidationError({"text": _("请填写决议内容。")})
        position = meeting.resolutions.count() + 1
        resolution = Resolution.objects.create(
            meeting=meeting, position=position, text=text, put_to_vote=bool(put_to_vote)
        )
    return resolution


def resolution_vote(*, user, resolution, votes_for, votes_against, votes_abstain):
    """Record a vote: for / against / abstain. The sum cannot exceed the voting members present;
    the resolution passes when the ayes exceed half of those with a vote who should attend
    (条例§11) — the base is stored with the result. A meeting without a quorum cannot vote."""
    with transaction.atomic():
        meeting = _editable_record(user, resolution.meeting)
        resolution = Resolution.objects.select_for_update().get(pk=resolution.pk)
        errors = {}
        counts = {"votes_for": votes_for, "votes_against": votes_against, "votes_abstain": votes_abstain}
        for name, value in counts.items():
            if value is None or value < 0:
                _add(errors, name, _("请填写不小于 0 的票数。"))
        _raise(errors)
        if meeting.is_quorate is False:
            _add(errors, "votes_for", _("会议未达到法定人数，表决无效。"))
        total = votes_for + votes_against + votes_abstain
        if total > meeting.voting_present:
            _add(
                errors,
                "votes_for",
                _("赞成、反对、弃权合计 %(total)d 票，超过有表决权的实到人数 %(present)d。")
                % {"total": total, "present": meeting.voting_present},
            )
        _raise(errors)
        resolution.put_to_vote = True
        resolution.votes_for, resolution.votes_against, resolution.votes_abstain = (
            votes_for,
            votes_against,
            votes_abstain,
        )
        resolution.vote_base = meeting.voting_expected
        resolution.passed = rules.resolution_passes(votes_for, resolution.vote_base)
        resolution.save()
        log_action(
            "meetings.resolution.voted",
            resolution,
            data={**counts, "vote_base": resolution.vote_base, "passed": resolution.passed},
        )
    return resolution


def resolution_delete(*, user, resolution):
    with transaction.atomic():
        _editable_record(user, resolution.meeting)
        resolution.delete()


# --- Minutes sign-off chain --------------------------------------------------------------------


def _officer_posts(org, on):
    return CommitteePost.objects.current(on=on).filter(organization=org)


def may_sign_as_recorder(user, meeting):
    recorder = meeting.recorder
    if recorder is None or not user.is_authenticated:
        return False
    if recorder.user_id is not None:
        return recorder.user_id == user.pk
    return scope_for(user).can_edit(meeting.organization)


def may_sign_as_secretary(user, meeting):
    if not user.is_authenticated:
        return False
    if meeting.kind == MeetingKind.GROUP_MEETING:
        host = meeting.host
        if host is not None and host.user_id is not None:
            return host.user_id == user.pk
        return scope_for(user).can_edit(meeting.organization)
    today = timezone.localdate()
    posts = list(
        _officer_posts(meeting.organization, today)
        .filter(role__in=(PostRole.SECRETARY, PostRole.DEPUTY_SECRETARY))
        .values_list("role", "member__user_id")
    )
    secretaries = [uid for role, uid in posts if role == PostRole.SECRETARY]
    if secretaries:
        return user.pk in secretaries
    return user.pk in [uid for role, uid in posts if role == PostRole.DEPUTY_SECRETARY]


def sign_problems(meeting):
    errors = {}
    if meeting.status != MeetingStatus.HELD:
        _add(errors, "status", _("会议尚未召开，不能签字。"))
    if not meeting.minutes:
        _add(errors, "minutes", _("会议记录为空，不能签字。"))
    if meeting.is_quorate is False:
        _add(
            errors,
            "attendance",
            _("会议未达到法定人数（有表决权应到 %(base)d 人，实到 %(present)d 人，须超过半数），不能签字。")
            % {"base": meeting.voting_expected, "present": meeting.voting_present},
        )
    if meeting.attendance.filter(expected=True).count() == 0:
        _add(errors, "attendance", _("尚未登记出席情况，不能签字。"))
    over = [
        r.position
        for r in meeting.resolutions.filter(put_to_vote=True)
        if r.votes_for + r.votes_against + r.votes_abstain > meeting.voting_present
    ]
    if over:
        _add(errors, "resolutions", _("第 %(n)s 项决议的票数超过有表决权的实到人数。") % {"n": over[0]})
    return errors


def meeting_sign(*, user, meeting, role):
    """Sign the minutes: first the recorder, then the secretary (the host for a 党小组会), which
    locks them (`locked_at`: from then on compliance counts the meeting). The minutes of an
    inquorate meeting cannot be signed."""
    with transaction.atomic():
        meeting = _lock(meeting)
        now = timezone.now()
        errors = sign_problems(meeting)
        if role == "recorder":
            if not may_sign_as_recorder(user, meeting):
                raise PermissionDenied
            if meeting.minutes_state not in (MinutesState.DRAFT, MinutesState.RETURNED):
                _add(errors, "minutes_state", _("记录人已签字。"))
            _raise(errors)
            meeting.recorder_signed_at, meeting.recorder_signed_by = now, user
            meeting.minutes_state = MinutesState.RECORDER_SIGNED
            on_behalf = meeting.recorder.user_id != user.pk
        elif role == "secretary":
            if not may_sign_as_secretary(user, meeting):
                raise PermissionDenied
            if meeting.minutes_state != MinutesState.RECORDER_SIGNED:
                _add(errors, "minutes_state", _("须先由记录人签字。"))
            elif meeting.recorder_signed_by_id == user.pk:
                _add(errors, "minutes_state", _("记录人与书记（主持人）须由两人分别签字。"))
            _raise(errors)
            meeting.secretary_signed_at, meeting.secretary_signed_by = now, user
            meeting.minutes_state = MinutesState.LOCKED
            meeting.locked_at = now
            host = meeting.host if meeting.kind == MeetingKind.GROUP_MEETING else None
            on_behalf = host is not None and host.user_id != user.pk
        else:
            raise ValidationError({"role": _("签字角色须为记录人或书记。")})
        meeting.save()
        log_action("meetings.minutes.signed", meeting, data={"role": role, "on_behalf": on_behalf})
        if meeting.locked_at:
            log_action("meetings.minutes.locked", meeting)
    return meeting


def meeting_unsign(*, user, meeting):
    """Withdraw the recorder's signature before the secretary signs (to correct the draft)."""
    with transaction.atomic():
        meeting = _lock(meeting)
        if not (may_sign_as_recorder(user, meeting) or may_sign_as_secretary(user, meeting)):
            raise PermissionDenied
        if meeting.minutes_state != MinutesState.RECORDER_SIGNED:
            raise ValidationError({"minutes_state": _("只有待书记签字的记录可以撤回签字。")})
        meeting.recorder_signed_at, meeting.recorder_signed_by = None, None
        meeting.minutes_state = MinutesState.DRAFT
        meeting.save()
        log_action("meetings.minutes.unsigned", meeting)
    return meeting


def may_submit(user, meeting):
    return meeting.minutes_state == MinutesState.LOCKED and scope_for(user).can_edit(meeting.organization)


def minutes_submit(*, user, meeting):
    """Submit locked minutes to the superior for review (调阅)."""
    with transaction.atomic():
        meeting = _lock(meeting)
        _require_edit(user, meeting.organization)
        if meeting.minutes_state != MinutesState.LOCKED:
            raise ValidationError({"minutes_state": _("只有已签字锁定的记录可以报送上级。")})
        meeting.minutes_state = MinutesState.SUBMITTED
        meeting.submitted_at, meeting.submitted_by = timezone.now(), user
        meeting.save()
        log_action("meetings.minutes.submitted", meeting)
    return meeting


def may_review(user, meeting):
    return meeting.minutes_state == MinutesState.SUBMITTED and scope_for(user).supervises_strictly(
        meeting.organization
    )


def minutes_review(*, user, meeting, accept, comment=""):
    """The committee above reviews submitted minutes: accept, or return with a comment — which
    unlocks them for correction (both signatures and `locked_at` are cleared; compliance stops
    counting the meeting until it is signed again)."""
    with transaction.atomic():
        meeting = _lock(meeting)
        if not scope_for(user).supervises_strictly(meeting.organization):
            raise PermissionDenied
        comment = (comment or "").strip()
        errors = {}
        if meeting.minutes_state != MinutesState.SUBMITTED:
            _add(errors, "minutes_state", _("只有已报送的记录可以审阅。"))
        if not accept and not comment:
            _add(errors, "comment", _("退回须填写审阅意见。"))
        _raise(errors)
        meeting.reviewed_at, meeting.reviewed_by, meeting.review_comment = timezone.now(), user, comment
        if accept:
            meeting.minutes_state = MinutesState.ACCEPTED
        else:
            meeting.minutes_state = MinutesState.RETURNED
            meeting.recorder_signed_at = meeting.recorder_signed_by = None
            meeting.secretary_signed_at = meeting.secretary_signed_by = None
            meeting.locked_at = None
            meeting.submitted_at = meeting.submitted_by = None
        meeting.save()
        log_action(
            "meetings.minutes.accepted" if accept else "meetings.minutes.returned",
            meeting,
            data={"comment": comment},
        )
    return meeting


def may_amend(user, meeting):
    return meeting.minutes_state in LOCKED_STATES and scope_for(user).can_edit(meeting.organization)


def minutes_amend(*, user, meeting, field, new_value, reason):
    """A change to locked minutes: kept as an Amendment (the value before and after, and why); the
    meeting shows the amended value, the original stays in the amendment history."""
    with transaction.atomic():
        meeting = _lock(meeting)
        _require_edit(user, meeting.organization)
        errors = {}
        if meeting.minutes_state not in LOCKED_STATES:
            _add(errors, "minutes_state", _("记录尚未锁定，可以直接修改，无须更正。"))
        if field not in AMENDABLE_FIELDS:
            _add(errors, "field", _("请选择要更正的内容（会议主题、议程、地点或会议记录）。"))
        reason = (reason or "").strip()
        if not reason:
            _add(errors, "reason", _("请填写更正原因。"))
        new_value = (new_value or "").strip()
        _raise(errors)
        old_value = getattr(meeting, field)
        if new_value == old_value:
            _add(errors, "new_value", _("更正后的内容与原内容相同。"))
        if field == "topic" and not new_value:
            _add(errors, "new_value", _("会议主题不能为空。"))
        if field in ("topic", "place") and len(new_value) > 200:
            _add(errors, "new_value", _("内容过长（最多 200 字）。"))
        _raise(errors)
        amendment = Amendment.objects.create(
            meeting=meeting, field=field, old_value=old_value, new_value=new_value, reason=reason, author=user
        )
        setattr(meeting, field, new_value)
        meeting.save(update_fields=[field, "updated_at"])
        log_action("meetings.minutes.amended", meeting, data={"field": field, "reason": reason})
    return amendment


# --- Action items --------------------------------------------------------------------------------


def action_item_add(*, user, meeting, text, owner, due_on=None):
    """A follow-up decided at the meeting: owner and due date; it shows on the owner's 我的待办."""
    with transaction.atomic():
        meeting = _lock(meeting)
        _require_edit(user, meeting.organization)
        errors = {}
        text = (text or "").strip()
        if not text:
            _add(errors, "text", _("请填写事项内容。"))
        if owner is None:
            _add(errors, "owner", _("请选择责任人。"))
        elif not Member.objects.visible_to(user).filter(pk=owner.pk).exists():
            _add(errors, "owner", _("请选择本支部（或下级）的党员作为责任人。"))
        if meeting.status == MeetingStatus.CANCELLED:
            _add(errors, "text", _("会议已取消。"))
        if due_on is not None and meeting.held_on and due_on < meeting.held_on:
            _add(errors, "due_on", _("完成期限不能早于会议日期。"))
        _raise(errors)
        item = ActionItem.objects.create(meeting=meeting, text=text[:300], owner=owner, due_on=due_on)
    return item


def may_complete(user, item):
    return (item.owner.user_id == user.pk) or scope_for(user).can_edit(item.meeting.organization)


def action_item_done(*, user, item, note=""):
    """Mark an action item done (its owner, or a branch officer)."""
    with transaction.atomic():
        item = (
            ActionItem.objects.select_for_update(of=("self",))
            .select_related("owner", "meeting__organization")
            .get(pk=item.pk)
        )
        if not may_complete(user, item):
            raise PermissionDenied
        if item.done_at is not None:
            raise ValidationError({"done_at": _("该事项已完成。")})
        item.done_at = timezone.now()
        item.done_note = (note or "").strip()[:300]
        item.save(update_fields=["done_at", "done_note"])
        log_action("meetings.action_item.done", item, data={"note": item.done_note})
    return item


# --- Attachments -------------------------------------------------------------------------------


def attachment_upload(*, user, meeting, file, kind=AttachmentKind.PHOTO):
    """Upload a photo, the scanned sign-in sheet or another document: JPEG, PNG or PDF, at most
    ATTACHMENT_MAX_BYTES, the content matching the extension."""
    with transaction.atomic():
        meeting = _lock(meeting)
        _require_edit(user, meeting.organization)
        errors = {}
        if kind not in AttachmentKind.values:
            _add(errors, "kind", _("请选择附件类型。"))
        if file is None:
            _add(errors, "file", _("请选择文件。"))
            _raise(errors)
        name = Path(file.name or "").name
        suffix = Path(name).suffix.lower()
        if suffix not in ATTACHMENT_TYPES:
            _add(errors, "file", _("只能上传 JPG、PNG 图片或 PDF 文件（%(name)s）。") % {"name": name})
        elif file.size > ATTACHMENT_MAX_BYTES:
            _add(
                errors,
                "file",
                _("文件过大（%(size).1f MB），单个文件不能超过 %(max)d MB。")
                % {"size": file.size / 1048576, "max": ATTACHMENT_MAX_BYTES // 1048576},
            )
        elif file.size == 0:
            _add(errors, "file", _("文件是空的。"))
        else:
            head = file.read(16)
            file.seek(0)
            if not any(head.startswith(magic) for magic in ATTACHMENT_TYPES[suffix]):
                _add(errors, "file", _("文件内容与扩展名不符（%(name)s）。") % {"name": name})
        _raise(errors)
        attachment = Attachment(
            meeting=meeting, kind=kind, original_name=name[:200], size=file.size, uploaded_by=user
        )
        attachment.file.save(name, file, save=False)
        attachment.save()
        log_action("meetings.attachment.uploaded", meeting, data={"name": name, "kind": kind})
    return attachment


def attachment_delete(*, user, attachment):
    with transaction.atomic():
        meeting = _lock(attachment.meeting)
        _require_edit(user, meeting.organization)
        if meeting.is_locked:
            raise ValidationError({"file": _("记录已锁定，附件不能删除。")})
        attachment.file.delete(save=False)
        attachment.delete()


# --- 谈心谈话 ------------------------------------------------------------------------------------


def talk_record(*, user, organization, held_on, pair_type, participants, topic, summary=""):
    """谈心谈话: two or more parties of the branch, date, topic, summary. The pair type is checked
    against the committee posts on that date (支委之间 / 支委与党员之间 / 党员之间)."""
    today = timezone.localdate()
    with transaction.atomic():
        errors = {}
        _check_org(errors, organization)
        _raise(errors)
        _require_edit(user, organization)
        participants = list(participants or [])
        topic = (topic or "").strip()
        if held_on is None:
            _add(errors, "held_on", _("请填写谈话日期。"))
        elif held_on > today:
            _add(errors, "held_on", _("谈话日期不能晚于今天。"))
        if pair_type not in TalkPairType.values:
            _add(errors, "pair_type", _("请选择谈话类型。"))
        if not topic:
            _add(errors, "topic", _("请填写谈话主题。"))
        if len({p.pk for p in participants}) < 2:
            _add(errors, "participants", _("谈心谈话至少须有两人参加。"))
        elif any(p.branch_id != organization.pk for p in participants):
            _add(errors, "participants", _("谈话人员须为本支部党员。"))
        elif held_on is not None and pair_type in TalkPairType.values:
            on_committee = set(
                _officer_posts(organization, held_on)
                .exclude(role=PostRole.GROUP_LEADER)
                .values_list("member_id", flat=True)
            )
            inside = sum(1 for p in participants if p.pk in on_committee)
            outside = len(participants) - inside
            wrong = {
                TalkPairType.COMMITTEE_COMMITTEE: outside > 0,
                TalkPairType.COMMITTEE_MEMBER: inside == 0 or outside == 0,
                TalkPairType.MEMBER_MEMBER: outside < 2,
            }[pair_type]
            if wrong:
                _add(errors, "pair_type", _("谈话类型与参加人员的职务不符（以谈话日期的支委名单为准）。"))
        _raise(errors)
        talk = Talk.objects.create(
            organization=organization,
            held_on=held_on,
            pair_type=pair_type,
            topic=topic[:200],
            summary=(summary or "").strip(),
            recorded_by=user,
        )
        talk.participants.set(participants)
        log_action("meetings.talk.recorded", talk, data={"participants": [p.pk for p in participants]})
    return talk
