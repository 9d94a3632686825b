"""`GET /api/v1/compliance/?org=<id>&period=2026-Q3`: the per-rule result for an organisation (for
a committee rolled up over its subtree) and, page by page, per branch.

The organisation is looked up among those the user may see (`visible_to`): a foreign id is a 404
like a missing one. A malformed period is a 400 naming the parameter.

For a committee whose subtree has been rolled up for the period (the dashboards' rollups: every
period since the scale data or `rebuild_dashboards --since`, kept current by the apps' signals and
rebuilt nightly), a request costs the same whatever the subtree's size: the summary (`rules`) and
the order of the branches come from the rollup rows (`summary_as_of` says when they were computed)
and the engine runs for the page's branches only. Otherwise (a branch, or a period never rolled
up) the engine evaluates the whole subtree for the request and `summary_as_of` is `today`."""

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from branches.models import BRANCH_KINDS, Organization

from .engine import evaluate, sort_branches
from .models import RuleCode
from .periods import QUARTER, PeriodError, current, parse_period
from .selectors import branches_in_order, subtree_summary

STATUS_HELP = (
    "met, open (window not ended), late (made up late: minutes locked after the window), missing, n/a"
)


def status_field(**kwargs):
    # A plain string (not an enum): "status" names other choice sets across the API.
    return serializers.CharField(help_text=kwargs.pop("help_text", STATUS_HELP), **kwargs)


class WindowSerializer(serializers.Serializer):
    period = serializers.CharField(source="window.code", help_text="2026-09, 2026-Q3 or 2026")
    start = serializers.DateField(source="window.start")
    end = serializers.DateField(source="window.end")
    unit = serializers.CharField(
        help_text="党小组 name (党小组会) or talk pair type (谈心谈话); empty otherwise"
    )
    party_group = serializers.IntegerField(source="unit_id", allow_null=True)
    required = serializers.IntegerField()
    held = serializers.IntegerField(help_text="locked meetings held in the window")
    status = status_field()
    meeting_ids = serializers.ListField(child=serializers.IntegerField())


class RuleResultSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    applicable = serializers.BooleanField()
    frequency = serializers.CharField(allow_blank=True)
    required = serializers.IntegerField()
    held = serializers.IntegerField()
    status = status_field()
    meeting_ids = serializers.ListField(child=serializers.IntegerField())
    windows = WindowSerializer(many=True)


class RollUpSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    status = status_field(help_text="the worst status over the branches: " + STATUS_HELP)
    required = serializers.IntegerField()
    held = serializers.IntegerField()
    branches = serializers.DictField(
        source="counts", child=serializers.IntegerField(), help_text="branches per status"
    )
    met_rate = serializers.IntegerField(allow_null=True, help_text="percent of applicable branches met")


class BranchSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    full_members = serializers.IntegerField()
    missing = serializers.IntegerField(help_text="rules missed")
    rules = RuleResultSerializer(source="rule_list", many=True)


class ComplianceSerializer(serializers.Serializer):
    org = serializers.SerializerMethodField()
    period = serializers.CharField(source="period.code")
    start = serializers.DateField(source="period.start")
    end = serializers.DateField(source="period.end")
    today = serializers.DateField()
    rules = RollUpSerializer(many=True)

    def get_org(self, report) -> dict:
        return {"id": report.org.pk, "name": report.org.name, "kind": report.org.kind}


class PageSerializer(ComplianceSerializer):
    summary_as_of = serializers.DateField(
        help_text="the day `rules` (and an order other than by name) were computed: the rollup's "
        "date for a rolled-up committee, else today"
    )
    count = serializers.IntegerField(help_text="branches in the subtree")
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    branches = BranchSerializer(many=True)


class BranchPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


def rollups_json(rules):
    """What RollUpSerializer makes of each RollUp, built directly."""
    return [
        {
            "code": r.code,
            "label": str(r.label),
            "status": r.status,
            "required": r.required,
            "held": r.held,
            "branches": {str(status): n for status, n in r.counts.items()},
            "met_rate": r.met_rate,
        }
        for r in rules
    ]


