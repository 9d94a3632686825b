"""The members API: records, development steps, assessments and the development schedule.

Every queryset starts from `Member.objects.visible_to(user)` (a foreign member is a 404), every
write goes through the services (`members.services`), and the protected values leave the server
only through the audited `reveal` action: lists and details carry the masked copies."""

from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response

from branches.api import call_service, scope_related_fields
from branches.models import Organization
from branches.permissions import ScopedPermission

from .models import (
    CURRENT_STATUSES,
    Assessment,
    DevelopmentStep,
    DuesCategory,
    Member,
    MemberStatus,
)
from .pipeline import STEP_BY_NO
from .selectors import search_q
from .services.development import RuleWarnings, assessment_record, step_record
from .services.records import MEMBER_FIELDS, member_create, member_reveal, member_update

# The ciphertext columns are never loaded for a list or a detail: nothing decrypts them except the
# audited reveal (and the services, which fetch their own row).
PROTECTED = ("id_number", "phone")
# No DRF `search` here: members are searched by `q` (name, pinyin initials, ID tail).
FILTER_BACKENDS = [filters.DjangoFilterBackend, OrderingFilter]


def _visible_orgs(user):
    return Organization.objects.visible_to(user)


def _visible_members(user):
    return Member.objects.visible_to(user)


def _step_name(no):
    return str(STEP_BY_NO[no].name) if no in STEP_BY_NO else None


def _within(qs, request, value, prefix):
    """Rows under organisation `value` (inclusive); the anchor is looked up among the
    organisations the user may see, so a foreign id filters like a missing one."""
    path = _visible_orgs(request.user).filter(pk=value).values_list("path", flat=True).first()
    return qs.filter(**{f"{prefix}path__startswith": path}) if path else qs.none()


# --------------------------------------------------------------------------------------------
# Members
# --------------------------------------------------------------------------------------------


class MemberSerializer(serializers.ModelSerializer):
    branch = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.all(), help_text=_("所在支部 id（仅创建时；转支部请办理组织关系转接）")
    )
    branch_name = serializers.CharField(source="branch.name", read_only=True)
    party_group = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.all(), required=False, allow_null=True, help_text=_("党小组 id")
    )
    party_group_name = serializers.CharField(source="party_group.name", read_only=True, allow_null=True)
    status = serializers.ChoiceField(
        choices=[(s, MemberStatus(s).label) for s in CURRENT_STATUSES],
        required=False,
        help_text=_("建档时的政治面貌（仅创建时）；之后只能通过发展流程或组织关系转接变更。"),
    )
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    gender_display = serializers.CharField(source="get_gender_display", read_only=True)
    education_display = serializers.CharField(source="get_education_display", read_only=True)
    dues_category_display = serializers.CharField(source="get_dues_category_display", read_only=True)
    id_number = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=30,  # spaces are allowed and removed by the service
        help_text=_("身份证号（只写；读取时见 id_masked，完整号码通过 reveal 查看并留痕）"),
    )
    phone = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=20,
        help_text=_("手机号码（只写；读取时见 phone_masked）"),
    )
    next_step_name = serializers.SerializerMethodField()
    party_age = serializers.SerializerMethodField()

    class Meta:
        model = Member
        fields = (
            "id",
            "name",
            "name_initials",
            "gender",
            "gender_display",
            "ethnicity",
            "birth_date",
            "education",
            "education_display",
            "id_number",
            "id_masked",
            "phone",
            "phone_masked",
            "branch",
            "branch_name",
            "party_group",
            "party_group_name",
            "status",
            "status_display",
            "dues_category",
            "dues_category_display",
            "applied_on",
            "activist_on",
            "target_on",
            "admitted_on",
            "probation_end_on",
            "regularised_on",
            "probation_extension_months",
            "next_step_no",
            "next_step_name",
            "next_step_due",
            "next_step_earliest",
            "party_age",
            "is_mobile",
            "is_elderly_infirm",
            "is_hardship",
            "quorum_excluded",
            "quorum_exclusion_reason",
            "updated_at",
        )
        read_only_fields = (
            "name_initials",
            "id_masked",
            "phone_masked",
            "probation_extension_months",
            "next_step_no",
            "next_step_due",
            "next_step_earliest",
            "is_mobile",
            "updated_at",
        )
        extra_kwargs = {"gender": {"required": False}}

    def get_fields(self):
        return scope_related_fields(
            super().get_fields(), self.context, branch=_visible_orgs, party_group=_visible_orgs
        )

    def get_next_step_name(self, obj) -> str | None:
        return _step_name(obj.next_step_no)

    def get_party_age(self, obj) -> int | None:
        return obj.party_age(self.context["today"])

    def validate(self, attrs):
        if self.instance is not None:
            fixed = {
                "branch": _("所在支部不能直接修改；请办理组织关系转接。"),
                "status": _("政治面貌不能直接修改；请登记发展步骤或办理组织关系转接。"),
            }
            errors = {name: [msg] for name, msg in fixed.items() if name in attrs}
            if errors:
                raise ValidationError(errors)
        return attrs


