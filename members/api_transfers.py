"""API for transfers (组织关系转接) and mobile members (流动党员).

Rows come only from `transfers_visible_to(user)` / `mobile_records_visible_to(user)`, so a foreign
id is a 404; writes go through members.services.transfers, whose field errors become a 400 with the
same field names and whose PermissionDenied becomes a 403."""

from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from branches.api import call_service, scope_related_fields
from branches.models import BRANCH_KINDS, Organization

from .models import (
    Member,
    MobileDirection,
    MobileRecord,
    MobileReport,
    Transfer,
    TransferDirection,
)
from .selectors_transfers import (
    mobile_records_visible_to,
    needs_transfer,
    overdue_transfers,
    report_missing,
    transfers_visible_to,
    with_mobile_flags,
    with_transfer_flags,
)
from .services import transfers as services


def _visible_members(user):
    return Member.objects.visible_to(user)


# --- Transfers -----------------------------------------------------------------------------------


# `direction` is read back as a plain string: drf-spectacular names one enum per choice set, and
# the write serializers (TransferCreate, MobileRecordCreate) already document the two sets.
class TransferSerializer(serializers.ModelSerializer):
    member_name = serializers.CharField(source="member.name", read_only=True)
    direction = serializers.CharField(read_only=True, help_text="internal / out / in")
    direction_display = serializers.CharField(source="get_direction_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    from_branch_name = serializers.CharField(source="from_branch.name", read_only=True, allow_null=True)
    to_branch_name = serializers.CharField(source="to_branch.name", read_only=True, allow_null=True)
    is_overdue = serializers.BooleanField(read_only=True, help_text=_("已过期未回执"))

    class Meta:
        model = Transfer
        fields = (
            "id",
            "member",
            "member_name",
            "direction",
            "direction_display",
            "status",
            "status_display",
            "from_branch",
            "from_branch_name",
            "to_branch",
            "to_branch_name",
            "external_org",
            "letter_no",
            "dues_paid_through",
            "outstanding_dues_acknowledged",
            "issued_on",
            "valid_until",
            "receipt_on",
            "confirmed_by",
            "reason",
            "is_overdue",
            "created_at",
        )
        read_only_fields = fields


class TransferCreateSerializer(serializers.Serializer):
    """Issue a letter: within the system (`to_branch`) or out of it (`external_org`, `letter_no`)."""

    direction = serializers.ChoiceField(
        choices=TransferDirection.choices, help_text=_("internal（系统内）或 out（系统外）")
    )
    member = serializers.PrimaryKeyRelatedField(queryset=Member.objects.all())
    to_branch = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.filter(kind__in=BRANCH_KINDS),
        required=False,
        allow_null=True,
        help_text=_("接收支部 id（系统内转接）"),
    )
    external_org = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    letter_no = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    issued_on = serializers.DateField()
    valid_until = serializers.DateField(required=False, allow_null=True, default=None)
    dues_paid_through = serializers.CharField(
        max_length=7, required=False, allow_blank=True, default="", help_text="YYYY-MM"
    )
    outstanding_dues_acknowledged = serializers.BooleanField(required=False, default=False)
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    def get_fields(self):
        # The member must be one the user may see; any branch in the system may receive.
        return scope_related_fields(super().get_fields(), self.context, member=_visible_members)

    def validate_direction(self, value):
        if value == TransferDirection.IN:
            raise serializers.ValidationError(_("从系统外转入请在页面登记（需录入党员信息）。"))
        return value


class TransferConfirmSerializer(serializers.Serializer):
    receipt_on = serializers.DateField(required=False, allow_null=True, default=None, help_text=_("默认今天"))


class TransferReceiptSerializer(serializers.Serializer):
    receipt_on = serializers.DateField()


class TransferCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


