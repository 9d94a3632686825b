"""Ledger pages: ledgers, the paper-layout table (one ledger, or every item the user may see, or
the overdue list), an item with its timeline and the actions its viewer may take, 我的整改事项,
and the one-click item from a compliance miss."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from branches.forms import apply_errors
from branches.models import Organization, OrgKind
from branches.scoping import scope_for

from .. import access, selectors, services
from ..forms import (
    CloseoutForm,
    ComplianceItemForm,
    ItemFilterForm,
    ItemForm,
    LedgerForm,
    ProgressForm,
    ReturnForm,
    VerifyForm,
)
from ..models import Item, Ledger
from ..models.rules import DueDayResolver
from . import paper, pickers

PAGE_SIZE = 50


def visible_ledger(request, pk):
    return get_object_or_404(Ledger.objects.visible_to(request.user).select_related("issuer"), pk=pk)


def visible_item(request, pk):
    return get_object_or_404(
        Item.objects.visible_to(request.user)
        .select_related("ledger__issuer", "lead_person", "source_unit", "source_member", "source_meeting")
        .prefetch_related("units", "responsible_people__branch", "measures"),
        pk=pk,
    )


def _issuers(user):
    scope = scope_for(user)
    return Organization.objects.filter(scope.editable_q()).exclude(kind=OrgKind.PARTY_GROUP).order_by("path")


@login_required
def ledger_list(request):
    scope = scope_for(request.user)
    today = timezone.localdate()
    qs = Ledger.objects.visible_to(request.user).select_related("issuer").order_by("-issued_on", "-pk")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = selectors.with_counts(page.object_list, request.user, today)
    return render(
        request,
        "rectifications/ledger_list.html",
        {
            "page": page,
            "can_issue": bool(scope.editable_paths or scope.is_admin),
            "today": today,
        },
    )


@login_required
def ledger_create(request):
    issuers = _issuers(request.user)
    if not issuers.exists():
        raise PermissionDenied
    today = timezone.localdate()
    form = LedgerForm(request.POST or None, issuers=issuers, initial={"issued_on": today})
    if request.method == "POST" and form.is_valid():
        try:
            ledger = services.ledger_create(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("台账已建立，请逐条添加问题。"))
            return redirect("rectifications:ledger", pk=ledger.pk)
    return render(request, "rectifications/form.html", {"form": form, "title": _("新建整改台账")})


@login_required
def ledger_edit(request, pk):
    ledger = visible_ledger(request, pk)
    if not access.can_issue(request.user, ledger.issuer):
        raise PermissionDenied
    issuers = Organization.objects.filter(pk=ledger.issuer_id)
    data = request.POST or None
    form = LedgerForm(
        data,
        issuers=issuers,
        initial={f: getattr(ledger, f) for f in ("source", "title", "issued_on", "deadline", "description")}
        | {"issuer": ledger.issuer_id},
    )
    form.fields["issuer"].disabled = True
    if request.method == "POST" and form.is_valid():
        fields = {k: v for k, v in form.cleaned_data.items() if k != "issuer"}
        try:
            services.ledger_update(user=request.user, ledger=ledger, **fields)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已保存。"))
            return redirect("rectifications:ledger", pk=ledger.pk)
    return render(
        request, "rectifications/form.html", {"form": form, "title": _("编辑整改台账"), "ledger": ledger}
    )


def _table_context(
    request, qs, *, forced_overdue=False, total=None, show_ledger=False, ledger=None, categories=None
):
    """Filters, pagination and rows for the paper layout (a fixed number of queries). `total`:
    the number of rows of `qs` when the caller has counted them already (used when no filter
    narrows them); `show_ledger`: each row names its ledger; `ledger`: the one ledger `qs` is of;
    `categories`: those of `qs`, when the caller has them."""
    today = timezone.localdate()
    units = selectors.filter_units(qs, ledger=ledger, total=total)
    if categories is None:
        categories = selectors.categories(qs)
    form = ItemFilterForm(request.GET or None, units=units, categories=categories)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = selectors.items_table(
        qs,
        status=filters.get("status") or "",
        overdue="1" if forced_overdue else filters.get("overdue") or "",
        unit=filters.get("unit"),
        category=filters.get("category") or "",
        today=today,
        user=request.user,
    )
    order = ("deadline", "pk") if forced_overdue else ("ledger_id", "seq")
    rows = qs.with_overdue(today).order_by(*order).values(*selectors.ROW_FIELDS)
    paginator = Paginator(rows, PAGE_SIZE)
    filtered = any(request.GET.get(k) for k in ("status", "overdue", "unit", "category"))
    if total is not None and not filtered and not forced_overdue:
        paginator.count = total  # the ledger's aggregate: no second count of its items
    else:
        paginator.count = qs.count()  # the items themselves, not the joins the rows' values need
    page = paginator.get_page(request.GET.get("page"))
    page.object_list = paper.rows_html(selectors.table_rows(page.object_list, today), show_ledger=show_ledger)
    return {
        "page": page,
        "form": form,
        "filtered": filtered,
        "today": today,
    }


@login_required
def ledger_detail(request, pk):
    ledger = visible_ledger(request, pk)
    items = Item.objects.in_ledger(ledger, request.user)
    summary, categories = selectors.ledger_summary(ledger, items)
    # The walk for the filter's units needs every item of the ledger: its issuer's editors see them.
    whole = ledger if scope_for(request.user).can_edit(ledger.issuer) else None
    context = _table_context(request, items, total=summary.item_total, ledger=whole, categories=categories)
    context.update(
        ledger=ledger,
        can_issue=access.can_issue(request.user, ledger.issuer),
        summary=summary,
    )
    return render(request, "rectifications/ledger_detail.html", context)


@login_required
def item_list(request, overdue=False):
    scope = scope_for(request.user)
    if not (scope.editable_paths or scope.is_admin or scope.member_ids):
        raise Http404
    context = _table_context(
        request, Item.objects.visible_to(request.user), forced_overdue=overdue, show_ledger=True
    )
    context.update(overdue_page=overdue)
    return render(request, "rectifications/item_list.html", context)


@login_required
def item_overdue(request):
    return item_list(request, overdue=True)


@login_required
def mine(request):
    """我的整改事项: items the user is 总负责人 or 责任人 of, and those of the branches they run."""
    scope = scope_for(request.user)
    condition = Q(pk__in=[])
    if scope.member_ids:
        people = Item.responsible_people.through.objects.filter(member_id__in=scope.member_ids)
        condition |= Q(lead_person_id__in=scope.member_ids) | Q(pk__in=people.values("item_id"))
    if scope.officer_paths:
        runs = Q(pk__in=[])
        for path in scope.officer_paths:
            runs |= Q(organization__path__startswith=path)
        condition |= Q(pk__in=Item.units.through.objects.filter(runs).values("item_id"))
    qs = Item.objects.visible_to(request.user).filter(condition)
    context = _table_context(request, qs, show_ledger=True)
    context.update(mine=True)
    return render(request, "rectifications/item_list.html", context)


@login_required
def item_create(request, pk):
    ledger = visible_ledger(request, pk)
    if not access.can_issue(request.user, ledger.issuer):
        raise PermissionDenied
    if "_search" in request.POST:
        # 搜索 pressed without JavaScript: show the matches to tick, keep what was entered.
        form = ItemForm(initial=pickers.initial_from(ItemForm, request.POST), ledger=ledger)
        pickers.fill_results(request.user, form, request.POST)
    else:
        form = ItemForm(request.POST or None, ledger=ledger, initial={"deadline": ledger.deadline})
    if request.method == "POST" and form.is_bound and form.is_valid():
        data = dict(form.cleaned_data)
        data["measures"] = form.measures_list()
        data["units"] = list(data["units"])
        data["responsible_people"] = list(data["responsible_people"])
        try:
            item = services.item_create(user=request.user, ledger=ledger, **data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已添加第 %(seq)s 项。") % {"seq": item.seq})
            if "add_another" in request.POST:
                return redirect("rectifications:item_create", pk=ledger.pk)
            return redirect("rectifications:ledger", pk=ledger.pk)
    return render(
        request,
        "rectifications/item_form.html",
        {"form": form, "ledger": ledger, "categories": selectors.categories(ledger.items.all())},
    )


@login_required
def item_people(request, pk):
    """htmx: the people pickers again for the units chosen so far (people chosen outside them drop
    out)."""
    ledger = visible_ledger(request, pk)
    if not access.can_issue(request.user, ledger.issuer):
        raise PermissionDenied
    form = ItemForm(initial=pickers.initial_from(ItemForm, request.GET), ledger=ledger)
    return render(request, "rectifications/_people_fields.html", {"form": form})


@login_required
def item_detail(request, pk):
    item = visible_item(request, pk)
    return render(request, "rectifications/item_detail.html", _detail_context(request, item))


def _detail_context(request, item, **forms):
    today = timezone.localdate()
    actions = access.allowed_actions(request.user, item)
    due_day = DueDayResolver(today).due_day(item.ledger.issuer)
    return {
        "item": item,
        "actions": actions,
        "timeline": selectors.timeline(item),
        "overdue": item.overdue_on(today),
        "days_late": (today - item.deadline).days,
        "update_due": item.next_update_due(due_day, today),
        "update_late": item.update_late(due_day, today),
        "due_day": due_day,
        "progress_form": forms.get("progress") or ProgressForm(initial={"on": today}),
        "closeout_form": forms.get("request_closeout") or CloseoutForm(),
        "verify_form": forms.get("verify") or VerifyForm(),
        "return_form": forms.get("return") or ReturnForm(),
        "today": today,
    }


ACTIONS = {
    "claim": (None, lambda user, item, data, files: services.item_claim(user=user, item=item), _("已认领。")),
    "progress": (
        ProgressForm,
        lambda user, item, data, files: services.item_progress_add(
            user=user, item=item, text=data["text"], on=data["on"], files=data["files"]
        ),
        _("推进情况已报送。"),
    ),
    "request_closeout": (
        CloseoutForm,
        lambda user, item, data, files: services.item_request_closeout(
            user=user, item=item, summary=data["summary"]
        ),
        _("已申请销号，等待下达单位验收。"),
    ),
    "verify": (
        VerifyForm,
        lambda user, item, data, files: services.item_verify(user=user, item=item, comment=data["comment"]),
        _("已验收销号。"),
    ),
    "return": (
        ReturnForm,
        lambda user, item, data, files: services.item_return(user=user, item=item, reason=data["reason"]),
        _("已退回整改。"),
    ),
}


@login_required
@require_POST
def item_action(request, pk, action):
    if action not in ACTIONS:
        raise Http404
    item = visible_item(request, pk)
    form_class, run, done = ACTIONS[action]
    form = form_class(request.POST, request.FILES) if form_class else None
    if form is None or form.is_valid():
        try:
            run(request.user, item, form.cleaned_data if form else {}, request.FILES)
        except ValidationError as exc:
            if form is None:
                messages.error(request, " ".join(exc.messages))
                return redirect("rectifications:item", pk=item.pk)
            apply_errors(form, exc)
        else:
            messages.success(request, done)
            return redirect("rectifications:item", pk=item.pk)
    item = visible_item(request, pk)
    context = _detail_context(request, item, **{action: form})
    context["open_action"] = action
    return render(request, "rectifications/item_detail.html", context, status=400)


@login_required
def from_compliance(request):
    """The compliance page links here with ?unit=&rule=&period=(&rule_label=&summary=): GET shows
    the item as it will be made, POST makes it (once: the same miss leads to the same item)."""
    data = request.POST if request.method == "POST" else request.GET
    params = ComplianceItemForm(data)
    unit, issuers = None, []
    raw_unit = str(data.get("unit", ""))
    if raw_unit.isdigit():
        unit = Organization.objects.visible_to(request.user).filter(pk=int(raw_unit)).first()
        if unit is None:
            raise Http404
        # Who can issue: the committees above the unit, nearest first, then the unit itself.
        above = Organization.objects.filter(path__in=unit.ancestor_paths()).order_by("-depth")
        issuers = [o for o in [*above, unit] if access.can_issue(request.user, o)]
        if not issuers:
            raise PermissionDenied
    params.fields["issuer"].choices = [(o.pk, o.name) for o in issuers]
    if not params.is_valid():
        return render(
            request, "rectifications/from_compliance.html", {"params": params, "unit": unit}, status=400
        )
    cleaned = params.cleaned_data
    existing = Item.objects.filter(
        source_unit=unit, source_rule_code=cleaned["rule"], source_period=cleaned["period"]
    ).first()
    if request.method == "POST":
        issuer = next((o for o in issuers if o.pk == cleaned["issuer"]), issuers[0])
        try:
            item = services.item_create_from_compliance_miss(
                issuer=issuer,
                unit=unit,
                rule_code=cleaned["rule"],
                rule_label=cleaned["rule_label"],
                period=cleaned["period"],
                summary=cleaned["summary"],
                user=request.user,
            )
        except ValidationError as exc:
            apply_errors(params, exc)
        else:
            messages.success(request, _("已转为整改事项。"))
            return redirect("rectifications:item", pk=item.pk)
    return render(
        request,
        "rectifications/from_compliance.html",
        {"params": params, "unit": unit, "issuers": issuers, "existing": existing},
    )
