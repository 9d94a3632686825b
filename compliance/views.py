"""Compliance pages: a committee's branches × rules for a period, a branch's own page with the
meetings behind each rule, and the members with no organisational life for six months.

Every organisation is fetched through `visible_to(user)` (a foreign one is a 404); the engine runs
a fixed number of queries whatever the subtree's size, so sorting and paging its result in Python
costs nothing more."""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from branches.models import BRANCH_KINDS, Organization
from branches.scoping import scope_for
from members.models import Member

from . import selectors
from .engine import MISSING, RULE_ORDER, STATUS_LABELS, evaluate, sort_branches
from .models import RuleCode
from .periods import MONTH, QUARTER, YEAR, PeriodError, current, parse_period

PAGE_SIZE = 50
MEMBER_PAGE_SIZE = 50


def meeting_url(pk):
    """The meetings app's detail page (by name when it is installed, else by its path)."""
    try:
        return reverse("meetings:detail", args=[pk])
    except NoReverseMatch:
        return f"/meetings/{pk}/"


def _period(request):
    """The `?period=` asked for, or this quarter; a malformed one falls back with the message."""
    raw = request.GET.get("period", "").strip()
    today = timezone.localdate()
    if not raw:
        return current(QUARTER, today), None
    try:
        return parse_period(raw), None
    except PeriodError as exc:
        return current(QUARTER, today), str(exc)


def _home_org(request):
    """Where the compliance page opens without `?org=`: the user's topmost organisation."""
    scope = scope_for(request.user)
    paths = scope.staff_paths or scope.officer_paths or scope.member_paths
    qs = Organization.objects.visible_to(request.user)
    if paths:
        return qs.filter(path=min(paths, key=lambda p: (len(p), p))).first()
    return qs.filter(depth=1).first() if scope.is_admin else None


def _visible_org(request, pk):
    return get_object_or_404(Organization.objects.visible_to(request.user), pk=pk)


def _picker(period, **keep):
    """The period picker's links keep the rest of the query (organisation, sort)."""
    today = timezone.localdate()
    kept = {k: v for k, v in keep.items() if v}
    return {
        "keep_query": urlencode(kept) + "&" if kept else "",
        "keep": kept,
        "period": period,
        "previous": period.previous(),
        "next": period.next(),
        "shortcuts": [
            (_("本月"), current(MONTH, today)),
            (_("本季度"), current(QUARTER, today)),
            (_("本年"), current(YEAR, today)),
        ],
    }


def _rectify_url(branch_id, rule, period, summary):
    query = urlencode(
        {
            "unit": branch_id,
            "rule": rule.code,
            "period": period.code,
            "rule_label": str(rule.label),
            "summary": summary,
        }
    )
    return f"/rectifications/from-compliance/?{query}"


def _missed_period(rule, period):
    """The period a rectification item for this miss is keyed by: the one window missed when
    there is one (a quarterly rule missed in 2026-Q3 is the same miss seen from 2026-09 or 2026-Q3,
    so it becomes one item), else the period viewed."""
    codes = {w.window.code for w in rule.missed_windows}
    return rule.missed_windows[0].window if len(codes) == 1 else period


def _miss_summary(branch_name, rule, period):
    missed = rule.missed_windows
    where = "、".join(f"{w.window.code}{('（' + w.unit + '）') if w.unit else ''}" for w in missed)
    return _(
        "%(branch)s %(period)s %(rule)s未达标：应%(required)s次，已开并锁定记录%(held)s次（未达标周期：%(where)s）。"
    ) % {
        "branch": branch_name,
        "period": period.code,
        "rule": rule.label,
        "required": rule.required,
        "held": rule.held,
        "where": where,
    }


