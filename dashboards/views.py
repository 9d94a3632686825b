"""The three dashboards: the committee's 党建驾驶舱 over its subtree (from the rollups), the
secretary's branch page (what is due this week and this month, each with its one action) and the
member's page. Every organisation comes through `visible_to(user)`: a foreign one is a 404."""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from branches.models import BRANCH_KINDS, Organization
from compliance import engine
from compliance.metrics import branch_metrics
from compliance.periods import QUARTER, PeriodError, current, parse_period
from compliance.views import _home_org, _picker

from . import branch_page, selectors


def _period(request):
    raw = request.GET.get("period", "").strip()
    today = timezone.localdate()
    if not raw:
        return current(QUARTER, today), None
    try:
        return parse_period(raw), None
    except PeriodError as exc:
        return current(QUARTER, today), str(exc)


def _ancestors(request, org):
    """The breadcrumb: the ancestors the user may see (one query, the root's too)."""
    qs = Organization.objects.visible_to(request.user).filter(path__in=[*org.ancestor_paths(), org.path])
    return [a for a in qs.order_by("depth") if a.pk != org.pk]


def links(org, period):
    """Where each number on the dashboard leads: the records behind it."""
    q = f"?org={org.pk}&period={period.code}"
    return {
        "compliance": reverse("compliance:overview") + q,
        "meetings": reverse("meetings:list") + f"?within={org.pk}",
        "members": reverse("members:roster") + f"?within={org.pk}",
        "development": reverse("members:development") + f"?within={org.pk}&state=overdue",
        "dues": reverse("dues:org", args=[org.pk]),
        "items": reverse("rectifications:items") + f"?unit={org.pk}",
        "items_overdue": reverse("rectifications:items") + f"?unit={org.pk}&overdue=1",
        "items_closed": reverse("rectifications:items") + f"?unit={org.pk}&status=closed",
        "inactive": reverse("compliance:inactive") + f"?org={org.pk}",
    }


def child_link(child, period):
    """One level down: a committee's own dashboard, or a branch's page; a red branch's missed rule
    leads straight to its compliance page, which lists the windows and meetings."""
    if child.is_branch:
        return reverse("dashboards:branch", args=[child.org.pk]) + f"?period={period.code}"
    return reverse("dashboards:committee") + f"?org={child.org.pk}&period={period.code}"


@never_cache
@login_required
def committee(request):
    raw = request.GET.get("org", "")
    org = (
        get_object_or_404(Organization.objects.visible_to(request.user), pk=raw)
        if raw.isdigit()
        else _home_org(request)
    )
    if org is None:
        return render(request, "compliance/none.html", status=404)
    period, period_error = _period(request)
    if org.kind in BRANCH_KINDS:
        return redirect(reverse("dashboards:branch", args=[org.pk]) + f"?period={period.code}")
    board = selectors.dashboard(org, period)
    sort = request.GET.get("sort", "rag")
    sort = sort if sort in selectors.SORTS else "rag"
    descending = request.GET.get("dir") == "desc"
    children = board.sorted_children(sort, descending)
    compliance_branch = reverse("compliance:branch", args=[0]).replace("/0/", "/{}/")
    for child in children:
        child.url = child_link(child, period)
        if child.is_branch:
            child.compliance_url = compliance_branch.format(child.org.pk) + f"?period={period.code}"
        else:
            child.compliance_url = (
                reverse("compliance:overview") + f"?org={child.org.pk}&period={period.code}"
            )
        child.dues_url = reverse("dues:org", args=[child.org.pk])
        child.items_url = reverse("rectifications:items") + f"?unit={child.org.pk}&overdue=1"

    def sort_link(key):
        flip = "asc" if sort == key and descending else "desc"
        return "?" + urlencode({"org": org.pk, "period": period.code, "sort": key, "dir": flip})

    ancestors = _ancestors(request, org)
    return render(
        request,
        "dashboards/committee.html",
        {
            "org": org,
            "period": period,
            "period_error": period_error,
            "board": board,
            "children": children,
            "sort": sort,
            "descending": descending,
            "sort_links": {key: sort_link(key) for key in selectors.SORTS},
            "links": links(org, period),
            "ancestors": ancestors,
            "chart_data": selectors.chart_data(board, children, period),
            **_picker(period, org=org.pk, sort=sort if sort != "rag" else "", dir=request.GET.get("dir", "")),
        },
    )


@never_cache
@login_required
def branch(request, pk):
    """The secretary's home: what is due this week and this month with the action each needs, the
    branch's compliance and collection for the period, its open items."""
    org = get_object_or_404(Organization.objects.visible_to(request.user), pk=pk)
    if org.kind not in BRANCH_KINDS:
        return redirect(reverse("dashboards:committee") + f"?org={org.pk}&{request.GET.urlencode()}")
    period, period_error = _period(request)
    today = timezone.localdate()
    metrics = branch_metrics(org, period, today=today)
    row = metrics.branches[0] if metrics.branches else None
    rules = []
    if row is not None:
        from compliance.models import RuleCode

        for code, rule in row.rules.items():
            rules.append(
                {
                    "code": code,
                    "label": RuleCode(code).label,
                    "rule": rule,
                    "label_status": engine.STATUS_LABELS[rule.status],
                }
            )
    ancestors = _ancestors(request, org)
    return render(
        request,
        "dashboards/branch.html",
        {
            "org": org,
            "period": period,
            "period_error": period_error,
            "row": row,
            "rules": rules,
            "todo": branch_page.todo(org, request.user, today),
            "items": branch_page.open_items(org, today),
            "links": links(org, period),
            "compliance_url": reverse("compliance:branch", args=[org.pk]) + f"?period={period.code}",
            "grid_url": reverse("dues:grid", args=[org.pk]),
            "ancestors": ancestors,
            "today": today,
            **_picker(period),
        },
    )


@never_cache
@login_required
def mine(request):
    """The member's page: dues and what is owed, upcoming meetings and attendance, action items,
    the development step."""
    member = getattr(request.user, "member", None)
    if member is None:
        return redirect("home")
    today = timezone.localdate()
    context = branch_page.member_context(member, request.user, today)
    return render(request, "dashboards/member.html", {"member": member, "today": today, **context})
