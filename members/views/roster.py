"""Roster pages: the list with filters and search, a person's record with timeline, create/edit,
我的档案 (own record, contact details editable) and the audited view of a full ID or phone number."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from audit.models import AuditEntry
from branches.forms import apply_errors
from branches.models import BRANCH_KINDS, Organization, OrgKind
from branches.pagination import CappedPaginator
from branches.scoping import scope_for

from .. import selectors
from ..forms import (
    AssessmentForm,
    CancelProbationForm,
    ContactForm,
    EndForm,
    ExtendProbationForm,
    MemberForm,
    RosterFilterForm,
)
from ..models import (
    CURRENT_STATUSES,
    PIPELINE_STATUSES,
    Assessment,
    DevelopmentStep,
    DuesCategory,
    Gender,
    Member,
    MemberStatus,
)
from ..pipeline import STEPS
from ..services import records

PAGE_SIZE = 50

# What a roster row shows, read as plain values: no model instances, no ciphertexts (the masked
# copies are shown; each encrypted field would cost a decryption per row).
ROSTER_COLUMNS = (
    "pk",
    "name",
    "gender",
    "status",
    "dues_category",
    "is_mobile",
    "is_elderly_infirm",
    "is_hardship",
    "quorum_excluded",
    "quorum_exclusion_reason",
    "id_masked",
    "phone_masked",
    "branch__name",
    "party_group__name",
)
STATUS_BADGES = {MemberStatus.FULL: "text-bg-danger", MemberStatus.PROBATIONARY: "text-bg-warning"}


def visible_member(request, pk):
    """The one way a view fetches a member: outside the user's scope it does not exist."""
    return get_object_or_404(
        Member.objects.visible_to(request.user).select_related("branch", "party_group"), pk=pk
    )


def _within(request):
    """`?within=<org>` narrows a page to a subtree the user can see (a foreign id: nothing)."""
    raw = request.GET.get("within")
    if not raw:
        return None
    try:
        return Organization.objects.visible_to(request.user).get(pk=int(raw))
    except (ValueError, Organization.DoesNotExist):
        raise Http404 from None


@login_required
def roster(request):
    scope = scope_for(request.user)
    if scope.home_role in ("member", "none"):
        return redirect("members:mine")
    within = _within(request)
    manageable = list(
        Organization.objects.filter(scope.editable_q(), kind__in=BRANCH_KINDS).order_by("path")[:2]
    )
    single_branch = len(manageable) == 1 and not scope.staff_paths
    # The party-group filter belongs to one branch: the one narrowed to, or a secretary's own (a
    # committee's whole subtree would put thousands of groups in one <select>).
    group_home = within if within is not None and within.kind in BRANCH_KINDS else None
    if group_home is None and single_branch:
        group_home = manageable[0]
    groups = Organization.objects.none()
    if group_home is not None:
        groups = Organization.objects.filter(path__startswith=group_home.path, kind=OrgKind.PARTY_GROUP)
    form = RosterFilterForm(request.GET or None, groups=groups.order_by("path"))
    filters = {}
    if form.is_valid():
        filters = {k: v for k, v in form.cleaned_data.items() if k != "within"}
    qs = selectors.roster(Member.objects.visible_to(request.user), within=within, **filters)
    # A city's roster is 300,000 rows: the total is counted up to CappedPaginator's cap.
    qs = qs.order_by("branch__path", "name", "pk").values(*ROSTER_COLUMNS)
    page = CappedPaginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    show_branch = not single_branch
    page.object_list = _roster_rows(page.object_list, show_branch=show_branch)
    rows_html = _roster_rows_html(page.object_list, show_branch=show_branch)
    return render(
        request,
        "members/roster.html",
        {
            "page": page,
            "form": form,
            "within": within,
            "filtered": any(
                request.GET.get(k) for k in ("q", "status", "dues_category", "party_group", "flag")
            ),
            "show_branch": show_branch,
            "rows_html": rows_html,
            "can_add": bool(manageable),
            "home_branch": manageable[0] if single_branch else None,
            "group_filter": group_home is not None,
            "today": timezone.localdate(),
        },
    )


