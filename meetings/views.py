"""三会一课 pages: the list with filters, the month calendar, plan and record forms (attendance grid
with the live quorum), the meeting page with its sign-off actions, the printable 会议记录, the
committee's review queue, 谈心谈话 and 我的待办. Views are thin: reads through selectors and
`visible_to`, writes through meetings.services."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from accounts.redirects import next_or
from audit.models import AuditEntry
from branches.forms import apply_errors
from branches.models import Organization
from branches.scoping import scope_for

from . import quorum as rules
from . import selectors, services
from .forms import (
    ActionItemForm,
    AdjustForm,
    AmendForm,
    AttachmentForm,
    MeetingListFilterForm,
    PlanForm,
    RecordForm,
    ResolutionForm,
    ReviewForm,
    TalkForm,
    VoteForm,
    branches_for,
)
from .models import (
    ActionItem,
    Attachment,
    AttendanceStatus,
    Meeting,
    MeetingStatus,
    MinutesState,
    Resolution,
    Talk,
    TalkPairType,
)

PAGE_SIZE = 30


def visible_meeting(request, pk):
    """The one way a view fetches a meeting: outside the user's scope it does not exist."""
    return get_object_or_404(
        Meeting.objects.visible_to(request.user).select_related(
            "organization", "party_group", "host", "recorder", "lecturer"
        ),
        pk=pk,
    )


def _within(request):
    raw = request.GET.get("within")
    if not raw:
        return None
    try:
        return Organization.objects.visible_to(request.user).get(pk=int(raw))
    except (ValueError, Organization.DoesNotExist):
        raise Http404 from None


def _fail(request, exc):
    for message in exc.messages:
        messages.error(request, message)


def _form_fail(request, form):
    """A form posted from a page that redirects back: each error flashed with its field's label."""
    for name, errors in form.errors.items():
        field = form.fields.get(name)
        for message in errors:
            if field is not None:
                message = _("%(field)s：%(message)s") % {"field": field.label, "message": message}
            messages.error(request, message)


@login_required
def meeting_list(request):
    within = _within(request)
    form = MeetingListFilterForm(request.GET or None)
    filters = {}
    if form.is_valid():
        filters = {k: v for k, v in form.cleaned_data.items() if k != "within" and v}
    qs = selectors.meeting_list(Meeting.objects.visible_to(request.user), within=within, **filters)
    qs = selectors.with_list_facts(qs).order_by(Coalesce("held_on", "planned_on").desc(), "-pk")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    branches = list(branches_for(request.user)[:2])
    return render(
        request,
        "meetings/list.html",
        {
            "page": page,
            "form": form,
            "within": within,
            "can_add": bool(branches),
            "show_branch": len(branches) != 1 or bool(scope_for(request.user).staff_paths),
            "filtered": any(request.GET.get(k) for k in form.fields),
        },
    )


def _chosen_branch(request):
    """The branch picked on a new plan/record form (`?branch=` or the posted organisation), among
    those the user may write to; anything else is ignored (the form then asks for a branch)."""
    raw = request.POST.get("organization") or request.GET.get("branch")
    if not raw or not str(raw).isdigit():
        return None
    return branches_for(request.user).filter(pk=int(raw)).first()


def _parse_month(raw, today):
    try:
        year, month = (int(x) for x in raw.split("-"))
        return datetime.date(year, month, 1)
    except (AttributeError, ValueError):
        return today.replace(day=1)


@login_required
def calendar_view(request):
    today = timezone.localdate()
    within = _within(request)
    first = _parse_month(request.GET.get("month"), today)
    qs = Meeting.objects.visible_to(request.user).exclude(status=MeetingStatus.CANCELLED)
    if within is not None:
        qs = qs.filter(organization__path__startswith=within.path)
    weeks = selectors.calendar_weeks(qs, first.year, first.month)
    previous = (first - datetime.timedelta(days=1)).replace(day=1)
    following = (first + datetime.timedelta(days=32)).replace(day=1)
    agenda = [(day, items) for week in weeks for day, items, inside in week if inside and items]
    return render(
        request,
        "meetings/calendar.html",
        {
            "weeks": weeks,
            "agenda": agenda,
            "first": first,
            "previous": previous,
            "following": following,
            "today": today,
            "within": within,
            "can_add": branches_for(request.user).exists(),
        },
    )


