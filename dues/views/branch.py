"""A branch's dues work (组织委员): the collection grid with a payment in two clicks, bases and their
import, exemptions, remittance and the month's generation. Thin views over dues.services; every
branch and member is fetched through visible_to (a foreign one is a 404), writing needs can_edit."""

import io
from decimal import Decimal
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.redirects import next_or
from branches.forms import apply_errors
from branches.models import BRANCH_KINDS, Organization
from branches.scoping import scope_for
from members.models import ACTIVE_STATUSES, DuesCategory, Member

from .. import importer, selectors, services
from ..forms import (
    AdjustmentForm,
    BaseForm,
    BaseImportForm,
    ExemptionForm,
    PaymentForm,
    RemittanceForm,
    ReverseForm,
)
from ..generation import generate_month
from ..models import (
    BaseImport,
    BaseStatus,
    BranchDuesSetting,
    DuesBase,
    DuesBaseAdjustment,
    DuesIncomeEntry,
    DuesObligation,
    DuesPayment,
    DuesPolicy,
    Remittance,
    parse_period,
    period_label,
    period_of,
)
from .member import _year


def _branch(request, pk, *, edit=True):
    branch = get_object_or_404(
        Organization.objects.visible_to(request.user).filter(kind__in=BRANCH_KINDS), pk=pk
    )
    if edit and not scope_for(request.user).can_edit(branch):
        raise PermissionDenied
    return branch


def _member(request, pk):
    member = get_object_or_404(Member.objects.visible_to(request.user).select_related("branch"), pk=pk)
    if not scope_for(request.user).can_edit(member.branch):
        raise PermissionDenied
    return member


def _members_for_grid(branch, periods):
    """Members now active in the branch, and anyone charged there in the year (left since)."""
    charged = DuesObligation.objects.filter(
        branch=branch, period__gte=periods[0], period__lte=periods[-1]
    ).values("member_id")
    return list(
        Member.objects.filter(Q(branch=branch, status__in=ACTIVE_STATUSES) | Q(pk__in=charged))
        .defer("id_number", "phone")
        .order_by("name", "pk")
    )


@login_required
def grid(request, pk):
    """Members × months: paid / partial / owed / exempt / not applicable; rates by headcount and
    amount; a click on a month opens the payment form."""
    branch = _branch(request, pk)
    today = timezone.localdate()
    year = _year(request, today.year)
    periods = selectors.year_periods(year)
    members = _members_for_grid(branch, periods)
    ids = [m.pk for m in members]
    cells = selectors.month_grid(ids, periods, today)
    arrears = selectors.arrears_for(ids, today)
    bases = {b.member_id: b for b in DuesBase.objects.filter(member_id__in=ids, year=year)}
    # Rates over the months already closed (the current one is still being collected).
    due_periods = [p for p in periods if p < period_of(today)]
    rates = selectors.branch_rates(
        ids, due_periods, {m: cells[m][: len(due_periods)] for m in ids} if due_periods else {}
    )
    rows = [
        {
            "member": m,
            "cells": cells[m.pk],
            "arrears": arrears.get(m.pk, selectors.NO_ARREARS),
            "base": bases.get(m.pk),
        }
        for m in members
    ]
    context = {
        "branch": branch,
        "year": year,
        "years": list(range(today.year - 3, today.year + 1)),
        "periods": [period_label(p)[5:] for p in periods],
        "rows": rows,
        "rates": rates,
        "current": period_of(today),
        "lapse_count": sum(1 for r in rows if r["arrears"].lapse_review),
        "missing_bases": sum(1 for r in rows if r["base"] is None and r["member"].status in ACTIVE_STATUSES),
        "remittances": Remittance.objects.filter(branch=branch).order_by("-end_period")[:6],
        "setting": BranchDuesSetting.for_org(branch, today),
        "policy": DuesPolicy.for_org(branch, today),
    }
    return render(request, "dues/grid.html", context)