def _roster_rows(rows, *, show_branch):
    """The page's members as display rows: each choice label translated once per page, not once
    per row; the links built without a URL lookup per row; the empty cells' "—" and the line shown
    under the name on a phone (gender · branch · party group · last four of the 身份证号) made here."""
    detail = reverse("members:detail", args=[0]).replace("/0/", "/{}/")
    gender, status, dues = ({c.value: str(c.label) for c in e} for e in (Gender, MemberStatus, DuesCategory))
    rows = list(rows)
    for row in rows:
        group, id_masked = row["party_group__name"], row["id_masked"]
        row["url"] = detail.format(row["pk"])
        row["flagged"] = (
            row["is_mobile"] or row["is_elderly_infirm"] or row["is_hardship"] or row["quorum_excluded"]
        )
        row["gender_label"] = gender.get(row["gender"], row["gender"])
        row["status_label"] = status.get(row["status"], row["status"])
        row["status_badge"] = STATUS_BADGES.get(
            row["status"], "text-bg-primary" if row["status"] in PIPELINE_STATUSES else "text-bg-secondary"
        )
        row["dues_category_label"] = dues.get(row["dues_category"], row["dues_category"])
        row["group_cell"] = group or "—"
        row["id_cell"] = id_masked or "—"
        row["phone_cell"] = row["phone_masked"] or "—"
        extra = (row["branch__name"] if show_branch else None, group, id_masked[-4:] if id_masked else None)
        row["phone_line"] = row["gender_label"] + "".join(f" · {part}" for part in extra if part is not None)
    return rows


def _roster_rows_html(rows, *, show_branch):
    """The table's rows written here as the template wrote them, every value escaped as
    autoescape does: fifty rows of fourteen variables and four conditions cost the roster page
    more to render than its queries (in-process at tier M, 9.2 ms of CPU per page)."""
    badges = (
        ("is_mobile", '<span class="badge text-bg-info">{}</span>', _("流动")),
        ("is_elderly_infirm", '<span class="badge text-bg-light">{}</span>', _("老弱病残")),
        ("is_hardship", '<span class="badge text-bg-light">{}</span>', _("困难")),
    )
    badges = [(field, html.format(escape(label))) for field, html, label in badges]
    excluded = '<span class="badge text-bg-secondary" title="{}">' + escape(_("不计应到")) + "</span>"
    out = []
    for r in rows:
        flags = ""
        if r["flagged"]:
            flags = "".join(html for field, html in badges if r[field])
            if r["quorum_excluded"]:
                flags += excluded.format(escape(r["quorum_exclusion_reason"]))
        branch = f'<td class="pa-hide-sm">{escape(r["branch__name"])}</td>' if show_branch else ""
        out.append(
            f'<tr><td><a href="{escape(r["url"])}">{escape(r["name"])}</a>{flags}'
            f'<div class="small text-secondary d-sm-none">{escape(r["phone_line"])}</div></td>'
            f'<td class="pa-hide-sm">{escape(r["gender_label"])}</td>'
            f'<td><span class="badge {r["status_badge"]}">{escape(r["status_label"])}</span></td>{branch}'
            f'<td class="pa-hide-sm">{escape(r["group_cell"])}</td>'
            f'<td class="pa-hide-sm font-monospace small">{escape(r["id_cell"])}</td>'
            f'<td class="pa-hide-sm font-monospace small">{escape(r["phone_cell"])}</td>'
            f'<td class="pa-hide-sm">{escape(r["dues_category_label"])}</td></tr>'
        )
    return mark_safe("\n".join(out))


@login_required
def detail(request, pk):
    member = visible_member(request, pk)
    return render(request, "members/detail.html", _detail_context(request, member))


