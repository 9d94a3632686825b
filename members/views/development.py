"""Development pages: upcoming and overdue steps (branch and committee alike, scoped by
visible_to), recording the next step, assessments, and extending or cancelling a probation."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from branches.forms import apply_errors
from branches.scoping import scope_for

from .. import selectors
from ..forms import (
    AssessmentForm,
    CancelProbationForm,
    EndForm,
    ExtendProbationForm,
    StepForm,
    UpcomingFilterForm,
)
from ..models import Member
from ..services import development, records, status
from .roster import PAGE_SIZE, _detail_context, _within, visible_member


@login_required
def upcoming(request):
    """发展党员 — upcoming and overdue steps of everyone in the pipeline the user can see."""
    scope = scope_for(request.user)
    if scope.home_role in ("member", "none"):
        raise PermissionDenied
    today = timezone.localdate()
    within = _within(request)
    form = UpcomingFilterForm(request.GET or None)
    filters = {"state": "", "q": ""}
    if form.is_valid():
        filters = {"state": form.cleaned_data["state"], "q": form.cleaned_data["q"]}
    base = Member.objects.visible_to(request.user)
    qs = selectors.upcoming(base, within=within, today=today, **filters)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    selectors.annotate_schedule(page.object_list, today)
    counts = selectors.upcoming_counts(base, within=within, today=today)
    return render(
        request,
        "members/development.html",
        {
            "page": page,
            "form": form,
            "within": within,
            "counts": counts,
            "show_branch": bool(scope.staff_paths) or scope.is_admin or len(scope.officer_paths) > 1,
            "filtered": bool(filters["state"] or filters["q"]),
        },
    )


@login_required
def step_create(request, pk):
    member = visible_member(request, pk)
    if not records.can_manage(request.user, member.branch):
        raise PermissionDenied
    if member.next_step_no is None:
        messages.info(request, _("%(name)s当前不在发展流程中。") % {"name": member.name})
        return redirect("members:detail", pk=member.pk)
    form = StepForm(
        request.POST or None,
        request.FILES or None,
        member=member,
        step_no=member.next_step_no,
        initial={"done_on": timezone.localdate()},
    )
    warnings = []
    if request.method == "POST" and form.is_valid():
        try:
            development.step_record(
                user=request.user,
                member=member,
                step_no=member.next_step_no,
                done_on=form.cleaned_data["done_on"],
                detail=form.detail(),
                approval_ref=form.cleaned_data["approval_ref"],
                note=form.cleaned_data["note"],
                evidence=form.cleaned_data["evidence"],
                confirm_warnings=form.cleaned_data["confirm_warnings"],
            )
        except development.RuleWarnings as exc:
            warnings = exc.warnings
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已登记：%(step)s。") % {"step": form.step.name})
            return redirect("members:detail", pk=member.pk)
    if not warnings:
        form.fields.pop("confirm_warnings")
    return render(
        request,
        "members/step_form.html",
        {"form": form, "member": member, "step": form.step, "warnings": warnings},
    )


def _detail_with_errors(request, member, **forms):
    context = _detail_context(request, member)
    context.update(forms)
    return render(request, "members/detail.html", context, status=400)


@login_required
@require_POST
def assessment_create(request, pk):
    return _member_decision(
        request,
        pk,
        form_class=AssessmentForm,
        service=development.assessment_record,
        form_name="assessment_form",
        done=_("已登记。"),
    )


def _member_decision(request, pk, *, form_class, service, form_name, done):
    """A decision taken on a person's page (extend or cancel a probation, record that they leave):
    the form on success, the page again with its field errors otherwise."""
    member = visible_member(request, pk)
    if not records.can_manage(request.user, member.branch):
        raise PermissionDenied
    form = form_class(request.POST)
    if form.is_valid():
        try:
            service(user=request.user, member=member, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, done)
            return redirect("members:detail", pk=member.pk)
    return _detail_with_errors(request, member, **{form_name: form})


@login_required
@require_POST
def probation_extend(request, pk):
    return _member_decision(
        request,
        pk,
        form_class=ExtendProbationForm,
        service=development.probation_extend,
        form_name="extend_form",
        done=_("预备期已延长。"),
    )


@login_required
@require_POST
def probation_cancel(request, pk):
    return _member_decision(
        request,
        pk,
        form_class=CancelProbationForm,
        service=development.probation_cancel,
        form_name="cancel_form",
        done=_("已取消预备党员资格。"),
    )


@login_required
@require_POST
def member_end(request, pk):
    """去世 / 除名 / 自行脱党 / 退党: the person leaves the roster (their record stays)."""
    return _member_decision(
        request, pk, form_class=EndForm, service=status.member_end, form_name="end_form", done=_("已登记。")
    )
