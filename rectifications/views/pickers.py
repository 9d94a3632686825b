"""The searches behind the item form's pickers (责任单位; 总负责人, 责任人, 民主评议对象; 来源会议):
a few matches among the field's own choices that the user may also see, in a fixed number of
queries whatever the size of the subtree. The same searches fill the form when it is posted back
without JavaScript (`_search`)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.forms import ModelMultipleChoiceField
from django.http import Http404
from django.shortcuts import get_object_or_404, render

from .. import access, selectors, services
from ..forms import ConvertForm, ItemForm, PickerWidget
from ..models import Ledger, Suggestion


def initial_from(form_class, data):
    """The submitted values as an unbound form's initial data: a search post-back or a refresh
    shows what was entered without judging it yet (no errors for fields not filled in)."""
    initial = {}
    for name, field in form_class.base_fields.items():
        if name in data:
            initial[name] = (
                data.getlist(name) if isinstance(field, ModelMultipleChoiceField) else data.get(name)
            )
    return initial


def _detail(name, obj):
    """What tells two results with the same label apart."""
    if name == "units":
        return obj.code
    if name == "source_meeting":
        return obj.organization.name
    return obj.branch.name


def search(user, form, name, text):
    """(rows, more) for picker `name` of `form`: (value, label, detail) rows."""
    field = form.fields[name]
    visible = field.queryset.model.objects.visible_to(user)
    qs = field.queryset & visible
    if name == "units":
        rows, more = selectors.pick_units(qs, text, issuer=form.issuer)
    elif name == "source_meeting":
        rows, more = selectors.pick_meetings(qs.select_related("organization"), text)
    else:
        rows, more = selectors.pick_people(qs.select_related("branch"), text)
    return [(str(o.pk), field.label_from_instance(o), _detail(name, o)) for o in rows], more


def fill_results(user, form, data):
    """No-JavaScript post-back: run the search of every picker with text typed in (and of the
    one whose 搜索 button was pressed)."""
    pressed = data.get("_search", "")
    for name, field in form.fields.items():
        if not isinstance(field.widget, PickerWidget):
            continue
        text = data.get(f"{name}_q", "").strip()
        if text or name == pressed:
            field.widget.results = search(user, form, name, text)
            field.widget.query = text


def _results(request, form, name):
    field = form.fields.get(name)
    if field is None or not isinstance(field.widget, PickerWidget):
        raise Http404
    rows, more = search(request.user, form, name, request.GET.get(f"{name}_q", ""))
    return render(
        request,
        "rectifications/_picker_results.html",
        {
            "name": name,
            "input_type": "checkbox" if field.widget.multiple else "radio",
            "rows": rows,
            "more": more,
            "limit": selectors.PICK_LIMIT,
        },
    )


@login_required
def ledger_pick(request, pk, field):
    """htmx: matches for one of the item form's pickers (people among the units sent along)."""
    ledger = get_object_or_404(Ledger.objects.visible_to(request.user).select_related("issuer"), pk=pk)
    if not access.can_issue(request.user, ledger.issuer):
        raise PermissionDenied
    form = ItemForm(initial=initial_from(ItemForm, request.GET), ledger=ledger)
    return _results(request, form, field)


def can_convert(user, suggestion):
    return services.can_answer(user, suggestion) and access.can_issue(user, suggestion.recipient)


@login_required
def suggestion_pick_units(request, pk):
    """htmx: 责任单位 matches for turning a suggestion into an item."""
    suggestion = get_object_or_404(
        Suggestion.objects.visible_to(request.user).select_related("recipient"), pk=pk
    )
    if not can_convert(request.user, suggestion):
        raise PermissionDenied
    form = ConvertForm(suggestion=suggestion)
    return _results(request, form, "units")
