"""The public calculator and 我的党费 (a member's own dues: nobody else's data)."""

from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone

from branches.scoping import scope_for

from .. import selectors
from ..calculator import calculate, needs_income, parse_income
from ..forms import CalculatorForm
from ..models import BranchDuesSetting, DuesBase, DuesPayment, DuesPolicy, period_of


def calculator(request):
    """Public: anyone can work out a monthly amount from the national rules (or, logged in as a
    member, their branch's)."""
    form = CalculatorForm(request.GET or None)
    result = None
    if form.is_valid():
        category = form.cleaned_data["category"]
        member = getattr(request.user, "member", None) if request.user.is_authenticated else None
        try:
            income = parse_income(form.cleaned_data["income"], required=needs_income(category))
            result = calculate(category, income, org=member.branch if member else None)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, messages)
    return render(request, "dues/calculator.html", {"form": form, "result": result})


def _year(request, default):
    try:
        year = int(request.GET.get("year", default))
    except ValueError:
        return default
    return year if 2000 <= year <= 2100 else default


@login_required
def mine(request):
    """我的党费: category, base and monthly amount for the year, the months, payments with their
    receipts, what is owed now."""
    member = getattr(request.user, "member", None)
    if member is None:
        scope = scope_for(request.user)
        return redirect("dues:index") if scope.editable_paths or scope.is_admin else redirect("accounts:me")
    today = timezone.localdate()
    year = _year(request, today.year)
    periods = selectors.year_periods(year)
    base = DuesBase.objects.filter(member=member, year=year).first()
    grid = selectors.month_grid([member.pk], periods, today)[member.pk]
    arrears = selectors.arrears_for([member.pk], today).get(member.pk, selectors.NO_ARREARS)
    current = period_of(today)
    # This month is in the year's grid when the year shown is this one (the grid's three queries
    # again otherwise).
    this_month = next((cell for cell in grid if cell.period == current), None)
    if this_month is None:
        this_month = selectors.month_grid([member.pk], [current], today)[member.pk][0]
    due_now = arrears.amount + max(this_month.due - this_month.paid, Decimal("0"))
    payments = (
        DuesPayment.objects.filter(member=member)
        .select_related("collector", "reverses")
        .prefetch_related("allocations")
        .order_by("-paid_on", "-pk")[:60]
    )
    policy = DuesPolicy.for_org(member.branch, today)
    context = {
        "member": member,
        "year": year,
        "years": list(range(today.year - 3, today.year + 1)),
        "base": base,
        "amount_now": selectors.amount_in_force(base, current) if base and base.year == today.year else None,
        "grid": grid,
        "arrears": arrears,
        "this_month": this_month,
        "due_now": due_now,
        "payments": payments,
        "paid_through": selectors.paid_through(member.pk, today),
        "lapse_months": policy.lapse_months,
        "collection_day": BranchDuesSetting.for_org(member.branch, today).collection_day,
    }
    return render(request, "dues/mine.html", context)