class MemberFilter(filters.FilterSet):
    branch = filters.NumberFilter(field_name="branch_id", label=_("所在支部 id"))
    within = filters.NumberFilter(method="filter_within", label=_("某组织的下级（含自身）"))
    party_group = filters.NumberFilter(field_name="party_group_id", label=_("党小组 id"))
    status = filters.MultipleChoiceFilter(choices=MemberStatus.choices)
    dues_category = filters.MultipleChoiceFilter(choices=DuesCategory.choices)
    current = filters.BooleanFilter(
        method="filter_current", label=_("true：仅在册（申请人至正式党员）；false：仅已离册")
    )
    q = filters.CharFilter(method="filter_q", label=_("姓名、拼音首字母或身份证号后4位"), max_length=50)

    class Meta:
        model = Member
        fields = ("is_mobile", "is_elderly_infirm", "is_hardship", "quorum_excluded")

    def filter_within(self, qs, name, value):
        return _within(qs, self.request, value, "branch__")

    def filter_current(self, qs, name, value):
        return qs.filter(status__in=CURRENT_STATUSES) if value else qs.exclude(status__in=CURRENT_STATUSES)

    def filter_q(self, qs, name, value):
        return qs.filter(search_q(value))  # the roster's search, through the same indexes


class MemberViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """党员档案: the members the user may see. 身份证号 and phone are shown masked; the full value
    comes from `reveal`, for the member themself, the branch officers and the committee above."""

    serializer_class = MemberSerializer
    permission_classes = [ScopedPermission]
    filter_backends = FILTER_BACKENDS
    filterset_class = MemberFilter
    ordering_fields = [
        "name",
        "name_initials",
        "birth_date",
        "status",
        "admitted_on",
        "regularised_on",
        "next_step_due",
        "updated_at",
    ]
    http_method_names = ["get", "post", "patch", "head", "options"]
    # The service decides who may see a full value (the member themself included).
    scope_actions = {"reveal": "see"}

    def get_queryset(self):
        return (
            Member.objects.visible_to(self.request.user)
            .select_related("branch", "party_group")
            .defer(*PROTECTED)
            .order_by("branch__path", "name", "pk")
        )

    def scope_org(self, obj):
        return obj.branch

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "today": timezone.localdate()}

    def _fields(self, serializer):
        return {k: v for k, v in serializer.validated_data.items() if k in MEMBER_FIELDS}

    def perform_create(self, serializer):
        data = serializer.validated_data
        member = call_service(
            member_create,
            user=self.request.user,
            branch=data["branch"],  # resolved among visible organisations only
            status=data.get("status", MemberStatus.FULL),
            **self._fields(serializer),
        )
        serializer.instance = self.get_queryset().get(pk=member.pk)

    def perform_update(self, serializer):
        member = call_service(
            member_update, user=self.request.user, member=serializer.instance, **self._fields(serializer)
        )
        serializer.instance = self.get_queryset().get(pk=member.pk)

    @extend_schema(
        request=inline_serializer(
            "MemberRevealRequest",
            {"field": serializers.ChoiceField(choices=[("id_number", "身份证号"), ("phone", "手机号码")])},
        ),
        responses=inline_serializer(
            "MemberRevealResponse", {"field": serializers.CharField(), "value": serializers.CharField()}
        ),
    )
    @action(detail=True, methods=["post"])
    def reveal(self, request, pk=None):
        """The full 身份证号 or phone number; each call is written to the audit trail."""
        member = self.get_object()
        field = request.data.get("field")
        if field not in PROTECTED:
            raise ValidationError({"field": [_("请选择 id_number 或 phone。")]})
        value = call_service(member_reveal, user=request.user, member=member, field=field)
        return Response({"field": field, "value": value})