class TransferFilter(filters.FilterSet):
    member = filters.NumberFilter(field_name="member_id", label=_("党员 id"))
    overdue = filters.BooleanFilter(method="filter_overdue", label=_("已过期未回执"))

    class Meta:
        model = Transfer
        fields = ("status", "direction", "member")

    def filter_overdue(self, qs, name, value):
        if value is None:
            return qs
        overdue = overdue_transfers(qs)
        return overdue if value else qs.exclude(pk__in=overdue.values("pk"))


class TransferViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """组织关系转接: transfers whose sending or receiving branch the user runs or supervises (a
    member: their own). Create issues a letter; confirm (receiving branch), receipt and cancel
    (sending branch) move it on."""

    serializer_class = TransferSerializer
    filterset_class = TransferFilter
    search_fields = ["member__name", "letter_no", "external_org"]
    ordering_fields = ["issued_on", "valid_until", "id"]
    ordering = ["-issued_on", "-id"]

    def get_queryset(self):
        return with_transfer_flags(transfers_visible_to(self.request.user)).select_related(
            "member", "from_branch", "to_branch"
        )

    def _respond(self, transfer, code=status.HTTP_200_OK):
        return Response(self.get_serializer(self.get_queryset().get(pk=transfer.pk)).data, status=code)

    @extend_schema(request=TransferCreateSerializer, responses={201: TransferSerializer})
    def create(self, request, *args, **kwargs):
        body = TransferCreateSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        direction = data.pop("direction")
        if direction == TransferDirection.OUT:
            data.pop("to_branch", None)
            transfer = call_service(services.transfer_out_start, user=request.user, **data)
        else:
            data.pop("external_org", None)
            transfer = call_service(services.transfer_internal_start, user=request.user, **data)
        return self._respond(transfer, status.HTTP_201_CREATED)

    @extend_schema(request=TransferConfirmSerializer, responses=TransferSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        """The receiving branch confirms an internal transfer; the member moves to it."""
        transfer = self.get_object()
        body = TransferConfirmSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        call_service(services.transfer_confirm, user=request.user, transfer=transfer, **body.validated_data)
        return self._respond(transfer)

    @extend_schema(request=TransferReceiptSerializer, responses=TransferSerializer)
    @action(detail=True, methods=["post"])
    def receipt(self, request, pk=None):
        """Record the 回执 of a letter out of the system."""
        transfer = self.get_object()
        body = TransferReceiptSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        call_service(services.transfer_receipt, user=request.user, transfer=transfer, **body.validated_data)
        return self._respond(transfer)

    @extend_schema(request=TransferCancelSerializer, responses=TransferSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel a pending transfer (a member transferred out gets their status back)."""
        transfer = self.get_object()
        body = TransferCancelSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        call_service(services.transfer_cancel, user=request.user, transfer=transfer, **body.validated_data)
        return self._respond(transfer)


# --- Mobile members ------------------------------------------------------------------------------


class MobileReportSerializer(serializers.ModelSerializer):
    class Meta:
        model = MobileReport
        fields = ("id", "reported_on", "summary", "recorded_by", "created_at")
        read_only_fields = fields


class MobileRecordSerializer(serializers.ModelSerializer):
    member_name = serializers.CharField(source="member.name", read_only=True)
    direction = serializers.CharField(read_only=True, help_text="outflow / inflow")
    branch = serializers.IntegerField(source="member.branch_id", read_only=True)
    branch_name = serializers.CharField(source="member.branch.name", read_only=True)
    direction_display = serializers.CharField(source="get_direction_display", read_only=True)
    needs_transfer = serializers.BooleanField(read_only=True, help_text=_("应转接组织关系"))
    report_missing = serializers.BooleanField(read_only=True, help_text=_("本年度未汇报"))

    class Meta:
        model = MobileRecord
        fields = (
            "id",
            "member",
            "member_name",
            "branch",
            "branch_name",
            "direction",
            "direction_display",
            "location",
            "since",
            "until",
            "fixed_place",
            "contact",
            "home_org",
            "card_no",
            "card_issued_on",
            "last_report_on",
            "note",
            "needs_transfer",
            "report_missing",
        )
        read_only_fields = fields


class MobileRecordDetailSerializer(MobileRecordSerializer):
    reports = MobileReportSerializer(many=True, read_only=True)

    class Meta(MobileRecordSerializer.Meta):
        fields = (*MobileRecordSerializer.Meta.fields, "reports")
        read_only_fields = fields


class MobileRecordCreateSerializer(serializers.Serializer):
    member = serializers.PrimaryKeyRelatedField(queryset=Member.objects.all())
    direction = serializers.ChoiceField(choices=MobileDirection.choices)
    location = serializers.CharField(max_length=200)
    since = serializers.DateField()
    fixed_place = serializers.BooleanField(required=False, default=True)
    contact = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    home_org = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    card_no = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    card_issued_on = serializers.DateField(required=False, allow_null=True, default=None)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    def get_fields(self):
        return scope_related_fields(super().get_fields(), self.context, member=_visible_members)


class MobileReportCreateSerializer(serializers.Serializer):
    reported_on = serializers.DateField()
    summary = serializers.CharField(required=False, allow_blank=True, default="")


class MobileEndSerializer(serializers.Serializer):
    until = serializers.DateField()


class MobileRecordFilter(filters.FilterSet):
    member = filters.NumberFilter(field_name="member_id", label=_("党员 id"))
    open = filters.BooleanFilter(field_name="until", lookup_expr="isnull", label=_("流动中（未结束）"))
    needs_transfer = filters.BooleanFilter(method="filter_needs_transfer", label=_("应转接组织关系"))
    report_missing = filters.BooleanFilter(method="filter_report_missing", label=_("本年度未汇报"))

    class Meta:
        model = MobileRecord
        fields = ("direction", "member", "open")

    def filter_needs_transfer(self, qs, name, value):
        if value is None:
            return qs
        flagged = needs_transfer(qs)
        return flagged if value else qs.exclude(pk__in=flagged.values("pk"))

    def filter_report_missing(self, qs, name, value):
        if value is None:
            return qs
        flagged = report_missing(qs)
        return flagged if value else qs.exclude(pk__in=flagged.values("pk"))


class MobileRecordViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """流动党员登记: records of members in the branches the user runs or supervises (a member:
    their own), with the 应转接组织关系 and 本年度未汇报 flags."""

    serializer_class = MobileRecordSerializer
    filterset_class = MobileRecordFilter
    search_fields = ["member__name", "location", "card_no"]
    ordering_fields = ["since", "last_report_on", "id"]
    ordering = ["-since", "-id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request, no database
            return MobileRecord.objects.none()
        qs = with_mobile_flags(mobile_records_visible_to(self.request.user)).select_related("member__branch")
        if self.action != "list":
            qs = qs.prefetch_related("reports")
        return qs

    def get_serializer_class(self):
        return MobileRecordSerializer if self.action == "list" else MobileRecordDetailSerializer

    def _respond(self, record, code=status.HTTP_200_OK):
        return Response(self.get_serializer(self.get_queryset().get(pk=record.pk)).data, status=code)

    @extend_schema(request=MobileRecordCreateSerializer, responses={201: MobileRecordDetailSerializer})
    def create(self, request, *args, **kwargs):
        body = MobileRecordCreateSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        record = call_service(services.mobile_start, user=request.user, **body.validated_data)
        return self._respond(record, status.HTTP_201_CREATED)

    @extend_schema(request=MobileReportCreateSerializer, responses=MobileRecordDetailSerializer)
    @action(detail=True, methods=["post"])
    def report(self, request, pk=None):
        """Record the member's report home (at least once a year)."""
        record = self.get_object()
        body = MobileReportCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        call_service(services.mobile_report, user=request.user, record=record, **body.validated_data)
        return self._respond(record)

    @extend_schema(request=MobileEndSerializer, responses=MobileRecordDetailSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        """End the stretch of mobility."""
        record = self.get_object()
        body = MobileEndSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        call_service(services.mobile_end, user=request.user, record=record, **body.validated_data)
        return self._respond(record)
