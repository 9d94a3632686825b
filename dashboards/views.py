"""The three dashboards: the committee's 党建驾驶舱 over its subtree (from the rollups), the
secretary's branch page (what is due this week and this month, each with its one action) and the
member's page. Every organisation comes through `visible_to(user)`: a foreign one is a 404."""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from branches.models import BRANCH_KINDS, Organization
from compliance import engine
from compliance.models import RuleCode
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


def _rate(value):
    return "—" if value is None else f"{value}%"


def _text(value):
    return "—" if value is None else str(value)


def _ranking_rows(children, period):
    """The ranking's page of children as display rows (the ranking, the heat-map's and the bars'
    table views): the numbers formatted once here, every link built without a URL lookup per row."""
    compliance_branch = reverse("compliance:branch", args=[0]).replace("/0/", "/{}/")
    branch_page = reverse("dashboards:branch", args=[0]).replace("/0/", "/{}/")
    committee_page = reverse("dashboards:committee")
    overview = reverse("compliance:overview")
    dues_org = reverse("dues:org", args=[0]).replace("/0/", "/{}/")
    items = reverse("rectifications:items")
    code = period.code
    out = []
    for c in children:
        pk, f = c.org.pk, c.figures
        # One level down: a committee's own dashboard, or a branch's page; a red branch's missed
        # rule leads straight to its compliance page, which lists the windows and meetings.
        if c.is_branch:
            url = branch_page.format(pk) + f"?period={code}"
            compliance = compliance_branch.format(pk) + f"?period={code}"
        else:
            url = f"{committee_page}?org={pk}&period={code}"
            compliance = f"{overview}?org={pk}&period={code}"
        out.append(
            {
                "pk": pk,
                "rag": c.rag,
                "rag_label": c.rag_label,
                "name": c.org.name,
                "url": url,
                "branches": "" if c.is_branch else _("%(n)s个支部") % {"n": f.data["branches"]},
                "score": _text(c.score),
                "meetings": _rate(f.meeting_rate),
                "compliance_url": compliance,
                "dues": _rate(f.rate_amount),
                "dues_url": dues_org.format(pk),
                "overdue": f.data["items_overdue"],
                "items_url": f"{items}?unit={pk}&overdue=1",
                # (text, link): a missed rule links to the rule on the compliance page
                "reasons": [
                    (text, f"{compliance}#rule-{rule}" if kind in ("rule", "rule_branches") else "")
                    for kind, rule, _n, text in c.reasons
                ],
                "heat": [_text(rate) for _m, rate in c.heat],
                "amount": _text(f.rate_amount),
                "heads": _text(f.rate_heads),
                "due": str(f.dues_due),
                "paid": str(f.dues_paid),
            }
        )
    return out


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
    sort = request.GET.get("sort", "rag")
    sort = sort if sort in selectors.SORTS else "rag"
    descending = request.GET.get("dir") == "desc"
    raw_page = request.GET.get("page", "")
    board = selectors.dashboard(
        org, period, sort=sort, descending=descending, page=int(raw_page) if raw_page.isdigit() else 1
    )
    rows = _ranking_rows(board.children, period)

    def query(**changes):
        params = {"org": org.pk, "period": period.code, "sort": sort, "dir": "desc" if descending else ""}
        params.update(changes)
        return "?" + urlencode({k: v for k, v in params.items() if v not in ("", None)})

    def sort_link(key):
        return query(sort=key, dir="asc" if sort == key and descending else "desc")

    ancestors = _ancestors(request, org)
    return render(
        request,
        "dashboards/committee.html",
        {
            "org": org,
            "period": period,
            "period_error": period_error,
            "board": board,
            "rows": rows,
            "trend_rows": [
                (
                    m.code,
                    _rate(t.meeting_rate),
                    _rate(t.attendance_rate),
                    _rate(t.rate_amount),
                    t.data["items_closed"],
                )
                for m, t in board.trend
            ],
            "sort": sort,
            "descending": descending,
            "sort_links": {key: sort_link(key) for key in selectors.SORTS},
            "previous_page": query(page=board.page - 1) if board.has_previous else "",
            "next_page": query(page=board.page + 1) if board.has_next else "",
            "links": links(org, period),
            "ancestors": ancestors,
            "chart_data": selectors.chart_data(board),
            **_picker(period, org=org.pk, sort=sort if sort != "rag" else "", dir=request.GET.get("dir", "")),
        },
    )


@never_cache
@login_required
def branch(request, pk):
    """The secretary's home: what is due this week and this month with the action each needs, the
    branch's compliance and collection for the period, its open items, the user's latest
    notifications about the branch."""
    org = get_object_or_404(Organization.objects.visible_to(request.user), pk=pk)
    if org.kind not in BRANCH_KINDS:
        return redirect(reverse("dashboards:committee") + f"?org={org.pk}&{request.GET.urlencode()}")
    period, period_error = _period(request)
    today = timezone.localdate()
    row = branch_page.period_row(org, period, today)
    rules = []
    if row is not None:
        for code in engine.RULE_ORDER:
            if code in row.rules:
                rules.append({"code": code, "label": RuleCode(code).label, "rule": row.rules[code]})
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
            "notifications": branch_page.notifications(request.user, org),
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
    the development step, the latest notifications."""
    member = getattr(request.user, "member", None)
    if member is None:
        return redirect("home")
    today = timezone.localdate()
    context = branch_page.member_context(member, request.user, today)
    context["notifications"] = branch_page.notifications(request.user)
    return render(request, "dashboards/member.html", {"member": member, "today": today, **context})
