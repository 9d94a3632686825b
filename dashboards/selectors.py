"""The committee dashboard's figures from the rollups — a fixed amount of work whatever the
subtree's size: the organisation's own rows (the period, the `now` row and the twelve months up to
the period's end), its direct children's rows for the period (to judge and sort them), and the
twelve month rows of one page of children (the heat-map). Four queries: children, score rules,
rows, the page's months. Nothing reads below the direct children: their rows hold the subtree sums.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from branches.models import BRANCH_KINDS, Organization, OrgKind
from compliance.metrics import AMBER, GREEN, RAG_ORDER, RED, _rules_by_scope, pct, remittance_status, rule_for
from compliance.models import RuleCode
from compliance.periods import MONTH, containing

from .models import OrgFigures
from .rollups import NOW, branch_row, empty

TREND_MONTHS = 12
RANK_PAGE = 10  # children per page of the ranking (and of the heat-map and the collection bars)
FUNNEL = ("applicant", "activist", "development_target", "probationary", "full")
RAG_LABELS = {RED: gettext_lazy("红"), AMBER: gettext_lazy("黄"), GREEN: gettext_lazy("绿")}


def trend_months(period, n=TREND_MONTHS):
    out, day = [], period.end
    for _i in range(n):
        month = containing(MONTH, day)
        out.append(month)
        day = month.start - datetime.timedelta(days=1)
    return list(reversed(out))


def dec(data, name):
    return Decimal(data.get(name, "0"))


def meeting_rate(rules):
    """% of decided rule-windows (per branch and rule) met or made up late, from a row's `rules`."""
    met = late = missing = 0
    for m, lt, _o, ms, _r, _h in rules.values():
        met, late, missing = met + m, late + lt, missing + ms
    return pct(met + late, met + late + missing)


@dataclass
class Figures:
    """One organisation's figures for a period, read from its rollup row."""

    data: dict
    built: bool = True

    def __getattr__(self, name):
        data = self.__dict__.get("data", {})
        if name in data:
            return data[name]
        raise AttributeError(name)

    @cached_property
    def dues_due(self):
        return dec(self.data, "dues_due")

    @cached_property
    def dues_paid(self):
        return dec(self.data, "dues_paid")

    @cached_property
    def collected(self):
        return dec(self.data, "collected")

    @cached_property
    def remitted(self):
        return dec(self.data, "remitted")

    @cached_property
    def confirmed(self):
        return dec(self.data, "confirmed")

    @cached_property
    def arrears_owed(self):
        return dec(self.data, "arrears_owed")

    @cached_property
    def rate_amount(self):
        return pct(self.dues_paid, self.dues_due)

    @cached_property
    def rate_heads(self):
        return pct(self.data["dues_paid_up"], self.data["dues_owing"])

    @cached_property
    def attendance_rate(self):
        return pct(self.data["att_present"], self.data["att_expected"])

    @cached_property
    def close_rate(self):
        closed = self.data["items_closed"]
        return pct(closed, closed + self.data["items_open"])

    @cached_property
    def remittance_status(self):
        return remittance_status(self.collected, self.remitted, self.confirmed)

    @property
    def rules(self):
        return self.data.get("rules", {})

    def rule_counts(self, code):
        met, late, open_, missing, required, held = self.rules.get(code, [0] * 6)
        return {
            "met": met,
            "late": late,
            "open": open_,
            "missing": missing,
            "required": required,
            "held": held,
        }

    @cached_property
    def meeting_rate(self):
        return meeting_rate(self.rules)

    @cached_property
    def rules_missing(self):
        return sum(c[3] for c in self.rules.values())

    @cached_property
    def mean_score(self):
        scored = self.data["scored"]
        return (dec(self.data, "score_sum") / scored).quantize(Decimal("0.1")) if scored else None


@dataclass
class Child:
    org: Organization
    figures: Figures
    score: Decimal | None = None
    rag: str = GREEN
    reasons: list = field(default_factory=list)  # [(kind, code, n)]; shown: [(kind, code, n, text)]
    heat: list = field(default_factory=list)

    @property
    def is_branch(self):
        return self.org.kind in BRANCH_KINDS

    @property
    def rag_label(self):
        return RAG_LABELS[self.rag]