@login_required
def pay(request, pk):
    """Record a payment: an htmx modal from the grid (a full page without JavaScript). The amount
    proposed is what is owed now: arrears and the current month."""
    member = _member(request, pk)
    today = timezone.localdate()
    policy = DuesPolicy.for_org(member.branch, today)
    arrears = selectors.arrears_for([member.pk], today).get(member.pk, selectors.NO_ARREARS)
    this_month = selectors.month_grid([member.pk], [period_of(today)], today)[member.pk][0]
    if this_month.due == 0 and this_month.paid == 0:
        expected = selectors.expected_amounts(member, [period_of(today)]).get(period_of(today), Decimal("0"))
    else:
        expected = max(this_month.due - this_month.paid, Decimal("0"))
    suggested = arrears.amount + expected
    form = PaymentForm(
        request.POST or None,
        allow_proxy=policy.allow_proxy,
        initial={"amount": suggested or None},
        branch=member.branch,
        user=request.user,
    )
    htmx = request.headers.get("HX-Request") == "true"
    if request.method == "POST" and form.is_valid():
        try:
            payment = services.dues_payment_record(user=request.user, member=member, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request,
                _("已登记%(name)s交纳党费%(amount)s元，收据编号%(no)s。")
                % {"name": member.name, "amount": payment.amount, "no": payment.receipt_no},
            )
            target = reverse("dues:grid", args=[member.branch_id]) + f"?year={payment.paid_on.year}"
            if htmx:
                response = HttpResponse(status=204)
                response["HX-Redirect"] = target
                return response
            return redirect(target)
    context = {
        "form": form,
        "member": member,
        "arrears": arrears,
        "expected": expected,
        "suggested": suggested,
        "policy": policy,
    }
    template = "dues/_pay_modal.html" if htmx else "dues/pay.html"
    return render(request, template, context)


@login_required
def payment_detail(request, pk):
    payment = get_object_or_404(
        DuesPayment.objects.visible_to(request.user).select_related(
            "member", "branch", "collector", "collected_by", "recorded_by", "reverses"
        ),
        pk=pk,
    )
    can_reverse = (
        scope_for(request.user).can_edit(payment.branch)
        and payment.reverses_id is None
        and not DuesPayment.objects.filter(reverses=payment).exists()
    )
    form = ReverseForm(request.POST or None)
    if request.method == "POST":
        if not can_reverse:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.dues_payment_reverse(user=request.user, payment=payment, **form.cleaned_data)
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("已冲销该交纳记录。"))
                return redirect("dues:payment", pk=payment.pk)
    context = {
        "payment": payment,
        "allocations": payment.allocations.order_by("period"),
        "reversal": DuesPayment.objects.filter(reverses=payment).first(),
        "can_reverse": can_reverse,
        "form": form,
    }
    return render(request, "dues/payment.html", context)


@login_required
def bases(request, pk):
    """The branch's yearly bases: one by one, or imported; lock for the year."""
    branch = _branch(request, pk)
    year = _year(request, timezone.localdate().year)
    members = Member.objects.filter(branch=branch, status__in=ACTIVE_STATUSES).order_by("name")
    by_member = {
        b.member_id: b
        for b in DuesBase.objects.filter(branch=branch, year=year).select_related("verified_by")
    }
    rows = [{"member": m, "base": by_member.get(m.pk)} for m in members]
    context = {
        "branch": branch,
        "year": year,
        "years": list(range(timezone.localdate().year - 2, timezone.localdate().year + 2)),
        "rows": rows,
        "counts": {s: sum(1 for b in by_member.values() if b.status == s) for s in BaseStatus.values},
        "adjustments": DuesBaseAdjustment.objects.filter(base__branch=branch, base__year=year).select_related(
            "base__member"
        )[:20],
        "imports": BaseImport.objects.filter(branch=branch).order_by("-created_at")[:5],
    }
    return render(request, "dues/bases.html", context)


@login_required
def base_edit(request, pk, year):
    member = _member(request, pk)
    base = DuesBase.objects.filter(member=member, year=year).first()
    if base is not None and base.is_locked:
        return redirect("dues:base_adjust", pk=base.pk)
    initial = {
        "category": base.category if base else member.dues_category,
        "income": base.income if base else "",
    }
    form = BaseForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.dues_base_save(user=request.user, member=member, year=year, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request, _("已保存%(name)s的%(year)s年度党费基数。") % {"name": member.name, "year": year}
            )
            return redirect(reverse("dues:bases", args=[member.branch_id]) + f"?year={year}")
    return render(
        request,
        "dues/form.html",
        {
            "form": form,
            "title": _("%(year)s年度党费基数：%(name)s") % {"year": year, "name": member.name},
            "back": reverse("dues:bases", args=[member.branch_id]) + f"?year={year}",
        },
    )