@login_required
def plan(request, pk=None):
    meeting = visible_meeting(request, pk) if pk else None
    if meeting is not None and not services.can_edit(request.user, meeting):
        raise PermissionDenied
    initial = {}
    if meeting is None and request.GET.get("date"):
        initial["planned_on"] = request.GET["date"]
    branch = _chosen_branch(request) if meeting is None else None
    form = PlanForm(request.POST or None, instance=meeting, user=request.user, branch=branch, initial=initial)
    if meeting is None and not form.fields["organization"].queryset.exists():
        raise PermissionDenied
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        organization = data.pop("organization", None)
        kind = data.pop("kind")
        try:
            meeting = services.meeting_plan(
                user=request.user, meeting=meeting, organization=organization, kind=kind, **data
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("会议计划已保存。"))
            return redirect("meetings:detail", pk=meeting.pk)
    return render(
        request,
        "meetings/plan_form.html",
        {"form": form, "meeting": meeting, "title": _("修改会议计划") if meeting else _("计划会议")},
    )


def _attendance_rows(meeting, data=None):
    """The grid: each line with its posted (or saved) status and reason."""
    lines = list(meeting.attendance.select_related("member").order_by("-expected", "member__name", "pk"))
    for line in lines:
        if data is not None and line.expected:
            line.status = data.get(f"status_{line.member_id}", line.status)
            line.reason = data.get(f"reason_{line.member_id}", line.reason)
    return lines


@login_required
def record(request, pk=None):
    """Record a meeting as held: the meeting's facts and, once it has its expected list, the
    attendance grid (one save for both; all or nothing)."""
    meeting = visible_meeting(request, pk) if pk else None
    if meeting is not None:
        if not services.can_edit(request.user, meeting):
            raise PermissionDenied
        if meeting.is_locked:
            messages.info(request, _("会议记录已签字锁定，修改请使用“更正”。"))
            return redirect("meetings:detail", pk=meeting.pk)
    initial = {"held_on": timezone.localdate()} if meeting is None else {}
    if meeting is not None and meeting.held_on is None and meeting.planned_on:
        initial["held_on"] = min(meeting.planned_on, timezone.localdate())
    branch = _chosen_branch(request) if meeting is None else None
    form = RecordForm(
        request.POST or None, instance=meeting, user=request.user, branch=branch, initial=initial
    )
    if meeting is None and not form.fields["organization"].queryset.exists():
        raise PermissionDenied
    lines = _attendance_rows(meeting, request.POST if request.method == "POST" else None) if meeting else []
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        organization = data.pop("organization", None)
        kind = data.pop("kind")
        try:
            with transaction.atomic():
                saved = services.meeting_record(
                    user=request.user, meeting=meeting, organization=organization, kind=kind, **data
                )
                on_list = set(saved.attendance.filter(expected=True).values_list("member_id", flat=True))
                rows = [
                    {"member": line.member_id, "status": line.status, "reason": line.reason}
                    for line in lines
                    if line.member_id in on_list
                ]
                if rows:
                    services.attendance_save(user=request.user, meeting=saved, rows=rows)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            if meeting is None or not lines:
                messages.success(request, _("会议已登记，请填写出席情况。"))
                return redirect("meetings:record", pk=saved.pk)
            messages.success(request, _("会议记录已保存。"))
            return redirect("meetings:detail", pk=saved.pk)
    live = rules.compute(meeting.kind, lines) if meeting else None
    return render(
        request,
        "meetings/record_form.html",
        {
            "form": form,
            "meeting": meeting,
            "lines": lines,
            "quorum": live,
            "statuses": AttendanceStatus.choices,
            "adjust_form": AdjustForm(user=request.user, meeting=meeting) if meeting and lines else None,
            "title": _("填写会议记录") if meeting else _("补录会议"),
        },
    )


@login_required
@require_POST
def quorum_preview(request, pk):
    """The live quorum panel (htmx): the posted statuses through the same rule the service uses."""
    meeting = visible_meeting(request, pk)
    if not services.can_edit(request.user, meeting):
        raise PermissionDenied
    lines = _attendance_rows(meeting, request.POST)
    return render(
        request, "meetings/_quorum.html", {"quorum": rules.compute(meeting.kind, lines), "meeting": meeting}
    )


@login_required
@require_POST
def attendance_adjust(request, pk):
    meeting = visible_meeting(request, pk)
    add = request.POST.get("action") != "remove"
    form = AdjustForm(request.POST, user=request.user, meeting=meeting)
    if add and not form.is_valid():
        _form_fail(request, form)
        return redirect("meetings:record", pk=meeting.pk)
    member = (
        form.cleaned_data["member"]
        if add
        else meeting.attendance.filter(member_id=request.POST.get("member")).select_related("member").first()
    )
    if not add:
        member = member.member if member else None
    try:
        services.attendance_adjust(
            user=request.user, meeting=meeting, member=member, add=add, reason=request.POST.get("reason", "")
        )
    except ValidationError as exc:
        _fail(request, exc)
    else:
        messages.success(request, _("应到名单已调整。"))
    return redirect("meetings:record", pk=meeting.pk)


