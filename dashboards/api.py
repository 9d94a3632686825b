"""`GET /api/v1/dashboard/?org=<id>&period=2026-Q3`: the committee dashboard's figures for clients
that build their own big screens — the organisation's totals, per rule, per child organisation (with
red / amber / green and the reasons), the monthly trend and the membership structure. Read from the
same rollups as the page. A foreign organisation is a 404, a malformed parameter a 400 naming it."""

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from branches.models import Organization
from compliance.periods import QUARTER, PeriodError, current, parse_period

from . import selectors

RATE = {"max_digits": 5, "decimal_places": 1, "allow_null": True, "coerce_to_string": False}
MONEY = {"max_digits": 14, "decimal_places": 2, "coerce_to_string": False}


class FiguresSerializer(serializers.Serializer):
    branches = serializers.IntegerField(source="data.branches", help_text="branches in the subtree")
    red = serializers.IntegerField(source="data.red")
    amber = serializers.IntegerField(source="data.amber")
    green = serializers.IntegerField(source="data.green")
    meeting_rate = serializers.DecimalField(**RATE, help_text="% of decided rule-windows met or made up late")
    rules_missing = serializers.IntegerField()
    attendance_rate = serializers.DecimalField(**RATE)
    dues_due = serializers.DecimalField(**MONEY)
    dues_paid = serializers.DecimalField(**MONEY)
    rate_amount = serializers.DecimalField(**RATE, help_text="dues collection rate by amount, %")
    dues_owing = serializers.IntegerField(source="data.dues_owing")
    dues_paid_up = serializers.IntegerField(source="data.dues_paid_up")
    rate_heads = serializers.DecimalField(**RATE, help_text="dues collection rate by headcount, %")
    arrears_1_2 = serializers.IntegerField(source="data.arrears_b12")
    arrears_3_5 = serializers.IntegerField(source="data.arrears_b35")
    arrears_6_plus = serializers.IntegerField(source="data.arrears_b6")
    arrears_lapse_review = serializers.IntegerField(source="data.arrears_lapse")
    arrears_owed = serializers.DecimalField(**MONEY)
    collected = serializers.DecimalField(**MONEY)
    remitted = serializers.DecimalField(**MONEY)
    confirmed = serializers.DecimalField(**MONEY)
    remittance_status = serializers.CharField(help_text='"", none, partial, remitted or confirmed')
    items_open = serializers.IntegerField(source="data.items_open")
    items_overdue = serializers.IntegerField(source="data.items_overdue")
    items_closed = serializers.IntegerField(source="data.items_closed")
    close_rate = serializers.DecimalField(**RATE)
    dev_pipeline = serializers.IntegerField(source="data.dev_pipeline")
    dev_overdue = serializers.IntegerField(source="data.dev_overdue")
    mean_score = serializers.DecimalField(**RATE)


class RuleSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    met = serializers.IntegerField(help_text="branches that met the rule")
    late = serializers.IntegerField()
    open = serializers.IntegerField()
    missing = serializers.IntegerField()
    required = serializers.IntegerField()
    held = serializers.IntegerField()
    rate = serializers.DecimalField(**RATE)


class ReasonSerializer(serializers.Serializer):
    kind = serializers.CharField(
        help_text="rule, rule_branches, red_branches, lapse, items_overdue, dev_overdue, score"
    )
    code = serializers.CharField(allow_blank=True, help_text="the rule code for rule / rule_branches")
    n = serializers.CharField()
    text = serializers.CharField()


class ChildSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="org.pk")
    name = serializers.CharField(source="org.name")
    kind = serializers.CharField(source="org.kind")
    score = serializers.DecimalField(**RATE)
    rag = serializers.CharField(help_text="red, amber or green")
    reasons = serializers.SerializerMethodField()
    figures = FiguresSerializer()

    def get_reasons(self, child) -> ReasonSerializer(many=True):
        return [{"kind": k, "code": c, "n": str(n), "text": t} for k, c, n, t in child.reasons]


class TrendSerializer(serializers.Serializer):
    month = serializers.CharField()
    figures = FiguresSerializer()


class DashboardSerializer(serializers.Serializer):
    org = serializers.SerializerMethodField()
    period = serializers.CharField(source="period.code")
    start = serializers.DateField(source="period.start")
    end = serializers.DateField(source="period.end")
    built = serializers.BooleanField(help_text="false while the period's rollup has not been built yet")
    figures = FiguresSerializer()
    rules = RuleSerializer(source="rule_rows", many=True)
    children = serializers.SerializerMethodField()
    trend = serializers.SerializerMethodField()
    structure = serializers.DictField(
        child=serializers.IntegerField(), help_text="membership, terms, vacancies now"
    )

    def get_org(self, board) -> dict:
        return {"id": board.org.pk, "name": board.org.name, "kind": board.org.kind}

    def get_children(self, board) -> ChildSerializer(many=True):
        return ChildSerializer(board.children, many=True).data

    def get_trend(self, board) -> TrendSerializer(many=True):
        return [{"month": m.code, "figures": FiguresSerializer(f).data} for m, f in board.trend]


class DashboardView(APIView):
    """党建驾驶舱 figures of an organisation for a period."""

    @extend_schema(
        operation_id="dashboard_retrieve",
        parameters=[
            OpenApiParameter("org", OpenApiTypes.INT, required=True, description="organisation id"),
            OpenApiParameter(
                "period",
                OpenApiTypes.STR,
                description="2026-09 (month), 2026-Q3 (quarter) or 2026 (year); default: this quarter",
            ),
        ],
        responses={
            200: DashboardSerializer,
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
        # Every direct child (their number is the tree's shape, not the subtree's size), red first.
        return Response(DashboardSerializer(selectors.dashboard(org, period, page_size=None)).data)