@login_required
def overview(request):
    """A committee's subtree for a period: one row per branch, one column per rule."""
    raw = request.GET.get("org")
    org = _visible_org(request, raw) if raw and raw.isdigit() else _home_org(request)
    if org is None:
        return render(request, "compliance/none.html", status=404)
    period, period_error = _period(request)
    if org.kind in BRANCH_KINDS:
        return redirect(f"{reverse('compliance:branch', args=[org.pk])}?period={period.code}")
    report = evaluate(org, period)
    sort = request.GET.get("sort", "name")
    if sort not in ("name", "missing", *RULE_ORDER):
        sort = "name"
    descending = request.GET.get("dir") == "desc"
    rows = sort_branches(report, sort, descending=descending)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))

    def sort_link(key):
        flip = "asc" if sort == key and descending else "desc" if key != "name" else "asc"
        if key == "name" and sort == "name" and not descending:
            flip = "desc"
        return "?" + urlencode({"org": org.pk, "period": period.code, "sort": key, "dir": flip})

    columns = [
        {"code": r.code, "label": RuleCode(r.code).label, "rollup": r, "sort": sort_link(r.code)}
        for r in report.rules
    ]
    return render(
        request,
        "compliance/overview.html",
        {
            "org": org,
            "report": report,
            "page": page,
            "columns": columns,
            "sort": sort,
            "descending": descending,
            "name_sort": sort_link("name"),
            "missing_sort": sort_link("missing"),
            "period_error": period_error,
            "statuses": STATUS_LABELS,
            **_picker(
                period, org=org.pk, sort=sort if sort != "name" else "", dir=request.GET.get("dir", "")
            ),
        },
    )


@login_required
def branch(request, pk):
    """One branch for a period: every rule, its windows (and party groups or pair types), the
    meetings that satisfy it and, for a miss, the way to a rectification item."""
    org = _visible_org(request, pk)
    if org.kind not in BRANCH_KINDS:
        return redirect(
            f"{reverse('compliance:overview')}?org={org.pk}&period={request.GET.get('period', '')}"
        )
    period, period_error = _period(request)
    report = evaluate(org, period)
    result = report.branches[0] if report.branches else None
    meetings = {}
    if result is not None:
        ids = {pk for r in result.rule_list for pk in r.meeting_ids}
        meetings = {m.pk: m for m in selectors.meetings_for(ids, request.user)}
    can_rectify = scope_for(request.user).can_edit(org)
    rules = []
    for rule in result.rule_list if result else ():
        windows = [
            {
                "result": w,
                "meetings": [
                    {"obj": meetings[i], "url": meeting_url(i)} for i in w.meeting_ids if i in meetings
                ],
            }
            for w in rule.windows
        ]
        rectify = None
        if rule.status == MISSING and can_rectify:
            missed = _missed_period(rule, period)
            rectify = _rectify_url(org.pk, rule, missed, _miss_summary(org.name, rule, missed))
        rules.append({"rule": rule, "windows": windows, "rectify": rectify})
    inactive = selectors.members_without_org_life(Member.objects.visible_to(request.user).filter(branch=org))
    return render(
        request,
        "compliance/branch.html",
        {
            "org": org,
            "report": report,
            "result": result,
            "rules": rules,
            "period_error": period_error,
            "inactive": list(inactive.order_by("name")[:100]),
            "since": selectors.no_org_life_since(),
            **_picker(period),
        },
    )


@login_required
def inactive(request):
    """Members with no organisational life for six consecutive months (党章§9: a ground for
    自行脱党 review), over a branch or a committee's subtree."""
    raw = request.GET.get("org")
    org = _visible_org(request, raw) if raw and raw.isdigit() else _home_org(request)
    if org is None:
        return render(request, "compliance/none.html", status=404)
    members = Member.objects.visible_to(request.user).filter(branch__path__startswith=org.path)
    qs = (
        selectors.members_without_org_life(members)
        .select_related("branch")
        .order_by("branch__path", "name", "pk")
    )
    page = Paginator(qs, MEMBER_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "compliance/inactive.html",
        {
            "org": org,
            "page": page,
            "since": selectors.no_org_life_since(),
            "months": selectors.NO_ORG_LIFE_MONTHS,
        },
    )
