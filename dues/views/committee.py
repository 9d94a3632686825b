"""A committee's view of dues over its subtree: collection and remittance for a period rolled up the
tree with drill-down, remittances to confirm, approvals (exemptions, base adjustments), the
自行脱党 review list and the large voluntary payments."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.redirects import next_or
from branches.forms import apply_errors
from branches.models import Organization
from branches.scoping import scope_for
from members.models import Member

from .. import selectors, services
from ..forms import PeriodRangeForm, PolicyOverrideForm
from ..models import (
    AdjustmentStatus,
    DuesBaseAdjustment,
    DuesExemption,
    DuesPayment,
    DuesPolicy,
    PolicyStatus,
    Remittance,
    RemittanceStatus,
    period_label,
    period_of,
)


@login_required
def index(request):
    """Where 党费 leads each role: a member to 我的党费, a branch officer to the grid, committee
    staff to their subtree."""
    scope = scope_for(request.user)
    anchors = scope.staff_paths or scope.officer_paths
    if anchors:
        org = Organization.objects.filter(path=min(anchors, key=lambda p: (len(p), p))).first()
        if org is not None:
            return redirect("dues:grid" if org.is_branch else "dues:org", pk=org.pk)
    if scope.is_admin:
        root = Organization.objects.filter(depth=1).first()
        if root is not None:
            return redirect("dues:org", pk=root.pk)
    if scope.member_ids:
        return redirect("dues:mine")
    raise Http404


def _range(request):
    today = timezone.localdate()
    form = PeriodRangeForm(request.GET or None)
    start = end = None
    if form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    # By default the year so far, up to the last closed month (this one is still being collected).
    end = end if end is not None else period_of(today) - 1
    start = start if start is not None else end - end % 12
    if start > end:
        start, end = end, start
    return form, start, end


@login_required
def org(request, pk):
    """Collection vs remitted vs outstanding per child organisation for a period, with arrears
    buckets and the large voluntary payments; each row drills down."""
    org = get_object_or_404(Organization.objects.visible_to(request.user), pk=pk)
    scope = scope_for(request.user)
    if not scope.can_edit(org):
        raise PermissionDenied
    if org.is_branch and not request.GET.get("rollup"):
        return redirect("dues:grid", pk=org.pk)
    form, start, end = _range(request)
    rows = selectors.rollup(org, start, end)
    keys = (
        "due",
        "paid",
        "owing",
        "paid_up",
        "regular",
        "voluntary",
        "large",
        "collected",
        "remitted",
        "confirmed",
        "outstanding",
    )
    totals = {k: sum((r[k] for r in rows), type(rows[0][k])(0)) if rows else 0 for k in keys}
    totals["rate_amount"] = selectors._pct(totals["paid"], totals["due"]) if rows else None
    totals["rate_heads"] = selectors._pct(totals["paid_up"], totals["owing"]) if rows else None
    totals["arrears"] = {b: sum(r["arrears"][b] for r in rows) for b in ("b12", "b35", "b6", "lapse")}
    within = org.path
    pending = (
        Remittance.objects.filter(to_org__path__startswith=within, status=RemittanceStatus.SUBMITTED)
        .select_related("branch", "to_org")
        .order_by("-end_period", "branch__path")[:50]
    )
    first, after = selectors._date_range(start, end)
    large = (
        DuesPayment.objects.filter(
            branch__path__startswith=within, to_centre=True, paid_on__gte=first, paid_on__lt=after
        )
        .select_related("member", "branch")
        .order_by("-paid_on")[:50]
    )
    lapse = selectors.arrears_in_subtree(within, lapse_only=True, limit=50)
    people = Member.objects.in_bulk([m for m, _a in lapse])
    context = {
        "org": org,
        "ancestors": Organization.objects.filter(path__in=org.ancestor_paths()).filter(scope.visible_q()),
        "form": form,
        "start": period_label(start),
        "end": period_label(end),
        "rows": rows,
        "totals": totals,
        "pending": pending,
        "can_confirm": {r.pk for r in pending if scope.supervises(r.to_org)},
        "large": large,
        "lapse": [(people[m], a) for m, a in lapse if m in people],
        "can_generate": scope.can_edit(org),
    }
    return render(request, "dues/org.html", context)


@login_required
@require_POST
def remittance_confirm(request, pk):
    remittance = get_object_or_404(
        Remittance.objects.visible_to(request.user).select_related("to_org"), pk=pk
    )
    try:
        services.remittance_confirm(user=request.user, remittance=remittance)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已确认收到%(branch)s上缴的党费。") % {"branch": remittance.branch.name})
    return redirect(next_or(request, reverse("dues:org", args=[remittance.to_org_id])))


@login_required
def approvals(request):
    """Exemptions and base adjustments waiting for the committee above."""
    scope = scope_for(request.user)
    if not (scope.is_admin or scope.staff_paths):
        raise PermissionDenied
    exemptions = (
        DuesExemption.objects.filter(scope.staff_q("branch__"), status=AdjustmentStatus.PENDING)
        .select_related("member", "branch", "requested_by")
        .order_by("requested_at")[:100]
    )
    adjustments = (
        DuesBaseAdjustment.objects.filter(scope.staff_q("base__branch__"), status=AdjustmentStatus.PENDING)
        .select_related("base__member", "base__branch", "requested_by")
        .order_by("requested_at")[:100]
    )
    policies = [
        p
        for p in DuesPolicy.objects.filter(scope.staff_q("organization__"), status=PolicyStatus.PENDING)
        .select_related("organization", "requested_by")
        .order_by("requested_at")[:100]
        if scope.supervises_strictly(p.organization) and p.requested_by_id != request.user.pk
    ]
    return render(
        request,
        "dues/approvals.html",
        {"exemptions": exemptions, "adjustments": adjustments, "policies": policies},
    )


@login_required
@require_POST
def decide(request, kind, pk):
    approve = request.POST.get("decision") == "approve"
    if kind == "exemption":
        obj = get_object_or_404(DuesExemption.objects.visible_to(request.user), pk=pk)
        service = services.dues_exemption_decide
        args = {"exemption": obj}
    elif kind == "adjustment":
        obj = get_object_or_404(
            DuesBaseAdjustment.objects.visible_to(request.user).select_related("base"), pk=pk
        )
        service = services.dues_base_adjustment_decide
        args = {"adjustment": obj}
    elif kind == "policy":
        obj = get_object_or_404(
            DuesPolicy.objects.filter(scope_for(request.user).visible_q("organization__")).select_related(
                "organization"
            ),
            pk=pk,
        )
        service = services.dues_policy_override_decide
        args = {"policy": obj}
    else:
        raise Http404
    try:
        service(user=request.user, approve=approve, **args)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已批准。") if approve else _("已退回。"))
    return redirect("dues:approvals")


@login_required
def policy(request, pk):
    """The dues policy in force for an organisation's subtree (代交, quarterly, 补交, 预交), its
    history, and — for the committee's staff — a request to override it, with a reason, for the
    committee above to approve (domain spec §2.8)."""
    org = get_object_or_404(Organization.objects.visible_to(request.user), pk=pk)
    scope = scope_for(request.user)
    if not scope.can_edit(org):
        raise PermissionDenied
    today = timezone.localdate()
    current = DuesPolicy.for_org(org, today)
    can_request = scope.supervises(org) and org.depth > 1
    initial = {name: getattr(current, name) for name in DuesPolicy.SWITCHES}
    initial["effective_from"] = today
    form = PolicyOverrideForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if not can_request:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.dues_policy_override_request(user=request.user, org=org, **form.cleaned_data)
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("已提交党费政策调整，待上级党组织批准后生效。"))
                return redirect("dues:policy", pk=org.pk)
    history = (
        DuesPolicy.objects.filter(organization=org)
        .select_related("requested_by", "approved_by")
        .order_by("-effective_from", "-pk")[:50]
    )
    context = {
        "org": org,
        "current": current,
        "history": history,
        "form": form if can_request else None,
    }
    return render(request, "dues/policy.html", context, status=400 if request.method == "POST" else 200)