def branches_json(branches):
    """What BranchSerializer makes of each BranchResult, built directly: a page of 50 branches
    holds some 450 rules and 900 windows, which DRF's fields took most of the request to
    serialise. What repeats is computed once: each rule's label (one translation per rule code,
    not per branch) and each window's period (the engine shares a window's Period among the
    branches under the same rules)."""
    labels = {code: str(label) for code, label in RuleCode.choices}
    periods = {}  # id(Period) → its fields: the Periods live in the report for the whole call

    def window_period(window):
        period = periods[id(window)] = (
            window.code,
            window.start.isoformat(),
            window.end.isoformat(),
        )
        return period

    out = []
    for branch in branches:
        rules = []
        for rule in branch.rules.values():
            windows = []
            for w in rule.windows:
                period = periods.get(id(w.window)) or window_period(w.window)
                windows.append(
                    {
                        "period": period[0],
                        "start": period[1],
                        "end": period[2],
                        "unit": w.unit,  # a string: the party group's name, the pair type's label or ""
                        "party_group": w.unit_id,
                        "required": w.required,
                        "held": w.held,
                        "status": w.status,
                        "meeting_ids": w.meeting_ids,  # encoded as it is: no copy
                    }
                )
            rules.append(
                {
                    "code": rule.code,
                    "label": labels[rule.code],
                    "applicable": bool(windows),
                    "frequency": rule.frequency,
                    "required": rule.required,
                    "held": rule.held,
                    "status": rule.status,
                    "meeting_ids": rule.meeting_ids,
                    "windows": windows,
                }
            )
        out.append(
            {
                "id": branch.id,
                "name": branch.name,
                "full_members": branch.full_members,
                "missing": branch.missing,
                "rules": rules,
            }
        )
    return out


class ComplianceView(APIView):
    """三会一课 compliance of an organisation for a period."""

    @extend_schema(
        operation_id="compliance_retrieve",
        parameters=[
            OpenApiParameter(
                "org", OpenApiTypes.INT, required=True, description="organisation id (党委 or 党支部)"
            ),
            OpenApiParameter(
                "period",
                OpenApiTypes.STR,
                description="2026-09 (month), 2026-Q3 (quarter) or 2026 (year); default: this quarter",
            ),
            OpenApiParameter(
                "sort",
                OpenApiTypes.STR,
                description="name (default), missing, or a rule code (worst first with -)",
            ),
            OpenApiParameter("page", OpenApiTypes.INT),
            OpenApiParameter("page_size", OpenApiTypes.INT, description="branches per page (≤ 500)"),
        ],
        responses={
            200: PageSerializer,
            400: OpenApiResponse(description="malformed `org` or `period`: {parameter: [message]}"),
            404: OpenApiResponse(description="no such organisation among those the user may see"),
        },
    )
    def get(self, request):
        raw_org = request.query_params.get("org", "")
        if not raw_org.isdigit():
            raise ValidationError({"org": [_("请提供党组织编号（整数）。")]})
        org = get_object_or_404(Organization.objects.visible_to(request.user), pk=int(raw_org))
        raw_period = request.query_params.get("period")
        try:
            period = parse_period(raw_period) if raw_period else current(QUARTER, timezone.localdate())
        except PeriodError as exc:
            raise ValidationError({"period": [str(exc)]}) from None
        sort = request.query_params.get("sort", "name")
        key, descending = sort.lstrip("-"), sort.startswith("-")
        paginator = BranchPagination()
        summary = None if org.kind in BRANCH_KINDS else subtree_summary(org, period)
        if summary is None:
            report = evaluate(org, period)
            rules, as_of = report.rules, report.today
            page = paginator.paginate_queryset(sort_branches(report, key, descending), request, view=self)
        else:
            rules, as_of = summary
            orgs = paginator.paginate_queryset(branches_in_order(org, period, key, descending), request, self)
            report = evaluate(org, period, only=orgs)
            results = {b.id: b for b in report.branches}
            page = [results[o.pk] for o in orgs]
        # What PageSerializer makes of it, built directly (the tests compare the two).
        data = {
            "org": {"id": org.pk, "name": org.name, "kind": org.kind},
            "period": period.code,
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
            "today": report.today.isoformat(),
            "rules": rollups_json(rules),
            "summary_as_of": as_of.isoformat(),
            "count": paginator.page.paginator.count,
            "next": paginator.get_next_link(),
            "previous": paginator.get_previous_link(),
            "branches": branches_json(page),
        }
        return Response(data)
