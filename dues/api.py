"""The dues API: bases, obligations, payments (with reversal), arrears, remittances and the public
calculator. Every queryset starts from `visible_to(user)`: officers and committee staff see their
subtree, a member's token reads only their own rows; a foreign object is a 404. Writes go through
dues.services. Amounts are decimal strings ("120.00")."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from branches.api import call_service, scope_related_fields
from branches.models import BRANCH_KINDS, Organization
from branches.permissions import ScopedPermission
from members.models import DuesCategory, Member

from . import selectors, services
from .calculator import calculate, needs_income, parse_category, parse_income
from .models import (
    Channel,
    DuesBase,
    DuesObligation,
    DuesPayment,
    PaymentKind,
    Remittance,
    parse_period,
    period_label,
)

FILTER_BACKENDS = [filters.DjangoFilterBackend, OrderingFilter]


def _members(user):
    return Member.objects.visible_to(user)


def _branches(user):
    return Organization.objects.visible_to(user).filter(kind__in=BRANCH_KINDS)


@extend_schema_field({"type": "string", "pattern": r"^\d{4}-\d{2}$", "example": "2026-05"})
class PeriodSerializerField(serializers.Field):
    """A month as "YYYY-MM" (stored as an integer period)."""

    def to_representation(self, value):
        return period_label(value)

    def to_internal_value(self, data):
        period = parse_period(data)
        if period is None:
            raise serializers.ValidationError(_("月份的格式应为YYYY-MM，如2026-05。"))
        return period


class PeriodFilter(filters.CharFilter):
    def filter(self, qs, value):
        if not value:
            return qs
        period = parse_period(value)
        if period is None:
            raise ValidationError({self.field_name: _("月份的格式应为YYYY-MM，如2026-05。")})
        return qs.filter(**{f"{self.field_name}__{self.lookup_expr}": period})


# --- Calculator ----------------------------------------------------------------------------------


class CalculatorResultSerializer(serializers.Serializer):
    category = serializers.ChoiceField(choices=DuesCategory.choices)
    income = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    rate = serializers.DecimalField(max_digits=6, decimal_places=4, allow_null=True)
    monthly_amount = serializers.DecimalField(max_digits=10, decimal_places=2)
    rule = inline_serializer(
        "DuesRule",
        {
            "kind": serializers.ChoiceField(choices=["bracket", "fixed"]),
            "description": serializers.CharField(),
            "table": serializers.CharField(required=False),
            "lower_exclusive": serializers.CharField(required=False, allow_null=True),
            "upper_inclusive": serializers.CharField(required=False, allow_null=True),
            "effective_from": serializers.DateField(required=False),
            "source": serializers.CharField(),
            "rounding": serializers.CharField(),
        },
    )


class CalculatorView(APIView):
    """党费计算器 (public): the monthly amount for a category and a monthly income under the national
    rules of 党费规定 (upper bounds inclusive, half-up to the fen). `income` is required for
    in_service, retired, annual_salary and self_employed; the fixed-amount categories ignore it."""

    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "category", str, enum=DuesCategory.values, required=True, description="党费类别"
            ),
            OpenApiParameter(
                "income", OpenApiTypes.DECIMAL, required=False, description="月收入（元），如 4500.00"
            ),
        ],
        responses={200: CalculatorResultSerializer},
    )
    def get(self, request):
        try:
            category = parse_category(request.query_params.get("category"))
            income = parse_income(request.query_params.get("income"), required=needs_income(category))
            result = calculate(category, income)
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict) from exc
        return Response(
            CalculatorResultSerializer(
                {
                    "category": result.category,
                    "income": result.income,
                    "rate": result.rate,
                    "monthly_amount": result.monthly_amount,
                    "rule": result.rule,
                }
            ).data
        )


# --- Bases ---------------------------------------------------------------------------------------


class BaseSerializer(serializers.ModelSerializer):
    member_name = serializers.CharField(source="member.name", read_only=True)
    branch = serializers.PrimaryKeyRelatedField(read_only=True)
    member = serializers.PrimaryKeyRelatedField(queryset=Member.objects.none())
    income = serializers.DecimalField(
        max_digits=12, decimal_places=2, allow_null=True, required=False, min_value=0
    )

    class Meta:
        model = DuesBase
        fields = [
            "id",
            "member",
            "member_name",
            "branch",
            "year",
            "category",
            "income",
            "rate",
            "monthly_amount",
            "status",
            "verified_by",
            "verified_at",
            "locked_at",
            "note",
        ]
        read_only_fields = ["rate", "monthly_amount", "status", "verified_by", "verified_at", "locked_at"]
        validators = []

    def get_fields(self):
        return scope_related_fields(super().get_fields(), self.context, member=_members)


class BaseFilter(filters.FilterSet):
    branch = filters.NumberFilter(field_name="branch_id")
    member = filters.NumberFilter(field_name="member_id")

    class Meta:
        model = DuesBase
        fields = ["year", "status", "category", "branch", "member"]


class BaseViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """党费基数: one per member per year. POST enters or corrects a base before it is locked (the
    amount is computed by the rules); a locked base changes only by an approved adjustment."""

    serializer_class = BaseSerializer
    permission_classes = [ScopedPermission]
    filter_backends = FILTER_BACKENDS
    filterset_class = BaseFilter
    ordering_fields = ["year", "monthly_amount"]

    def get_queryset(self):
        return (
            DuesBase.objects.visible_to(self.request.user)
            .select_related("member")
            .order_by("-year", "member_id")
        )

    def scope_org(self, obj):
        return obj.branch

    def perform_create(self, serializer):
        data = serializer.validated_data
        base = call_service(
            services.dues_base_save,
            user=self.request.user,
            member=data["member"],
            year=data["year"],
            category=data["category"],
            income=data.get("income"),
            note=data.get("note", ""),
        )
        serializer.instance = self.get_queryset().get(pk=base.pk)


# --- Obligations ---------------------------------------------------------------------------------


class ObligationSerializer(serializers.ModelSerializer):
    period = PeriodSerializerField()
    member_name = serializers.CharField(source="member.name", read_only=True)
    reversed = serializers.BooleanField(read_only=True)

    class Meta:
        model = DuesObligation
        fields = [
            "id",
            "member",
            "member_name",
            "branch",
            "period",
            "amount",
            "kind",
            "reverses",
            "reversed",
            "reason",
            "created_at",
        ]


class ObligationFilter(filters.FilterSet):
    member = filters.NumberFilter(field_name="member_id")
    branch = filters.NumberFilter(field_name="branch_id")
    period = PeriodFilter(field_name="period", lookup_expr="exact")
    period_from = PeriodFilter(field_name="period", lookup_expr="gte")
    period_to = PeriodFilter(field_name="period", lookup_expr="lte")

    class Meta:
        model = DuesObligation
        fields = ["member", "branch", "kind", "period", "period_from", "period_to"]


class ObligationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """应交党费: the monthly ledger (charges and the reversals that cancel them; never edited)."""

    serializer_class = ObligationSerializer
    permission_classes = [ScopedPermission]
    filter_backends = FILTER_BACKENDS
    filterset_class = ObligationFilter
    ordering_fields = ["period", "created_at"]

    def get_queryset(self):
        reversal = DuesObligation.objects.filter(reverses=OuterRef("pk"))
        return (
            DuesObligation.objects.visible_to(self.request.user)
            .select_related("member")
            .annotate(reversed=Exists(reversal))
            .order_by("-period", "member_id", "pk")
        )

    def scope_org(self, obj):
        return obj.branch


# --- Payments ------------------------------------------------------------------------------------


class AllocationSerializer(serializers.Serializer):
    period = PeriodSerializerField()
    amount = serializers.DecimalField(max_digits=10, decimal_places=2)


class PaymentSerializer(serializers.ModelSerializer):
    member = serializers.PrimaryKeyRelatedField(queryset=Member.objects.none())
    member_name = serializers.CharField(source="member.name", read_only=True)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.CASH)
    kind = serializers.ChoiceField(choices=PaymentKind.choices, default=PaymentKind.REGULAR)
    allocations = AllocationSerializer(many=True, read_only=True)
    reversed_by = serializers.IntegerField(source="reversal.pk", read_only=True, default=None)
    collector_member = serializers.PrimaryKeyRelatedField(
        source="collected_by",
        queryset=Member.objects.none(),
        required=False,
        allow_null=True,
        help_text="The branch member who collected the money (default: the recording user's member record).",
    )
    collector_member_name = serializers.CharField(source="collected_by.name", read_only=True, default="")

    class Meta:
        model = DuesPayment
        fields = [
            "id",
            "member",
            "member_name",
            "branch",
            "kind",
            "amount",
            "paid_on",
            "channel",
            "collector",
            "collector_member",
            "collector_member_name",
            "receipt_no",
            "reverses_receipt_no",
            "is_proxy",
            "payer_name",
            "proxy_reason",
            "to_centre",
            "note",
            "reverses",
            "reversed_by",
            "reason",
            "allocations",
            "recorded_at",
        ]
        read_only_fields = [
            "branch",
            "collector",
            "receipt_no",
            "reverses_receipt_no",
            "to_centre",
            "reverses",
            "reason",
            "recorded_at",
        ]

    def get_fields(self):
        return scope_related_fields(
            super().get_fields(), self.context, member=_members, collector_member=_members
        )


class PaymentFilter(filters.FilterSet):
    member = filters.NumberFilter(field_name="member_id")
    branch = filters.NumberFilter(field_name="branch_id")
    paid_from = filters.DateFilter(field_name="paid_on", lookup_expr="gte")
    paid_to = filters.DateFilter(field_name="paid_on", lookup_expr="lte")

    class Meta:
        model = DuesPayment
        fields = ["member", "branch", "kind", "channel", "to_centre", "paid_from", "paid_to"]


class ReverseSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


class PaymentViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """党费交纳: POST records a payment (allocated oldest month first, receipt number generated);
    POST …/reverse/ cancels one with a reason (a negative entry; nothing is deleted)."""

    serializer_class = PaymentSerializer
    permission_classes = [ScopedPermission]
    filter_backends = FILTER_BACKENDS
    filterset_class = PaymentFilter
    ordering_fields = ["paid_on", "amount"]
    scope_actions = {"reverse": "edit"}

    def get_queryset(self):
        return (
            DuesPayment.objects.visible_to(self.request.user)
            .select_related("member", "reversal", "collected_by")
            .prefetch_related("allocations")
            .order_by("-paid_on", "-pk")
        )

    def scope_org(self, obj):
        return obj.branch

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        if "collected_by" in data:
            data["collector_member"] = data.pop("collected_by")
        payment = call_service(services.dues_payment_record, user=self.request.user, **data)
        serializer.instance = self.get_queryset().get(pk=payment.pk)

    @extend_schema(request=ReverseSerializer, responses={201: PaymentSerializer})
    @action(detail=True, methods=["post"])
    def reverse(self, request, pk=None):
        payment = self.get_object()
        body = ReverseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        reversal = call_service(
            services.dues_payment_reverse, user=request.user, payment=payment, **body.validated_data
        )
        return Response(
            PaymentSerializer(self.get_queryset().get(pk=reversal.pk), context={"request": request}).data,
            status=201,
        )


# --- Arrears -------------------------------------------------------------------------------------


class ArrearsSerializer(serializers.Serializer):
    member = serializers.IntegerField(source="member.pk")
    member_name = serializers.CharField(source="member.name")
    branch = serializers.IntegerField(source="member.branch_id")
    months = serializers.IntegerField(source="arrears.months")
    amount = serializers.DecimalField(source="arrears.amount", max_digits=12, decimal_places=2)
    oldest_month = serializers.CharField(source="arrears.oldest_label")
    bucket = serializers.ChoiceField(source="arrears.bucket", choices=["1-2", "3-5", "6+"])
    lapse_review = serializers.BooleanField(source="arrears.lapse_review")


class ArrearsViewSet(viewsets.GenericViewSet):
    """欠交: per member, the months before the current one not fully paid, the amount, the oldest
    month, the bucket (1–2, 3–5, ≥ 6) and the 自行脱党 review flag (6 consecutive months with
    nothing paid). Only members with arrears are listed."""

    serializer_class = ArrearsSerializer
    permission_classes = [ScopedPermission]
    pagination_class = PageNumberPagination
    queryset = Member.objects.none()  # rows come from dues.selectors; this names the model for the schema

    @extend_schema(
        parameters=[
            OpenApiParameter("branch", int, description="只看该支部"),
            OpenApiParameter("bucket", str, enum=["1-2", "3-5", "6+"]),
            OpenApiParameter("lapse_review", bool),
        ]
    )
    def list(self, request):
        members = Member.objects.visible_to(request.user)
        branch = request.query_params.get("branch")
        if branch:
            if not branch.isdigit():
                raise ValidationError({"branch": _("应为党支部编号。")})
            members = members.filter(branch_id=int(branch))
        arrears = selectors.arrears_for_queryset(members)
        rows = list(arrears.items())
        bucket = request.query_params.get("bucket")
        if bucket:
            if bucket not in ("1-2", "3-5", "6+"):
                raise ValidationError({"bucket": _("可选：1-2、3-5、6+。")})
            rows = [r for r in rows if r[1].bucket == bucket]
        if request.query_params.get("lapse_review") in ("true", "1"):
            rows = [r for r in rows if r[1].lapse_review]
        rows.sort(key=lambda r: (-r[1].months, r[0]))
        page = self.paginate_queryset(rows)
        people = Member.objects.only("pk", "name", "branch_id").in_bulk([m for m, _a in page])
        data = [{"member": people[m], "arrears": a} for m, a in page if m in people]
        return self.get_paginated_response(ArrearsSerializer(data, many=True).data)


# --- Remittances ---------------------------------------------------------------------------------


class RemittanceSerializer(serializers.ModelSerializer):
    branch = serializers.PrimaryKeyRelatedField(queryset=Organization.objects.none())
    start_period = PeriodSerializerField()
    end_period = PeriodSerializerField()
    amount = serializers.DecimalField(
        max_digits=12, decimal_places=2, required=False, allow_null=True, min_value=0
    )

    class Meta:
        model = Remittance
        fields = [
            "id",
            "branch",
            "to_org",
            "start_period",
            "end_period",
            "amount",
            "remitted_on",
            "status",
            "note",
            "recorded_by",
            "recorded_at",
            "confirmed_by",
            "confirmed_at",
        ]
        read_only_fields = ["to_org", "status", "recorded_by", "recorded_at", "confirmed_by", "confirmed_at"]
        validators = []

    def get_fields(self):
        return scope_related_fields(super().get_fields(), self.context, branch=_branches)


class RemittanceFilter(filters.FilterSet):
    branch = filters.NumberFilter(field_name="branch_id")
    to_org = filters.NumberFilter(field_name="to_org_id")

    class Meta:
        model = Remittance
        fields = ["branch", "to_org", "status"]


class RemittanceViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """上缴: a branch remits a month or a quarter to the committee above (POST); the committee
    confirms receipt (POST …/confirm/)."""

    serializer_class = RemittanceSerializer
    permission_classes = [ScopedPermission]
    filter_backends = FILTER_BACKENDS
    filterset_class = RemittanceFilter
    ordering_fields = ["end_period", "remitted_on"]
    scope_actions = {"confirm": "see"}

    def get_queryset(self):
        return Remittance.objects.visible_to(self.request.user).order_by("-end_period", "-pk")

    def scope_org(self, obj):
        return obj.branch

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        remittance = call_service(services.remittance_submit, user=self.request.user, **data)
        serializer.instance = remittance

    @extend_schema(request=None, responses={200: RemittanceSerializer})
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        remittance = self.get_object()
        remittance = call_service(services.remittance_confirm, user=request.user, remittance=remittance)
        return Response(RemittanceSerializer(remittance, context={"request": request}).data)