@login_required
@require_POST
def base_verify(request, pk):
    base = get_object_or_404(DuesBase.objects.visible_to(request.user), pk=pk)
    try:
        services.dues_base_verify(user=request.user, base=base)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(reverse("dues:bases", args=[base.branch_id]) + f"?year={base.year}")


@login_required
@require_POST
def bases_lock(request, pk, year):
    branch = _branch(request, pk)
    locked, drafts = services.dues_bases_lock(user=request.user, branch=branch, year=year)
    messages.success(request, _("已锁定%(n)s条基数；%(d)s条待核定的未锁定。") % {"n": locked, "d": drafts})
    return redirect(reverse("dues:bases", args=[branch.pk]) + f"?year={year}")


@login_required
def base_adjust(request, pk):
    base = get_object_or_404(
        DuesBase.objects.visible_to(request.user).select_related("member__branch"), pk=pk
    )
    if not scope_for(request.user).can_edit(base.branch):
        raise PermissionDenied
    form = AdjustmentForm(
        request.POST or None,
        initial={
            "category": base.category,
            "income": base.income,
            "from_period": period_of(timezone.localdate()),
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.dues_base_adjust(user=request.user, base=base, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已提交基数调整申请，待上级党组织审批。"))
            return redirect(reverse("dues:bases", args=[base.branch_id]) + f"?year={base.year}")
    title = _("调整已锁定的党费基数：%(name)s（%(year)s年度，每月%(amount)s元）") % {
        "name": base.member.name,
        "year": base.year,
        "amount": base.monthly_amount,
    }
    return render(
        request,
        "dues/form.html",
        {"form": form, "title": title, "back": reverse("dues:bases", args=[base.branch_id])},
    )


@login_required
def exemption_new(request, pk):
    member = _member(request, pk)
    form = ExemptionForm(request.POST or None, initial={"decided_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.dues_exemption_request(user=request.user, member=member, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已提交少交/免交申请，待上级党组织审批。"))
            return redirect("dues:grid", pk=member.branch_id)
    title = _("少交/免交党费：%(name)s") % {"name": member.name}
    return render(
        request,
        "dues/form.html",
        {"form": form, "title": title, "back": reverse("dues:grid", args=[member.branch_id])},
    )


@login_required
def remit(request, pk):
    branch = _branch(request, pk)
    today = timezone.localdate()
    last = period_of(today) - 1
    form = RemittanceForm(
        request.POST or None, initial={"start_period": last, "end_period": last, "remitted_on": today}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.remittance_submit(user=request.user, branch=branch, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已登记上缴，待上级党组织确认。"))
            return redirect("dues:grid", pk=branch.pk)
    title = _("上缴党费：%(branch)s → %(parent)s") % {
        "branch": branch.name,
        "parent": Organization.objects.get_parent(branch).name,
    }
    return render(
        request,
        "dues/form.html",
        {"form": form, "title": title, "back": reverse("dues:grid", args=[branch.pk])},
    )


@login_required
@require_POST
def generate(request, pk):
    """Generate this month's obligations for the organisation's subtree (idempotent)."""
    org = get_object_or_404(Organization.objects.visible_to(request.user), pk=pk)
    if not scope_for(request.user).can_edit(org):
        raise PermissionDenied
    charges, reversals = generate_month(paths=[org.path], actor=request.user)
    messages.success(
        request, _("已生成本月应交：新增%(c)s条，冲销%(r)s条。") % {"c": charges, "r": reversals}
    )
    return redirect(next_or(request, reverse("dues:org", args=[org.pk])))


# --- Import --------------------------------------------------------------------------------------


def _import(request, pk):
    record = get_object_or_404(BaseImport.objects.select_related("branch"), pk=pk)
    if not scope_for(request.user).can_edit(record.branch):
        raise Http404
    return record


@login_required
def import_start(request, pk):
    branch = _branch(request, pk)
    form = BaseImportForm(
        request.POST or None, request.FILES or None, initial={"year": timezone.localdate().year}
    )
    if request.method == "POST" and form.is_valid():
        try:
            record, _result = importer.base_import_create(
                user=request.user,
                branch=branch,
                year=form.cleaned_data["year"],
                file=form.cleaned_data["file"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return redirect("dues:import_detail", pk=record.pk)
    return render(request, "dues/import.html", {"form": form, "branch": branch})


@login_required
def import_template(request, pk):
    branch = _branch(request, pk)
    return _xlsx(importer.template_workbook(branch), "党费基数导入模板.xlsx")


@login_required
def import_detail(request, pk):
    record = _import(request, pk)
    if request.method == "POST":
        try:
            importer.base_import_apply(user=request.user, record=record)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("已导入%(year)s年度党费基数。") % {"year": record.year})
            return redirect(reverse("dues:bases", args=[record.branch_id]) + f"?year={record.year}")
        record.refresh_from_db()
    return render(request, "dues/import_detail.html", {"record": record, "branch": record.branch})


@login_required
def import_errors(request, pk):
    record = _import(request, pk)
    return _xlsx(importer.error_workbook(record), "党费基数导入错误说明.xlsx")


def _xlsx(wb, filename):
    buffer = io.BytesIO()
    wb.save(buffer)
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


@login_required
def incomes(request, pk):
    """年薪制 and 个体 members' income for a month: the pay actually received that month (年薪制),
    the previous quarter's average monthly net income (个体, setting this quarter's months). All
    rows are saved together or, when one is wrong, none."""
    branch = _branch(request, pk)
    today = timezone.localdate()
    month = parse_period(request.GET.get("month") or "") or period_of(today)
    month = min(month, period_of(today))
    quarter = month - month % 3 - 3  # the previous quarter's first month
    members = list(
        Member.objects.filter(
            branch=branch,
            status__in=ACTIVE_STATUSES,
            dues_category__in=[DuesCategory.ANNUAL_SALARY, DuesCategory.SELF_EMPLOYED],
        )
        .defer("id_number", "phone")
        .order_by("dues_category", "name", "pk")
    )
    entries = {
        e.member_id: e
        for e in DuesIncomeEntry.objects.filter(member__in=[m.pk for m in members], period=month)
    }
    errors, values = {}, {}
    if request.method == "POST":
        services_by_category = {
            DuesCategory.ANNUAL_SALARY: lambda m, v: services.dues_monthly_pay_save(
                user=request.user, member=m, period=month, income=v
            ),
            DuesCategory.SELF_EMPLOYED: lambda m, v: services.dues_quarter_income_save(
                user=request.user, member=m, quarter=quarter, income=v
            ),
        }
        saved = 0
        try:
            with transaction.atomic():
                for m in members:
                    value = (request.POST.get(f"income_{m.pk}") or "").strip()
                    values[m.pk] = value
                    if not value:
                        continue
                    try:
                        services_by_category[m.dues_category](m, value)
                        saved += 1
                    except ValidationError as exc:
                        errors[m.pk] = " ".join(exc.messages)
                if errors:
                    raise _Invalid
        except _Invalid:
            messages.error(request, _("有%(n)s行填写有误，均未保存，请修改后重新提交。") % {"n": len(errors)})
        else:
            messages.success(request, _("已保存%(n)s名党员的收入。") % {"n": saved})
            return redirect(reverse("dues:incomes", args=[branch.pk]) + f"?month={period_label(month)}")
    rows = []
    for m in members:
        entry = entries.get(m.pk)
        if m.pk in values:
            value = values[m.pk]
        elif entry is not None:
            value = entry.income
        else:
            value = ""
        rows.append({"member": m, "entry": entry, "value": value, "error": errors.get(m.pk, "")})
    context = {
        "branch": branch,
        "month": period_label(month),
        "quarter": f"{quarter // 12}Q{quarter % 12 // 3 + 1}",
        "months": [period_label(p) for p in range(period_of(today) - 11, period_of(today) + 1)][::-1],
        "rows": rows,
    }
    return render(request, "dues/incomes.html", context, status=400 if errors else 200)


class _Invalid(Exception):
    pass
