"""Roster import pages: template download, upload (choosing the branch), the dry-run preview with its
errors, the error workbook, and the confirm that writes everything or nothing."""

import io

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from branches.models import BRANCH_KINDS, Organization
from branches.scoping import scope_for

from .. import importer
from ..models import RosterImport

ERRORS_PER_PAGE = 50
CHANGES_SHOWN = 200
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class RosterUploadForm(forms.Form):
    branch = forms.ModelChoiceField(
        label=gettext_lazy("导入到"), queryset=Organization.objects.none(), empty_label=None
    )
    file = forms.FileField(
        label=gettext_lazy("花名册文件"),
        help_text=gettext_lazy("用导入模板填写的 Excel 工作簿（.xlsx），最多10,000行。"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx", "class": "form-control"}),
    )

    def __init__(self, *args, branches, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = branches

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".xlsx", ".xlsm")):
            raise ValidationError(
                _("请上传 Excel 工作簿（.xlsx）。旧版 .xls 文件请在 Excel 中另存为 .xlsx 后上传。")
            )
        if upload.size > MAX_UPLOAD_BYTES:
            raise ValidationError(_("文件不能超过10MB。"))
        return upload


def _manageable_branches(user):
    """Branches whose roster the user keeps (officers of the branch, committee staff above it)."""
    return Organization.objects.filter(scope_for(user).editable_q(), kind__in=BRANCH_KINDS).order_by("path")


def _visible_import(request, pk):
    """The one way a view fetches an import: someone else's, for a branch not theirs, is a 404."""
    return get_object_or_404(importer.visible_imports(request.user), pk=pk)


def _xlsx_response(workbook, filename):
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return FileResponse(buffer, as_attachment=True, filename=filename, content_type=XLSX)


@login_required
def template(request):
    return _xlsx_response(importer.template_workbook(), _("花名册导入模板.xlsx"))


@login_required
def upload(request):
    branches = _manageable_branches(request.user)
    if not branches.exists():
        raise PermissionDenied
    initial = {}
    wanted = request.POST.get("branch") or request.GET.get("branch")
    if wanted:
        # A branch outside the user's roster keeping does not exist for them.
        try:
            initial["branch"] = get_object_or_404(branches, pk=int(wanted))
        except ValueError:
            raise Http404 from None
    else:
        initial["branch"] = _home_branch(request.user, branches)
    form = RosterUploadForm(request.POST or None, request.FILES or None, branches=branches, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            roster_import, _result = importer.roster_import_create(
                user=request.user, branch=form.cleaned_data["branch"], file=form.cleaned_data["file"]
            )
        except ValidationError as exc:
            form.add_error("file", exc.message_dict.get("file", exc.messages))
        else:
            return redirect("members:import_preview", pk=roster_import.pk)
    recent = importer.visible_imports(request.user).filter(created_by=request.user)[:10]
    return render(request, "members/import/upload.html", {"form": form, "recent": recent})


def _home_branch(user, branches):
    """A secretary's own branch comes preselected; with one branch to choose, that one."""
    scope = scope_for(user)
    for branch in branches.filter(path__in=scope.officer_paths)[:1]:
        return branch
    only = list(branches[:2])
    return only[0] if len(only) == 1 else None


@login_required
def preview(request, pk):
    roster_import = _visible_import(request, pk)
    summary = roster_import.summary or {}
    errors = Paginator(roster_import.errors, ERRORS_PER_PAGE).get_page(request.GET.get("page"))
    changes = summary.get("changes", [])
    context = {
        "roster_import": roster_import,
        "summary": summary,
        "page": errors,
        "error_rows": len({e["row"] for e in roster_import.errors}),
        "changes": changes[:CHANGES_SHOWN],
        "more_changes": max(len(changes) - CHANGES_SHOWN, 0),
        "can_apply": roster_import.status == RosterImport.Status.PREVIEWED and not roster_import.errors,
        "roster_url": _roster_url(roster_import),
    }
    return render(request, "members/import/preview.html", context)


@login_required
def errors(request, pk):
    roster_import = _visible_import(request, pk)
    if not roster_import.errors:
        raise Http404
    try:
        workbook = importer.error_workbook(roster_import)
    except (OSError, ValueError):
        raise Http404 from None
    stem = roster_import.filename.rsplit(".", 1)[0]
    return _xlsx_response(workbook, _("%(name)s-错误说明.xlsx") % {"name": stem})


@login_required
@require_POST
def apply(request, pk):
    roster_import = _visible_import(request, pk)
    try:
        result = importer.apply(request.user, roster_import)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("members:import_preview", pk=roster_import.pk)
    counts = result.counts
    messages.success(
        request,
        _("导入完成：新增%(create)s人，更新%(update)s人，%(unchanged)s人无变化。")
        % {"create": counts["create"], "update": counts["update"], "unchanged": counts["unchanged"]},
    )
    return redirect(_roster_url(roster_import))


def _roster_url(roster_import):
    return f"{reverse('members:roster')}?within={roster_import.branch_id}"


urlpatterns = [
    path("", upload, name="import_upload"),
    path("template/", template, name="import_template"),
    path("<int:pk>/", preview, name="import_preview"),
    path("<int:pk>/errors.xlsx", errors, name="import_errors"),
    path("<int:pk>/apply/", apply, name="import_apply"),
]
