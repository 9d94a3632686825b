"""季度合规报告 pages: the reports a user may download, a request form (committee staff for any
organisation of their subtree, branch officers for their own branch), progress while a worker
builds it, and the download. Every object through `visible_to(user)`; a foreign one is a 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from branches.models import Organization
from branches.scoping import scope_for

from .models import QuarterlyReport, ReportStatus
from .periods import QUARTER, current
from .reports import report_request


def _requestable(user):
    """Organisations the user may ask a report for: those they can edit (staff: their subtree;
    officers: their branch)."""
    return Organization.objects.filter(scope_for(user).editable_q()).exclude(kind="party_group")


@login_required
def report_list(request):
    scope = scope_for(request.user)
    if not (scope.is_admin or scope.editable_paths):
        raise Http404
    qs = QuarterlyReport.objects.visible_to(request.user).select_related("organization")
    page = Paginator(qs.order_by("-period", "organization__path", "pk"), 50).get_page(request.GET.get("page"))
    today = timezone.localdate()
    context = {
        "page": page,
        "orgs": _requestable(request.user).order_by("path")[:200],
        "default_period": current(QUARTER, today).previous().code,
    }
    return render(request, "compliance/reports.html", context)


@login_required
@require_POST
def report_create(request):
    org = get_object_or_404(_requestable(request.user), pk=request.POST.get("org") or 0)
    try:
        report = report_request(organization=org, period=request.POST.get("period", ""), user=request.user)
    except ValidationError as exc:
        for errors in exc.message_dict.values():
            for error in errors:
                messages.error(request, error)
        return redirect("compliance:reports")
    return redirect("compliance:report", pk=report.pk)


@login_required
def report_detail(request, pk):
    report = get_object_or_404(
        QuarterlyReport.objects.visible_to(request.user).select_related("organization"), pk=pk
    )
    template = (
        "compliance/_report_status.html" if request.headers.get("HX-Request") else "compliance/report.html"
    )
    return render(request, template, {"report": report})


@login_required
def report_download(request, pk):
    report = get_object_or_404(
        QuarterlyReport.objects.visible_to(request.user), pk=pk, status=ReportStatus.DONE
    )
    return FileResponse(
        report.file.open("rb"), as_attachment=True, filename=report.file.name.rsplit("/", 1)[-1]
    )