# --------------------------------------------------------------------------------------------
# The development schedule (upcoming and overdue steps)
# --------------------------------------------------------------------------------------------


class ScheduleSerializer(serializers.ModelSerializer):
    branch_name = serializers.CharField(source="branch.name", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    next_step_name = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = Member
        fields = (
            "id",
            "name",
            "branch",
            "branch_name",
            "status",
            "status_display",
            "next_step_no",
            "next_step_name",
            "next_step_due",
            "next_step_earliest",
            "overdue",
        )
        read_only_fields = fields

    def get_next_step_name(self, obj) -> str | None:
        return _step_name(obj.next_step_no)

    def get_overdue(self, obj) -> bool:
        return obj.next_step_due is not None and obj.next_step_due < self.context["today"]


class ScheduleFilter(filters.FilterSet):
    branch = filters.NumberFilter(field_name="branch_id", label=_("所在支部 id"))
    within = filters.NumberFilter(method="filter_within", label=_("某组织的下级（含自身）"))
    status = filters.MultipleChoiceFilter(choices=MemberStatus.choices)
    step_no = filters.NumberFilter(field_name="next_step_no", label=_("下一步骤"))
    overdue = filters.BooleanFilter(method="filter_overdue", label=_("true：已逾期；false：未逾期"))

    class Meta:
        model = Member
        fields = ()

    def filter_within(self, qs, name, value):
        return _within(qs, self.request, value, "branch__")

    def filter_overdue(self, qs, name, value):
        late = Q(next_step_due__lt=timezone.localdate())
        return qs.filter(late) if value else qs.exclude(late)


class DevelopmentScheduleViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """发展党员进度: everyone with a next development step, the nearest deadline first (people with
    no deadline last)."""

    serializer_class = ScheduleSerializer
    permission_classes = [ScopedPermission]
    filter_backends = [filters.DjangoFilterBackend]  # a fixed order: the nearest deadline first
    filterset_class = ScheduleFilter

    def get_queryset(self):
        return (
            Member.objects.visible_to(self.request.user)
            .filter(next_step_no__isnull=False)
            .select_related("branch")
            .defer(*PROTECTED)
            .order_by(F("next_step_due").asc(nulls_last=True), "pk")
        )

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "today": timezone.localdate()}


# --------------------------------------------------------------------------------------------
# Development steps and assessments
# --------------------------------------------------------------------------------------------


class DevelopmentStepSerializer(serializers.ModelSerializer):
    member = serializers.PrimaryKeyRelatedField(queryset=Member.objects.all())
    member_name = serializers.CharField(source="member.name", read_only=True)
    step_name = serializers.SerializerMethodField()
    stage = serializers.SerializerMethodField()
    detail = serializers.DictField(
        required=False,
        help_text=_(
            "步骤所需的详情：第5步 cultivators（党员 id 列表）；第9步 sponsors；第11步 hours、days；"
            "第15、23步 notice_from、notice_to、eligible、present、ayes。"
        ),
    )
    confirm_warnings = serializers.BooleanField(
        write_only=True,
        required=False,
        default=False,
        help_text=_("提示性规则（如谈话逾期）返回 warnings 后，确认无误再次提交时设为 true。"),
    )
    recorded_by_name = serializers.CharField(source="recorded_by.name", read_only=True, allow_null=True)

    class Meta:
        model = DevelopmentStep
        fields = (
            "id",
            "member",
            "member_name",
            "step_no",
            "step_name",
            "stage",
            "done_on",
            "detail",
            "approval_ref",
            "note",
            "confirm_warnings",
            "recorded_by_name",
            "recorded_at",
        )
        read_only_fields = ("recorded_at",)
        # The service checks "once per member" with a message that names the step.
        validators = []

    def get_fields(self):
        return scope_related_fields(super().get_fields(), self.context, member=_visible_members)

    def get_step_name(self, obj) -> str | None:
        return _step_name(obj.step_no)

    def get_stage(self, obj) -> int | None:
        step = STEP_BY_NO.get(obj.step_no)
        return int(step.stage) if step else None