def reason_text(kind, code, n):
    if kind == "rule":
        return _("%(rule)s未达标") % {"rule": RuleCode(code).label}
    if kind == "rule_branches":
        return _("%(n)s个支部%(rule)s未达标") % {"n": n, "rule": RuleCode(code).label}
    if kind == "red_branches":
        return _("%(n)s个支部为红") % {"n": n}
    if kind == "lapse":
        return _("%(n)s人连续6个月未交党费") % {"n": n}
    if kind == "items_overdue":
        return _("%(n)s项整改逾期") % {"n": n}
    if kind == "dev_overdue":
        return _("%(n)s人发展步骤逾期") % {"n": n}
    return _("综合得分%(n)s") % {"n": n}


def _judge(child, rules):
    """A branch keeps the RAG compliance.metrics gave it; a committee is judged on its branches'
    mean score with the thresholds of the rule in force for it, and named by what pulls it down."""
    data = child.figures.data
    if child.is_branch:
        child.score = Decimal(data["score"]) if data.get("score") is not None else None
        child.rag = data.get("rag", GREEN)
        child.reasons = [tuple(r) for r in data.get("reasons", [])]
        return
    rule = rule_for(child.org.path, rules)
    child.score = child.figures.mean_score
    reasons = []
    if data["red"]:
        reasons.append(("red_branches", "", data["red"]))
    worst = sorted(((c[3], code) for code, c in child.figures.rules.items() if c[3]), reverse=True)[:2]
    reasons += [("rule_branches", code, n) for n, code in worst]
    if data["arrears_lapse"]:
        reasons.append(("lapse", "", data["arrears_lapse"]))
    if data["items_overdue"]:
        reasons.append(("items_overdue", "", data["items_overdue"]))
    if data["dev_overdue"]:
        reasons.append(("dev_overdue", "", data["dev_overdue"]))
    if child.score is None:
        child.rag = GREEN if not reasons else AMBER
    elif child.score < rule.red_below:
        child.rag = RED
    elif child.score < rule.amber_below or reasons:
        child.rag = AMBER
    child.reasons = reasons


def _or(value, fallback):
    return fallback if value is None else value


# Children come in tree order; sorting is stable (also in reverse), so ties keep it.
SORTS = {
    "rag": lambda c: (RAG_ORDER[c.rag], _or(c.score, Decimal(999))),
    "score": lambda c: _or(c.score, Decimal(-1)),
    "name": lambda c: c.org.path,
    "meetings": lambda c: _or(c.figures.meeting_rate, Decimal(-1)),
    "dues": lambda c: _or(c.figures.rate_amount, Decimal(-1)),
    "items": lambda c: c.figures.data["items_overdue"],
}


@dataclass
class Dashboard:
    org: Organization
    period: object
    figures: Figures
    structure: dict
    children: list  # one page of the direct children, sorted (all of them without a page size)
    trend: list  # [(month, Figures)]
    months: list
    built: bool
    sort: str = "rag"
    descending: bool = False
    page: int = 1
    pages: int = 1
    total_children: int = 0
    first: int = 1  # the page's first row number (1-based)

    @property
    def rule_rows(self):
        out = []
        for code, label in RuleCode.choices:
            c = self.figures.rule_counts(code)
            decided = c["met"] + c["late"] + c["missing"]
            if not (decided or c["open"]):
                continue
            out.append({"code": code, "label": label, **c, "rate": pct(c["met"] + c["late"], decided)})
        return out

    @property
    def funnel(self):
        s = self.structure
        from members.models import MemberStatus

        return [
            (
                code,
                MemberStatus(code).label,
                s.get(code if code in ("probationary", "full") else f"status_{code}", 0),
            )
            for code in FUNNEL
        ]

    @property
    def has_previous(self):
        return self.page > 1

    @property
    def has_next(self):
        return self.page < self.pages