def _detail_context(request, member):
    today = timezone.localdate()
    can_manage = records.can_manage(request.user, member.branch)
    done = {s.step_no: s for s in DevelopmentStep.objects.filter(member=member).select_related("recorded_by")}
    selectors.annotate_schedule([member], today)
    stages = []
    for step in STEPS:
        if not stages or stages[-1]["stage"] != step.stage:
            stages.append({"stage": step.stage, "steps": []})
        stages[-1]["steps"].append({"def": step, "record": done.get(step.no)})
    show_pipeline = bool(done) or member.next_step_no is not None
    return {
        "member": member,
        "can_manage": can_manage,
        "can_reveal": records.can_reveal(request.user, member),
        "stages": stages if show_pipeline else [],
        "timeline": selectors.timeline(member),
        "assessments": Assessment.objects.filter(member=member)[:20],
        "assessment_form": AssessmentForm(initial={"done_on": today}) if can_manage else None,
        "extend_form": ExtendProbationForm()
        if can_manage and member.status == MemberStatus.PROBATIONARY
        else None,
        "cancel_form": CancelProbationForm()
        if can_manage and member.status == MemberStatus.PROBATIONARY
        else None,
        "end_form": EndForm(initial={"on": today})
        if can_manage and member.status in CURRENT_STATUSES
        else None,
        "history": AuditEntry.objects.for_object(member)[:20] if can_manage else [],
        "age": member.age(today),
        "party_age": member.party_age(today),
        "today": today,
    }


@login_required
def create(request):
    scope = scope_for(request.user)
    branch = None
    if request.GET.get("branch"):
        branch = get_object_or_404(
            Organization.objects.filter(scope.editable_q(), kind__in=BRANCH_KINDS), pk=request.GET["branch"]
        )
    form = MemberForm(request.POST or None, user=request.user, branch=branch)
    if not form.fields["branch"].queryset.exists():
        raise PermissionDenied
    if branch is None and form.fields["branch"].queryset.count() == 1:
        form.fields["branch"].initial = form.fields["branch"].queryset.get().pk
    if request.method == "POST" and form.is_valid():
        try:
            member = records.member_create(
                user=request.user,
                branch=form.cleaned_data["branch"],
                status=form.cleaned_data["status"],
                **form.changed_values(),
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已建立 %(name)s 的档案。") % {"name": member.name})
            return redirect("members:detail", pk=member.pk)
    return render(request, "members/form.html", {"form": form, "title": _("新增党员/入党申请人")})


@login_required
def edit(request, pk):
    member = visible_member(request, pk)
    if not records.can_manage(request.user, member.branch):
        raise PermissionDenied
    form = MemberForm(request.POST or None, instance=member, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            records.member_update(user=request.user, member=member, **form.changed_values())
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已保存。"))
            return redirect("members:detail", pk=member.pk)
    return render(
        request,
        "members/form.html",
        {"form": form, "member": member, "title": _("编辑 %(name)s 的档案") % {"name": member.name}},
    )


@login_required
def mine(request):
    """我的档案: the member's own record, read-only except the contact details."""
    member = getattr(request.user, "member", None)
    if member is None:
        raise Http404
    member = visible_member(request, member.pk)
    form = ContactForm(request.POST or None)
    form.fields["phone"].help_text = _("当前：%(masked)s。填写新号码后保存。") % {
        "masked": member.phone_masked or "—"
    }
    if request.method == "POST" and form.is_valid() and not form.cleaned_data["phone"].strip():
        form.add_error("phone", _("请填写新的手机号码。"))
    if request.method == "POST" and form.is_valid():
        try:
            records.member_contact_update(user=request.user, member=member, phone=form.cleaned_data["phone"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("联系方式已更新。"))
            return redirect("members:mine")
    context = _detail_context(request, member)
    context.update(contact_form=form, mine=True)
    return render(request, "members/detail.html", context)


@login_required
@require_POST
def reveal(request, pk, field):
    member = visible_member(request, pk)
    if field not in ("id_number", "phone"):
        raise Http404
    value = records.member_reveal(user=request.user, member=member, field=field)
    return render(request, "members/_revealed.html", {"value": value or "—"})