SIGNOFF_LABELS = {
    "meetings.minutes.signed": _lazy("签字"),
    "meetings.minutes.unsigned": _lazy("撤回签字"),
    "meetings.minutes.locked": _lazy("记录锁定"),
    "meetings.minutes.submitted": _lazy("报送上级"),
    "meetings.minutes.accepted": _lazy("审阅通过"),
    "meetings.minutes.returned": _lazy("退回修改"),
    "meetings.minutes.amended": _lazy("更正记录"),
}
ROLE_LABELS = {"recorder": _lazy("记录人"), "secretary": _lazy("书记/主持人")}


ATTENDANCE_BADGES = {
    AttendanceStatus.PRESENT: "text-bg-success",
    AttendanceStatus.LATE: "text-bg-warning",
    AttendanceStatus.LEAVE: "text-bg-secondary",
}
ATTENDANCE_LABELS = dict(AttendanceStatus.choices)


def _attendance_list(meeting):
    """The attendance list as plain rows with their status label and badge: a 党员大会 lists 50 and
    more people, and a pair of model instances per row cost more than the rest of the list. Each
    status label is translated once, not once per row."""
    labels = {status: str(label) for status, label in ATTENDANCE_LABELS.items()}
    rows = list(
        meeting.attendance.order_by("-expected", "member__name").values(
            "status", "reason", "expected", "has_vote", "quorum_excluded", "adjustment_reason", "member__name"
        )
    )
    for row in rows:
        row["label"] = labels.get(row["status"], row["status"])
        row["badge"] = ATTENDANCE_BADGES.get(row["status"], "text-bg-danger")
    return rows


def _signoff_history(meeting):
    """Every signature, submission, review and amendment, oldest first (returned minutes lose
    their signatures on the meeting row; the trail keeps them)."""
    entries = list(
        AuditEntry.objects.for_object(meeting)
        .filter(action__startswith="meetings.minutes.")
        .select_related(None)  # shown by actor_repr: no join to the users
        .order_by("at", "pk")
    )
    for e in entries:
        e.label = SIGNOFF_LABELS.get(e.action, e.action)
        e.role_label = ROLE_LABELS.get((e.data or {}).get("role"), "")
    return entries


@login_required
def detail(request, pk):
    meeting = visible_meeting(request, pk)
    user = request.user
    editable = services.can_edit(user, meeting)
    draft = meeting.status == MeetingStatus.HELD and meeting.minutes_state in (
        MinutesState.DRAFT,
        MinutesState.RETURNED,
    )
    may_review, may_amend = services.may_review(user, meeting), services.may_amend(user, meeting)
    # One meeting's rows: ordered without the models' leading "meeting" (a join for nothing).
    context = {
        "meeting": meeting,
        "attendance": _attendance_list(meeting),
        "resolutions": list(meeting.resolutions.order_by("position", "pk")),
        "action_items": list(
            meeting.action_items.select_related("owner").only("text", "due_on", "done_at", "owner__name")
        ),
        "attachments": list(meeting.attachments.order_by("pk")),
        "amendments": list(meeting.amendments.select_related("author").order_by("created_at", "pk")),
        "history": list(_signoff_history(meeting)),
        "can_edit": editable,
        "draft": draft,
        "may_sign_recorder": draft and services.may_sign_as_recorder(user, meeting),
        "may_sign_secretary": meeting.minutes_state == MinutesState.RECORDER_SIGNED
        and services.may_sign_as_secretary(user, meeting),
        "may_unsign": meeting.minutes_state == MinutesState.RECORDER_SIGNED
        and (services.may_sign_as_recorder(user, meeting) or services.may_sign_as_secretary(user, meeting)),
        "may_submit": services.may_submit(user, meeting),
        "may_review": may_review,
        "may_amend": may_amend,
        "may_cancel": editable and meeting.status == MeetingStatus.PLANNED,
        "resolution_form": ResolutionForm() if editable and draft else None,
        "vote_form": VoteForm() if editable and draft else None,
        "action_form": ActionItemForm(user=user, meeting=meeting)
        if editable and meeting.status != MeetingStatus.CANCELLED
        else None,
        "attachment_form": AttachmentForm() if editable else None,
        "review_form": ReviewForm() if may_review else None,
        "amend_form": AmendForm() if may_amend else None,
        "problems": services.sign_problems(meeting) if draft else {},
    }
    return render(request, "meetings/detail.html", context)


