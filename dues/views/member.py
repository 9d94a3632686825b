"""The public calculator and 我的党费 (a member's own dues: nobody else's data)."""

from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from branches.scoping import scope_for
from members.models import Member

from .. import selectors
from ..calculator import calculate, needs_income, parse_income
from ..forms import CalculatorForm
from ..models import BranchDuesSetting, DuesBase, DuesPolicy, PaymentKind, period_of

CENT = Decimal("0.01")


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
    # Own record with its branch, the ciphertexts unread (the page shows neither).
    try:
        member = Member.objects.select_related("branch").without_protected().get(user=request.user)
    except Member.DoesNotExist:
        scope = scope_for(request.user)
        return redirect("dues:index") if scope.editable_paths or scope.is_admin else redirect("accounts:me")
    today = timezone.localdate()
    year = _year(request, today.year)
    current = period_of(today)
    # One base per member and year: unordered (the default ordering joins the branch and the member).
    base = DuesBase.objects.filter(member=member, year=year).with_amount_in_force(current).order_by().first()
    # The year's months, this month's (the year shown or not) and 党费交至 from one read of the ledger.
    grid, this_month, paid_through = selectors.member_months(member.pk, selectors.year_periods(year), today)
    policy, national = DuesPolicy.for_org_and_global(member.branch, today)
    arrears = selectors.arrears_for([member.pk], today, national_policy=national).get(
        member.pk, selectors.NO_ARREARS
    )
    due_now = arrears.amount + max(this_month.due - this_month.paid, Decimal("0"))
    context = {
        "member": member,
        "year": year,
        "years": list(range(today.year - 3, today.year + 1)),
        "base": base,
        # An annotation: SQLite hands it back without the column's two decimal places.
        "amount_now": base.amount_in_force.quantize(CENT) if base and base.year == today.year else None,
        "grid": _month_cells(grid),
        "arrears": arrears,
        "this_month": this_month,
        "due_now": due_now,
        "payments": _payment_rows(member.pk),
        "paid_through": paid_through,
        "lapse_months": policy.lapse_months,
        "collection_day": BranchDuesSetting.for_org(member.branch, today).collection_day,
    }
    return render(request, "dues/mine.html", context)


def _month_cells(cells):
    """The year's months as shown (dues/_months.html): the month, its status in words and the
    amount shown (owed, else paid), worked out here once rather than by template tags per month."""
    Cell = selectors.Cell
    words = {
        Cell.PAID: _("已交"),
        Cell.PARTIAL: _("部分"),
        Cell.OWED: _("欠交"),
        Cell.DUE: _("待交"),
        Cell.EXEMPT: _("免交"),
        Cell.PREPAID: _("预交"),
    }
    month = _("月")
    return [
        {
            "status": cell.status,
            "label": cell.label,
            "month": cell.label[5:] + month,
            "status_label": words.get(cell.status, "—"),
            "amount": cell.due or cell.paid,
        }
        for cell in cells
    ]


def _payment_rows(member_id):
    """The receipts list as shown: each payment's months, labels ("—" for none) and link (built
    without a URL lookup per row)."""
    detail = reverse("dues:payment", args=[0]).replace("/0/", "/{}/")
    return [
        {
            "paid_on": payment.paid_on.isoformat(),
            "amount": payment.amount,
            "voluntary": payment.kind == PaymentKind.VOLUNTARY,
            "reversal": payment.reverses_id is not None,
            "months": months or "—",
            "channel": payment.get_channel_display(),
            "is_proxy": payment.is_proxy,
            "url": detail.format(payment.pk),
            "receipt": payment.receipt_label or "—",
        }
        for payment, months in selectors.member_payments(member_id)
    ]