class DevelopmentStepFilter(filters.FilterSet):
    member = filters.NumberFilter(field_name="member_id", label=_("党员 id"))

    class Meta:
        model = DevelopmentStep
        fields = ("member", "step_no")


RULE_WARNINGS_RESPONSE = inline_serializer(
    "DevelopmentStepWarnings",
    {
        "warnings": serializers.ListField(child=serializers.CharField()),
        "detail": serializers.CharField(),
    },
)


class DevelopmentStepViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """发展步骤: the recorded steps of the people the user may see. Creating one applies the time
    rules of 发展党员工作细则: a hard rule answers 400 with the field's message; soft rules answer
    400 with `warnings`, and the same request with `confirm_warnings: true` records the step."""

    serializer_class = DevelopmentStepSerializer
    permission_classes = [ScopedPermission]
    filter_backends = FILTER_BACKENDS
    filterset_class = DevelopmentStepFilter
    ordering_fields = ["done_on", "step_no", "recorded_at"]

    def get_queryset(self):
        return (
            DevelopmentStep.objects.filter(member__in=Member.objects.visible_to(self.request.user))
            .select_related("member__branch", "recorded_by")
            .defer(*(f"member__{name}" for name in PROTECTED))
            .order_by("member_id", "step_no")
        )

    def scope_org(self, obj):
        return obj.member.branch

    @extend_schema(responses={201: DevelopmentStepSerializer, 400: RULE_WARNINGS_RESPONSE})
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        step = call_service(
            _step_record,
            user=self.request.user,
            member=data["member"],  # resolved among visible members only
            step_no=data["step_no"],
            done_on=data["done_on"],
            detail=data.get("detail") or {},
            approval_ref=data.get("approval_ref", ""),
            note=data.get("note", ""),
            confirm_warnings=data.get("confirm_warnings", False),
        )
        serializer.instance = self.get_queryset().get(pk=step.pk)


def _step_record(**kwargs):
    """step_record, with soft-rule warnings answered apart from errors so that a client can show
    them and resubmit with confirm_warnings=true."""
    try:
        return step_record(**kwargs)
    except RuleWarnings as exc:
        raise ValidationError(
            {
                "warnings": [str(w) for w in exc.warnings],
                "detail": _("请核对以下提示；确认无误后以 confirm_warnings=true 再次提交。"),
            }
        ) from exc


class AssessmentSerializer(serializers.ModelSerializer):
    member = serializers.PrimaryKeyRelatedField(queryset=Member.objects.all())
    member_name = serializers.CharField(source="member.name", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = Assessment
        fields = ("id", "member", "member_name", "kind", "kind_display", "done_on", "summary", "reviewer")

    def get_fields(self):
        return scope_related_fields(super().get_fields(), self.context, member=_visible_members)


class AssessmentFilter(filters.FilterSet):
    member = filters.NumberFilter(field_name="member_id", label=_("党员 id"))

    class Meta:
        model = Assessment
        fields = ("member", "kind")


class AssessmentViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """培养考察记录: half-yearly assessments and thought reports of the people the user may see."""

    serializer_class = AssessmentSerializer
    permission_classes = [ScopedPermission]
    filter_backends = FILTER_BACKENDS
    filterset_class = AssessmentFilter
    ordering_fields = ["done_on"]

    def get_queryset(self):
        return (
            Assessment.objects.filter(member__in=Member.objects.visible_to(self.request.user))
            .select_related("member")
            .defer(*(f"member__{name}" for name in PROTECTED))
            .order_by("member_id", "-done_on", "-pk")
        )

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        record = call_service(assessment_record, user=self.request.user, **data)
        serializer.instance = self.get_queryset().get(pk=record.pk)
