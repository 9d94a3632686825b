"""The suggestion box (意见箱): a member writes to their branch or a committee above, signed or
anonymous; the recipient answers and may turn it into a ledger item. Every suggestion shows whether
it was answered and what became of it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from branches.forms import apply_errors
from branches.scoping import scope_for

from .. import access, services
from ..forms import ConvertForm, ReceiptForm, ReplyForm, SuggestionForm
from ..models import Item, Suggestion, SuggestionReply
from . import pickers

PAGE_SIZE = 50


def _with_facts(qs):
    return (
        qs.select_related("recipient", "author", "item")
        .annotate(
            reply_count=Count("replies", distinct=True),
            has_item=Exists(Item.objects.filter(source_suggestion=OuterRef("pk"))),
        )
        .order_by("-submitted_on", "-pk")
    )


@login_required
def suggestion_list(request):
    """The recipient's inbox (officers, committees) and the member's own signed suggestions."""
    scope = scope_for(request.user)
    qs = _with_facts(Suggestion.objects.visible_to(request.user))
    state = request.GET.get("state", "")
    if state == "unanswered":
        qs = qs.filter(reply_count=0)
    elif state == "answered":
        qs = qs.filter(reply_count__gt=0)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "rectifications/suggestion_list.html",
        {
            "page": page,
            "state": state,
            "can_write": getattr(request.user, "member", None) is not None,
            "is_recipient": bool(scope.editable_paths or scope.is_admin),
        },
    )


@login_required
def suggestion_create(request):
    member = getattr(request.user, "member", None)
    if member is None:
        raise PermissionDenied
    recipients = services.suggestion_recipients(member).order_by("-depth")
    form = SuggestionForm(
        request.POST or None, recipients=recipients, initial={"recipient": member.branch_id}
    )
    if request.method == "POST" and form.is_valid():
        try:
            suggestion, code = services.suggestion_submit(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            if code:
                # Shown in this response only: no redirect, no flash message, nothing in the
                # session that could tie the code (and so the suggestion) to this login.
                return render(
                    request,
                    "rectifications/suggestion_receipt.html",
                    {"code": code, "suggestion": suggestion},
                )
            messages.success(request, _("意见已提交，答复后可在此查看。"))
            return redirect("rectifications:suggestion", pk=suggestion.pk)
    return render(request, "rectifications/suggestion_form.html", {"form": form})


def _detail_context(request, suggestion, *, reply_form=None, convert_form=None):
    can_answer = services.can_answer(request.user, suggestion)
    can_convert = can_answer and access.can_issue(request.user, suggestion.recipient)
    item = Item.objects.filter(source_suggestion=suggestion).select_related("ledger").first()
    today = timezone.localdate()
    return {
        "suggestion": suggestion,
        "replies": SuggestionReply.objects.filter(suggestion=suggestion).select_related("replied_by"),
        "item": item,
        "can_answer": can_answer,
        "reply_form": reply_form or (ReplyForm() if can_answer else None),
        "convert_form": convert_form
        or (
            ConvertForm(
                suggestion=suggestion,
                initial={
                    "problem": suggestion.body,
                    "deadline": today + timezone.timedelta(days=30),
                    "units": [suggestion.recipient_id],
                },
            )
            if can_convert and item is None
            else None
        ),
    }


@login_required
def suggestion_detail(request, pk):
    suggestion = get_object_or_404(
        Suggestion.objects.visible_to(request.user).select_related("recipient"), pk=pk
    )
    return render(request, "rectifications/suggestion_detail.html", _detail_context(request, suggestion))


@login_required
@require_POST
def suggestion_reply(request, pk):
    suggestion = get_object_or_404(
        Suggestion.objects.visible_to(request.user).select_related("recipient"), pk=pk
    )
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            services.suggestion_reply(
                user=request.user, suggestion=suggestion, body=form.cleaned_data["body"]
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已答复。"))
            return redirect("rectifications:suggestion", pk=suggestion.pk)
    context = _detail_context(request, suggestion, reply_form=form)
    return render(request, "rectifications/suggestion_detail.html", context, status=400)


@login_required
@require_POST
def suggestion_convert(request, pk):
    suggestion = get_object_or_404(
        Suggestion.objects.visible_to(request.user).select_related("recipient"), pk=pk
    )
    if "_search" in request.POST:
        # 搜索 pressed without JavaScript: show the matches to tick, keep what was entered.
        if not pickers.can_convert(request.user, suggestion):
            raise PermissionDenied
        form = ConvertForm(initial=pickers.initial_from(ConvertForm, request.POST), suggestion=suggestion)
        pickers.fill_results(request.user, form, request.POST)
        return render(
            request,
            "rectifications/suggestion_detail.html",
            _detail_context(request, suggestion, convert_form=form),
        )
    form = ConvertForm(request.POST, suggestion=suggestion)
    if form.is_valid():
        try:
            item = services.suggestion_convert(
                user=request.user,
                suggestion=suggestion,
                ledger=form.cleaned_data["ledger"],
                problem=form.cleaned_data["problem"],
                category=form.cleaned_data["category"],
                measures=form.measures_list(),
                units=list(form.cleaned_data["units"]),
                deadline=form.cleaned_data["deadline"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已转为整改事项。"))
            return redirect("rectifications:item", pk=item.pk)
    context = _detail_context(request, suggestion, convert_form=form)
    return render(request, "rectifications/suggestion_detail.html", context, status=400)


@login_required
def suggestion_by_receipt(request):
    """The anonymous author reads the reply with their receipt code (no login link is made: any
    logged-in member may look a code up; the code alone identifies the suggestion)."""
    form = ReceiptForm(request.POST or None)
    suggestion = replies = None
    if request.method == "POST" and form.is_valid():
        suggestion = services.suggestion_by_receipt(form.cleaned_data["code"])
        if suggestion is None:
            form.add_error("code", _("没有找到这个回执码对应的意见，请核对后重试。"))
        else:
            replies = list(suggestion.replies.all())
    item = Item.objects.filter(source_suggestion=suggestion).first() if suggestion else None
    return render(
        request,
        "rectifications/suggestion_lookup.html",
        {"form": form, "suggestion": suggestion, "replies": replies, "item": item},
    )
