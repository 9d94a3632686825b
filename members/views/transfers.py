"""Transfers (组织关系转接) and mobile members (流动党员) pages: thin views over
members.services.transfers; every object is fetched through its visible_to selector, so a foreign
transfer, record or member is a 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditEntry
from branches.forms import apply_errors
from branches.scoping import scope_for

from ..models import Member, MemberStatus, MobileReport, TransferDirection, TransferStatus
from ..selectors_transfers import (
    ledger_paid_through,
    mobile_records_visible_to,
    needs_transfer,
    overdue_transfers,
    report_missing,
    status_before_transfer_out,
    transfers_visible_to,
    with_mobile_flags,
    with_transfer_flags,
)
from ..services import transfers as services
from ..transfer_forms import (
    MobileEndForm,
    MobileFilterForm,
    MobileReportForm,
    MobileStartForm,
    TransferCancelForm,
    TransferConfirmForm,
    TransferFilterForm,
    TransferIncomingForm,
    TransferReceiptForm,
    TransferStartForm,
)

PAGE_SIZE = 50


def _visible_transfer(request, pk):
    qs = with_transfer_flags(transfers_visible_to(request.user)).select_related(
        "member", "from_branch", "to_branch", "confirmed_by", "created_by"
    )
    return get_object_or_404(qs, pk=pk)


def _visible_member(request, pk):
    return get_object_or_404(Member.objects.visible_to(request.user).select_related("branch"), pk=pk)


def _visible_record(request, pk):
    qs = with_mobile_flags(mobile_records_visible_to(request.user)).select_related("member__branch")
    return get_object_or_404(qs, pk=pk)


def _editable_member(request, pk):
    member = _visible_member(request, pk)
    if not scope_for(request.user).can_edit(member.branch):
        raise PermissionDenied
    return member


# --- Transfers -----------------------------------------------------------------------------------


@login_required
def transfer_list(request):
    today = timezone.localdate()
    visible = transfers_visible_to(request.user)
    form = TransferFilterForm(request.GET)
    qs = visible
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            qs = qs.filter(member__name__icontains=data["q"].strip())
        if data["status"]:
            qs = qs.filter(status=data["status"])
        if data["direction"]:
            qs = qs.filter(direction=data["direction"])
        if data["overdue"]:
            qs = overdue_transfers(qs, today)
    qs = with_transfer_flags(qs, today).select_related("member", "from_branch", "to_branch")
    page = Paginator(qs.order_by("-issued_on", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    scope = scope_for(request.user)
    context = {
        "page": page,
        "form": form,
        "filtered": any(request.GET.get(k) for k in ("q", "status", "direction", "overdue")),
        "overdue_count": overdue_transfers(visible, today).count(),
        "can_receive": scope.is_admin or bool(scope.editable_paths),
    }
    return render(request, "members/transfers/list.html", context)


@login_required
def transfer_detail(request, pk):
    transfer = _visible_transfer(request, pk)
    scope = scope_for(request.user)
    pending = transfer.status == TransferStatus.PENDING
    sender = transfer.from_branch is not None and scope.can_edit(transfer.from_branch)
    context = {
        "transfer": transfer,
        "member": transfer.member,
        "can_confirm": pending
        and transfer.direction == TransferDirection.INTERNAL
        and scope.can_edit(transfer.to_branch),
        "can_receipt": pending and transfer.direction == TransferDirection.OUT and sender,
        "can_cancel": pending and sender,
        "has_letter": transfer.direction != TransferDirection.IN,
        "history": AuditEntry.objects.for_object(transfer)[:20],
    }
    return render(request, "members/transfers/detail.html", context)


@login_required
def transfer_start(request, pk):
    member = _editable_member(request, pk)
    today = timezone.localdate()
    initial = {"issued_on": today, "dues_paid_through": ledger_paid_through(member, today)}
    form = TransferStartForm(request.POST or None, member=member, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        direction = data.pop("direction")
        try:
            if direction == TransferDirection.OUT:
                data.pop("to_branch")
                transfer = services.transfer_out_start(user=request.user, member=member, **data)
            else:
                data.pop("external_org")
                transfer = services.transfer_internal_start(user=request.user, member=member, **data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已开具组织关系介绍信。"))
            return redirect("members:transfer_detail", pk=transfer.pk)
    return render(
        request,
        "members/transfers/form.html",
        {
            "form": form,
            "member": member,
            "title": _("办理组织关系转出：%(name)s") % {"name": member.name},
            "back": "members:transfer_list",
        },
    )


@login_required
def transfer_incoming(request):
    form = TransferIncomingForm(request.POST or None, user=request.user)
    if not form.fields["branch"].queryset.exists():
        raise PermissionDenied
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        person = {name: data.pop(name) for name in form.PERSON_FIELDS}
        person = {k: v for k, v in person.items() if v not in (None, "")}
        try:
            member = services.transfer_in_external(user=request.user, **data, **person)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            transfer = member.transfers.get(direction=TransferDirection.IN)
            messages.success(request, _("%(name)s的组织关系已转入。") % {"name": member.name})
            return redirect("members:transfer_detail", pk=transfer.pk)
    return render(
        request,
        "members/transfers/form.html",
        {"form": form, "title": _("登记从系统外转入"), "back": "members:transfer_list"},
    )


def _transfer_action(request, pk, *, form_class, service, allowed, title, done, initial=None):
    """A confirm / receipt / cancel page: the form on GET, the service on POST."""
    transfer = _visible_transfer(request, pk)
    if not allowed(scope_for(request.user), transfer):
        raise PermissionDenied
    form = form_class(request.POST or None, initial=initial or {})
    if request.method == "POST" and form.is_valid():
        try:
            service(user=request.user, transfer=transfer, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, done)
            return redirect("members:transfer_detail", pk=transfer.pk)
    return render(
        request, "members/transfers/action.html", {"form": form, "transfer": transfer, "title": title}
    )


def _receiver(scope, transfer):
    return transfer.to_branch is not None and scope.can_edit(transfer.to_branch)


def _sender(scope, transfer):
    return transfer.from_branch is not None and scope.can_edit(transfer.from_branch)


@login_required
def transfer_confirm(request, pk):
    return _transfer_action(
        request,
        pk,
        form_class=TransferConfirmForm,
        service=services.transfer_confirm,
        allowed=_receiver,
        title=_("确认接收组织关系"),
        done=_("已确认接收，该党员已编入本支部。"),
        initial={"receipt_on": timezone.localdate()},
    )


@login_required
def transfer_receipt(request, pk):
    return _transfer_action(
        request,
        pk,
        form_class=TransferReceiptForm,
        service=services.transfer_receipt,
        allowed=_sender,
        title=_("登记回执"),
        done=_("已登记回执，转接办结。"),
        initial={"receipt_on": timezone.localdate()},
    )


@login_required
def transfer_cancel(request, pk):
    return _transfer_action(
        request,
        pk,
        form_class=TransferCancelForm,
        service=services.transfer_cancel,
        allowed=_sender,
        title=_("撤销组织关系转接"),
        done=_("已撤销。"),
    )


@login_required
def transfer_letter(request, pk):
    """The printable 党员组织关系介绍信 with its 回执 stub."""
    transfer = _visible_transfer(request, pk)
    if transfer.direction == TransferDirection.IN:
        raise Http404
    member = transfer.member
    context = {
        "transfer": transfer,
        "member": member,
        "member_status": MemberStatus(status_before_transfer_out(member)).label,
        "age": member.age(transfer.issued_on),
        "validity_days": (transfer.valid_until - transfer.issued_on).days,
        "destination": transfer.to_branch.name if transfer.to_branch else transfer.external_org,
        "paid_year": transfer.dues_paid_through[:4],
        "paid_month": transfer.dues_paid_through[5:7].lstrip("0"),
    }
    return render(request, "members/transfers/letter.html", context)


# --- Mobile members ------------------------------------------------------------------------------


@login_required
def mobile_list(request):
    today = timezone.localdate()
    visible = mobile_records_visible_to(request.user)
    form = MobileFilterForm(request.GET)
    qs = visible
    state = ""
    if form.is_valid():
        data = form.cleaned_data
        state = data["state"]
        if data["q"]:
            qs = qs.filter(member__name__icontains=data["q"].strip())
        if data["direction"]:
            qs = qs.filter(direction=data["direction"])
        if data["flag"] == "needs_transfer":
            qs = needs_transfer(qs, today)
        elif data["flag"] == "report_missing":
            qs = report_missing(qs, today)
    if state == "ended":
        qs = qs.filter(until__isnull=False)
    elif state != "all":
        qs = qs.filter(until__isnull=True)
    qs = with_mobile_flags(qs, today).select_related("member__branch")
    page = Paginator(qs.order_by("-since", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "form": form,
        "filtered": any(request.GET.get(k) for k in ("q", "direction", "state", "flag")),
        "needs_transfer_count": needs_transfer(visible, today).count(),
        "report_missing_count": report_missing(visible, today).count(),
    }
    return render(request, "members/mobile/list.html", context)


@login_required
def mobile_create(request, pk):
    member = _editable_member(request, pk)
    form = MobileStartForm(request.POST or None, initial={"since": timezone.localdate(), "fixed_place": True})
    if request.method == "POST" and form.is_valid():
        try:
            record = services.mobile_start(user=request.user, member=member, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已登记流动党员。"))
            return redirect("members:mobile_detail", pk=record.pk)
    return render(
        request,
        "members/mobile/form.html",
        {"form": form, "title": _("流动党员登记：%(name)s") % {"name": member.name}},
    )


@login_required
def mobile_detail(request, pk):
    record = _visible_record(request, pk)
    context = {
        "record": record,
        "member": record.member,
        "reports": MobileReport.objects.filter(record=record).select_related("recorded_by"),
        "can_edit": record.until is None and scope_for(request.user).can_edit(record.member.branch),
        "history": AuditEntry.objects.for_object(record, record.reports.all())[:20],
    }
    return render(request, "members/mobile/detail.html", context)


def _mobile_action(request, pk, *, form_class, service, title, done, initial):
    record = _visible_record(request, pk)
    if not scope_for(request.user).can_edit(record.member.branch):
        raise PermissionDenied
    form = form_class(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            service(user=request.user, record=record, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, done)
            return redirect("members:mobile_detail", pk=record.pk)
    return render(request, "members/mobile/form.html", {"form": form, "title": title, "record": record})


@login_required
def mobile_report(request, pk):
    return _mobile_action(
        request,
        pk,
        form_class=MobileReportForm,
        service=services.mobile_report,
        title=_("登记流动党员汇报"),
        done=_("已登记汇报。"),
        initial={"reported_on": timezone.localdate()},
    )


@login_required
def mobile_end(request, pk):
    return _mobile_action(
        request,
        pk,
        form_class=MobileEndForm,
        service=services.mobile_end,
        title=_("结束流动登记"),
        done=_("已结束流动登记。"),
        initial={"until": timezone.localdate()},
    )


urlpatterns = [
    path("transfers/", transfer_list, name="transfer_list"),
    path("transfers/incoming/new/", transfer_incoming, name="transfer_incoming"),
    path("transfers/<int:pk>/", transfer_detail, name="transfer_detail"),
    path("transfers/<int:pk>/confirm/", transfer_confirm, name="transfer_confirm"),
    path("transfers/<int:pk>/receipt/", transfer_receipt, name="transfer_receipt"),
    path("transfers/<int:pk>/cancel/", transfer_cancel, name="transfer_cancel"),
    path("transfers/<int:pk>/letter/", transfer_letter, name="transfer_letter"),
    path("<int:pk>/transfer/", transfer_start, name="transfer_start"),
    path("mobile/", mobile_list, name="mobile_list"),
    path("<int:pk>/mobile/new/", mobile_create, name="mobile_create"),
    path("mobile/<int:pk>/", mobile_detail, name="mobile_detail"),
    path("mobile/<int:pk>/report/", mobile_report, name="mobile_report"),
    path("mobile/<int:pk>/end/", mobile_end, name="mobile_end"),
]