@login_required
def print_minutes(request, pk):
    meeting = visible_meeting(request, pk)
    attendance = list(meeting.attendance.select_related("member").order_by("member__name"))
    return render(
        request,
        "meetings/print.html",
        {
            "meeting": meeting,
            "present": [a for a in attendance if a.expected and a.attended],
            "missing": [a for a in attendance if a.expected and not a.attended],
            "removed": [a for a in attendance if not a.expected],
            "resolutions": list(meeting.resolutions.all()),
            "action_items": list(meeting.action_items.select_related("owner")),
            "amendments": list(meeting.amendments.select_related("author")),
            "recorder_on_behalf": bool(meeting.recorder_signed_by_id)
            and meeting.recorder is not None
            and meeting.recorder.user_id != meeting.recorder_signed_by_id,
            "signers": {
                "recorder": meeting.recorder_signed_by,
                "secretary": meeting.secretary_signed_by,
                "reviewer": meeting.reviewed_by,
            },
        },
    )


def _post_action(request, pk, action):
    meeting = visible_meeting(request, pk)
    try:
        action(meeting)
    except ValidationError as exc:
        _fail(request, exc)
        return redirect("meetings:detail", pk=meeting.pk), False
    return redirect("meetings:detail", pk=meeting.pk), True


@login_required
@require_POST
def sign(request, pk, role):
    if role not in ("recorder", "secretary"):
        raise Http404
    response, ok = _post_action(
        request, pk, lambda m: services.meeting_sign(user=request.user, meeting=m, role=role)
    )
    if ok:
        messages.success(request, _("已签字。") if role == "recorder" else _("已签字，会议记录已锁定。"))
    return response


@login_required
@require_POST
def unsign(request, pk):
    response, ok = _post_action(request, pk, lambda m: services.meeting_unsign(user=request.user, meeting=m))
    if ok:
        messages.success(request, _("已撤回记录人签字，可以修改记录。"))
    return response


@login_required
@require_POST
def submit(request, pk):
    response, ok = _post_action(request, pk, lambda m: services.minutes_submit(user=request.user, meeting=m))
    if ok:
        messages.success(request, _("已报送上级党组织审阅。"))
    return response


@login_required
@require_POST
def review(request, pk):
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择审阅结果。"))
        return redirect("meetings:detail", pk=pk)
    accept = form.cleaned_data["decision"] == "accept"
    response, ok = _post_action(
        request,
        pk,
        lambda m: services.minutes_review(
            user=request.user, meeting=m, accept=accept, comment=form.cleaned_data["comment"]
        ),
    )
    if ok:
        messages.success(request, _("审阅通过。") if accept else _("已退回修改。"))
    return response


@login_required
@require_POST
def amend(request, pk):
    form = AmendForm(request.POST)
    if not form.is_valid():
        _form_fail(request, form)
        return redirect("meetings:detail", pk=pk)
    response, ok = _post_action(
        request, pk, lambda m: services.minutes_amend(user=request.user, meeting=m, **form.cleaned_data)
    )
    if ok:
        messages.success(request, _("更正已记录。"))
    return response


@login_required
@require_POST
def cancel(request, pk):
    response, ok = _post_action(
        request,
        pk,
        lambda m: services.meeting_cancel(
            user=request.user, meeting=m, reason=request.POST.get("reason", "")
        ),
    )
    if ok:
        messages.success(request, _("会议已取消。"))
    return response


@login_required
@require_POST
def resolution_add(request, pk):
    form = ResolutionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写决议内容。"))
        return redirect("meetings:detail", pk=pk)
    response, ok = _post_action(
        request, pk, lambda m: services.resolution_add(user=request.user, meeting=m, **form.cleaned_data)
    )
    if ok:
        messages.success(request, _("决议已添加。"))
    return response


def _visible_resolution(request, rid):
    return get_object_or_404(
        Resolution.objects.filter(meeting__in=Meeting.objects.visible_to(request.user)).select_related(
            "meeting__organization"
        ),
        pk=rid,
    )


@login_required
@require_POST
def resolution_vote(request, rid):
    resolution = _visible_resolution(request, rid)
    form = VoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写赞成、反对、弃权票数（不小于 0 的整数）。"))
    else:
        try:
            services.resolution_vote(user=request.user, resolution=resolution, **form.cleaned_data)
        except ValidationError as exc:
            _fail(request, exc)
        else:
            messages.success(request, _("表决结果已记录。"))
    return redirect("meetings:detail", pk=resolution.meeting_id)