def dashboard(org, period, *, sort="rag", descending=False, page=1, page_size=RANK_PAGE):
    """The committee dashboard for `org` and `period` from the rollups (see the module docstring):
    every direct child judged and sorted by `sort`, then page `page` of `page_size` of them with
    its heat-map months. `page_size=None`: every child, no heat-map (the API)."""
    children = list(
        Organization.objects.filter(path__startswith=org.path, depth=org.depth + 1)
        .exclude(kind=OrgKind.PARTY_GROUP)
        .only("pk", "path", "depth", "kind", "name", "short_name")
        .order_by("path")
    )
    months = trend_months(period)
    own_codes = {period.code, NOW, *(m.code for m in months)}
    rows = {}
    for org_id, code, data in OrgFigures.objects.filter(
        Q(organization_id=org.pk, period__in=own_codes)
        | Q(organization_id__in=[c.pk for c in children], period=period.code)
    ).values_list("organization_id", "period", "data"):
        rows[(org_id, code)] = data

    def figures(pk, code):
        data = rows.get((pk, code))
        return Figures(data or empty(), built=data is not None)

    rules = _rules_by_scope(min(period.end, timezone.localdate()))
    judged = []
    for child in children:
        c = Child(org=child, figures=figures(child.pk, period.code))
        _judge(c, rules)
        judged.append(c)
    sort = sort if sort in SORTS else "rag"
    judged.sort(key=SORTS[sort], reverse=descending)
    total = len(judged)
    if page_size:
        pages = max(1, -(-total // page_size))
        page = min(max(1, page), pages)
        shown = judged[(page - 1) * page_size : page * page_size]
        _heat(shown, months)
    else:
        page, pages, shown = 1, 1, judged
    for c in shown:  # worded only for the children shown
        c.reasons = [(k, code, n, reason_text(k, code, n)) for k, code, n in c.reasons]
    own = figures(org.pk, period.code)
    return Dashboard(
        org=org,
        period=period,
        figures=own,
        structure=rows.get((org.pk, NOW), {}).get("structure", {}),
        children=shown,
        trend=[(m, figures(org.pk, m.code)) for m in months],
        months=months,
        built=own.built,
        sort=sort,
        descending=descending,
        page=page,
        pages=pages,
        total_children=total,
        first=(page - 1) * (page_size or 0) + 1,
    )


def _heat(children, months):
    """Each child's meeting rate per month (one query: only the rows' `rules`, for one page)."""
    if not children:
        return
    codes = [(m, m.code) for m in months]
    rules = {
        (org_id, code): value
        for org_id, code, value in OrgFigures.objects.filter(
            organization_id__in=[c.org.pk for c in children], period__in=[code for _m, code in codes]
        ).values_list("organization_id", "period", "data__rules")
    }
    for c in children:
        pk = c.org.pk
        c.heat = [(m, meeting_rate(rules.get((pk, code)) or {})) for m, code in codes]


def current_row(org, period, today):
    """A branch's figures for `period` from its rollup row when that row was computed today (the
    nightly run and every refresh stamp the day; statuses move with the calendar), else None."""
    data = (
        OrgFigures.objects.filter(organization=org, period=period.code, computed_on=today)
        .values_list("data", flat=True)
        .first()
    )
    return branch_row(org, data) if data is not None else None


def _num(value):
    return float(value) if value is not None else None


def chart_data(board):
    """What the ECharts on the page draw (the same numbers as the tables beside them); the heat-map
    and the bars cover the ranking's page of children."""
    children = board.children
    return {
        "months": [m.code for m in board.months],
        "trend": {
            "meetings": [_num(f.meeting_rate) for _m, f in board.trend],
            "attendance": [_num(f.attendance_rate) for _m, f in board.trend],
            "dues": [_num(f.rate_amount) for _m, f in board.trend],
            "closed": [f.data["items_closed"] for _m, f in board.trend],
        },
        "heat": {
            "rows": [c.org.name for c in children],
            "cells": [
                [j, i, _num(rate)] for i, c in enumerate(children) for j, (_m, rate) in enumerate(c.heat)
            ],
        },
        "collection": {
            "names": [c.org.name for c in children],
            "amount": [_num(c.figures.rate_amount) for c in children],
            "heads": [_num(c.figures.rate_heads) for c in children],
        },
        "funnel": [{"name": str(label), "value": n} for _code, label, n in board.funnel],
        "labels": {
            "meetings": _("组织生活达标率"),
            "attendance": _("到会率"),
            "dues": _("党费收缴率（金额）"),
            "heads": _("党费收缴率（人数）"),
            "closed": _("整改销号数"),
        },
    }