@login_required
@require_POST
def resolution_delete(request, rid):
    resolution = _visible_resolution(request, rid)
    try:
        services.resolution_delete(user=request.user, resolution=resolution)
    except ValidationError as exc:
        _fail(request, exc)
    return redirect("meetings:detail", pk=resolution.meeting_id)


@login_required
@require_POST
def action_add(request, pk):
    meeting = visible_meeting(request, pk)
    form = ActionItemForm(request.POST, user=request.user, meeting=meeting)
    if not form.is_valid():
        _form_fail(request, form)
    else:
        try:
            services.action_item_add(user=request.user, meeting=meeting, **form.cleaned_data)
        except ValidationError as exc:
            _fail(request, exc)
        else:
            messages.success(request, _("待办事项已添加。"))
    return redirect("meetings:detail", pk=meeting.pk)


@login_required
@require_POST
def action_done(request, item_id):
    item = get_object_or_404(
        ActionItem.objects.visible_to(request.user).select_related("owner", "meeting__organization"),
        pk=item_id,
    )
    try:
        services.action_item_done(user=request.user, item=item, note=request.POST.get("note", ""))
    except ValidationError as exc:
        _fail(request, exc)
    else:
        messages.success(request, _("已标记完成。"))
    return redirect(next_or(request, reverse("meetings:todo")))


@login_required
@require_POST
def attachment_upload(request, pk):
    meeting = visible_meeting(request, pk)
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        _form_fail(request, form)
    else:
        try:
            services.attachment_upload(user=request.user, meeting=meeting, **form.cleaned_data)
        except ValidationError as exc:
            _fail(request, exc)
        else:
            messages.success(request, _("附件已上传。"))
    return redirect("meetings:detail", pk=meeting.pk)


@login_required
@require_POST
def attachment_delete(request, aid):
    attachment = get_object_or_404(
        Attachment.objects.filter(meeting__in=Meeting.objects.visible_to(request.user)), pk=aid
    )
    try:
        services.attachment_delete(user=request.user, attachment=attachment)
    except ValidationError as exc:
        _fail(request, exc)
    return redirect("meetings:detail", pk=attachment.meeting_id)


@login_required
def attachment_file(request, aid):
    """Attachments are served only to those who may see the meeting."""
    from django.http import FileResponse

    attachment = get_object_or_404(
        Attachment.objects.filter(meeting__in=Meeting.objects.visible_to(request.user)), pk=aid
    )
    return FileResponse(attachment.file.open("rb"), filename=attachment.original_name)


@login_required
def review_queue(request):
    """待审阅记录: minutes submitted to the user's committee, oldest first."""
    scope = scope_for(request.user)
    if not (scope.is_admin or scope.staff_paths):
        raise PermissionDenied
    qs = selectors.with_list_facts(selectors.review_queue(request.user)).order_by("submitted_at", "pk")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "meetings/review_queue.html", {"page": page})


@login_required
def todo(request):
    """我的待办: the user's open action items (and the last few done)."""
    items = selectors.open_action_items(request.user)
    done = (
        ActionItem.objects.filter(owner__user=request.user, done_at__isnull=False)
        .select_related("meeting__organization")
        .order_by("-done_at")[:10]
    )
    return render(
        request, "meetings/todo.html", {"items": items, "done": done, "today": timezone.localdate()}
    )


@login_required
def talk_list(request):
    qs = Talk.objects.visible_to(request.user).select_related("organization", "recorded_by")
    pair_type = request.GET.get("pair_type", "")
    if pair_type in TalkPairType.values:
        qs = qs.filter(pair_type=pair_type)
    year = request.GET.get("year", "")
    if year.isdigit():
        qs = qs.filter(held_on__year=int(year))
    qs = qs.prefetch_related("participants").order_by("-held_on", "-pk")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "meetings/talk_list.html",
        {
            "page": page,
            "pair_types": TalkPairType.choices,
            "pair_type": pair_type,
            "year": year,
            "can_add": branches_for(request.user).exists(),
        },
    )


@login_required
def talk_create(request):
    branch = None
    if request.GET.get("branch") or request.POST.get("organization"):
        raw = request.POST.get("organization") or request.GET.get("branch")
        branch = get_object_or_404(branches_for(request.user), pk=raw) if str(raw).isdigit() else None
    form = TalkForm(
        request.POST or None, user=request.user, branch=branch, initial={"held_on": timezone.localdate()}
    )
    if not form.fields["organization"].queryset.exists():
        raise PermissionDenied
    if request.method == "POST" and form.is_valid():
        try:
            services.talk_record(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("谈心谈话已记录。"))
            return redirect("meetings:talks")
    return render(request, "meetings/talk_form.html", {"form": form})
