"""API for 三会一课: meetings (list / filter / plan / record / patch), attendance (bulk), resolutions
and votes, the minutes actions (sign, submit, review, amend), action items and 谈心谈话.

Rows come only from `visible_to(user)`, so a foreign id is a 404; ids in a body resolve only among
what the user may see; writes go through meetings.services, whose field errors become a 400 with
the same field names and whose PermissionDenied becomes a 403."""

from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from branches.api import call_service, scope_related_fields
from branches.models import BRANCH_KINDS, Organization, OrgKind
from members.models import Member

from . import services
from .models import (
    ActionItem,
    Amendment,
    Attendance,
    AttendanceStatus,
    LecturerType,
    Meeting,
    MeetingKind,
    MeetingStatus,
    MinutesState,
    Resolution,
    Talk,
    TalkPairType,
)
from .selectors import meeting_list
from .services import AMENDABLE_FIELDS


def _members(user):
    return Member.objects.visible_to(user)


def _branches(user):
    from branches.scoping import scope_for

    return Organization.objects.filter(scope_for(user).visible_q(), kind__in=BRANCH_KINDS)


def _groups(user):
    from branches.scoping import scope_for

    return Organization.objects.filter(scope_for(user).visible_q(), kind=OrgKind.PARTY_GROUP)


class AttendanceSerializer(serializers.ModelSerializer):
    member_name = serializers.CharField(source="member.name", read_only=True)

    class Meta:
        model = Attendance
        fields = (
            "member",
            "member_name",
            "status",
            "reason",
            "expected",
            "has_vote",
            "quorum_excluded",
            "adjustment_reason",
        )
        read_only_fields = fields


class ResolutionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Resolution
        fields = (
            "id",
            "meeting",
            "position",
            "text",
            "put_to_vote",
            "votes_for",
            "votes_against",
            "votes_abstain",
            "vote_base",
            "passed",
        )
        read_only_fields = (
            "id",
            "position",
            "votes_for",
            "votes_against",
            "votes_abstain",
            "vote_base",
            "passed",
        )

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None:
            fields["meeting"].queryset = Meeting.objects.visible_to(request.user)
        return fields


class AmendmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Amendment
        fields = ("id", "field", "old_value", "new_value", "reason", "author", "created_at")
        read_only_fields = fields


class MeetingSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    organization_name = serializers.CharField(source="organization.name", read_only=True)

    class Meta:
        model = Meeting
        fields = (
            "id",
            "organization",
            "organization_name",
            "party_group",
            "kind",
            "kind_display",
            "also_themed_day",
            "topic",
            "agenda",
            "place",
            "planned_on",
            "held_on",
            "starts_at",
            "ends_at",
            "status",
            "host",
            "recorder",
            "lecturer",
            "lecturer_name",
            "lecturer_type",
            "minutes",
            "expected_count",
            "present_count",
            "voting_expected",
            "voting_present",
            "is_quorate",
            "minutes_state",
            "recorder_signed_at",
            "recorder_signed_by",
            "secretary_signed_at",
            "secretary_signed_by",
            "locked_at",
            "submitted_at",
            "reviewed_at",
            "reviewed_by",
            "review_comment",
        )
        read_only_fields = fields


class MeetingDetailSerializer(MeetingSerializer):
    attendance = AttendanceSerializer(many=True, read_only=True)
    resolutions = ResolutionSerializer(many=True, read_only=True)
    amendments = AmendmentSerializer(many=True, read_only=True)

    class Meta(MeetingSerializer.Meta):
        fields = (*MeetingSerializer.Meta.fields, "attendance", "resolutions", "amendments")
        read_only_fields = fields


class MeetingWriteSerializer(serializers.Serializer):
    """Plan (`held_on` empty) or record (`held_on` given) a meeting; on PATCH, the fields to change."""

    organization = serializers.PrimaryKeyRelatedField(queryset=Organization.objects.none(), required=False)
    kind = serializers.ChoiceField(choices=MeetingKind.choices, required=False)
    party_group = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.none(), required=False, allow_null=True
    )
    also_themed_day = serializers.BooleanField(required=False)
    topic = serializers.CharField(max_length=200, required=False)
    agenda = serializers.CharField(required=False, allow_blank=True)
    place = serializers.CharField(max_length=200, required=False, allow_blank=True)
    planned_on = serializers.DateField(required=False, allow_null=True)
    held_on = serializers.DateField(required=False, allow_null=True)
    starts_at = serializers.TimeField(required=False, allow_null=True)
    ends_at = serializers.TimeField(required=False, allow_null=True)
    host = serializers.PrimaryKeyRelatedField(queryset=Member.objects.none(), required=False, allow_null=True)
    recorder = serializers.PrimaryKeyRelatedField(
        queryset=Member.objects.none(), required=False, allow_null=True
    )
    lecturer = serializers.PrimaryKeyRelatedField(
        queryset=Member.objects.none(), required=False, allow_null=True
    )
    lecturer_name = serializers.CharField(max_length=50, required=False, allow_blank=True)
    lecturer_type = serializers.ChoiceField(choices=LecturerType.choices, required=False, allow_blank=True)
    minutes = serializers.CharField(required=False, allow_blank=True)

    def get_fields(self):
        return scope_related_fields(
            super().get_fields(),
            self.context,
            organization=_branches,
            party_group=_groups,
            host=_members,
            recorder=_members,
            lecturer=_members,
        )


class AttendanceRowSerializer(serializers.Serializer):
    member = serializers.IntegerField(help_text=_("党员 id（须在应到名单中）"))
    status = serializers.ChoiceField(choices=AttendanceStatus.choices)
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class AttendanceBulkSerializer(serializers.Serializer):
    rows = AttendanceRowSerializer(many=True)


class AdjustSerializer(serializers.Serializer):
    member = serializers.PrimaryKeyRelatedField(queryset=Member.objects.none())
    add = serializers.BooleanField(help_text=_("true 加入应到名单，false 移出"))
    reason = serializers.CharField(max_length=200)

    def get_fields(self):
        return scope_related_fields(super().get_fields(), self.context, member=_members)


class SignSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=[("recorder", _("记录人")), ("secretary", _("书记/主持人"))])


class ReviewSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=[("accept", _("审阅通过")), ("return", _("退回修改"))])
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class AmendSerializer(serializers.Serializer):
    field = serializers.ChoiceField(choices=[(f, f) for f in AMENDABLE_FIELDS])
    new_value = serializers.CharField(allow_blank=True)
    reason = serializers.CharField(max_length=300)


class VoteSerializer(serializers.Serializer):
    votes_for = serializers.IntegerField(min_value=0)
    votes_against = serializers.IntegerField(min_value=0, default=0)
    votes_abstain = serializers.IntegerField(min_value=0, default=0)


class MeetingFilter(filters.FilterSet):
    kind = filters.ChoiceFilter(choices=MeetingKind.choices, method="filter_kind", label=_("会议类型"))
    status = filters.ChoiceFilter(choices=MeetingStatus.choices)
    minutes_state = filters.ChoiceFilter(choices=MinutesState.choices)
    date_from = filters.DateFilter(method="filter_from", label=_("从（召开或计划日期）"))
    date_to = filters.DateFilter(method="filter_to", label=_("至（召开或计划日期）"))
    organization = filters.NumberFilter(method="filter_within", label=_("党组织 id（含下级）"))

    class Meta:
        model = Meeting
        fields = ("kind", "status", "minutes_state")

    def filter_kind(self, qs, name, value):
        return meeting_list(qs, kind=value)

    def filter_from(self, qs, name, value):
        return meeting_list(qs, date_from=value)

    def filter_to(self, qs, name, value):
        return meeting_list(qs, date_to=value)

    def filter_within(self, qs, name, value):
        org = Organization.objects.visible_to(self.request.user).filter(pk=value).first()
        return meeting_list(qs, within=org) if org else qs.none()


class MeetingViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """三会一课 meetings the user may see. Create plans a meeting (no `held_on`) or records one held;
    PATCH changes a planned meeting's plan or a held meeting's record (until it is locked; after
    that, `amend`). `attendance`, `sign`, `submit`, `review` and `amend` drive the minutes."""

    permission_classes = [IsAuthenticated]
    filterset_class = MeetingFilter
    search_fields = ["topic", "place", "organization__name"]
    ordering_fields = ["held_on", "planned_on", "id"]
    ordering = ["-held_on", "-planned_on", "-id"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return Meeting.objects.visible_to(self.request.user).select_related("organization")

    def get_serializer_class(self):
        return MeetingDetailSerializer if self.action != "list" else MeetingSerializer

    def _respond(self, meeting, code=status.HTTP_200_OK):
        meeting = (
            self.get_queryset()
            .prefetch_related("attendance__member", "resolutions", "amendments")
            .get(pk=meeting.pk)
        )
        return Response(
            MeetingDetailSerializer(meeting, context=self.get_serializer_context()).data, status=code
        )

    def retrieve(self, request, *args, **kwargs):
        return self._respond(self.get_object())

    @extend_schema(request=MeetingWriteSerializer, responses={201: MeetingDetailSerializer})
    def create(self, request, *args, **kwargs):
        body = MeetingWriteSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        missing = {f: [_("必填。")] for f in ("organization", "kind", "topic") if f not in data}
        if missing:
            raise ValidationError(missing)
        if data.get("held_on"):
            data.pop("planned_on", None)
            meeting = call_service(services.meeting_record, user=request.user, **data)
        else:
            data.pop("held_on", None)
            plan_fields = {
                k: v for k, v in data.items() if k in (*services.PLAN_FIELDS, "organization", "kind")
            }
            meeting = call_service(services.meeting_plan, user=request.user, **plan_fields)
        return self._respond(meeting, status.HTTP_201_CREATED)

    @extend_schema(request=MeetingWriteSerializer, responses=MeetingDetailSerializer)
    def partial_update(self, request, *args, **kwargs):
        meeting = self.get_object()
        body = MeetingWriteSerializer(data=request.data, context=self.get_serializer_context(), partial=True)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        if "organization" in data:
            raise ValidationError({"organization": [_("会议的党组织不能修改。")]})
        if meeting.status == MeetingStatus.PLANNED and not data.get("held_on"):
            unknown = set(data) - {*services.PLAN_FIELDS, "kind"}
            if unknown:
                raise ValidationError(
                    {f: [_("计划中的会议不能修改此项；请先填写召开日期。")] for f in unknown}
                )
            meeting = call_service(services.meeting_plan, user=request.user, meeting=meeting, **data)
        else:
            data.pop("planned_on", None)
            meeting = call_service(services.meeting_record, user=request.user, meeting=meeting, **data)
        return self._respond(meeting)

    @extend_schema(request=AttendanceBulkSerializer, responses=MeetingDetailSerializer)
    @action(detail=True, methods=["post"])
    def attendance(self, request, pk=None):
        """Bulk update of attendance: one row per person on the expected list."""
        meeting = self.get_object()
        body = AttendanceBulkSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        call_service(
            services.attendance_save, user=request.user, meeting=meeting, rows=body.validated_data["rows"]
        )
        return self._respond(meeting)

    @extend_schema(request=AdjustSerializer, responses=MeetingDetailSerializer)
    @action(detail=True, methods=["post"], url_path="attendance-adjust")
    def attendance_adjust(self, request, pk=None):
        """Add someone to, or take someone off, the expected list — with a reason."""
        meeting = self.get_object()
        body = AdjustSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        call_service(services.attendance_adjust, user=request.user, meeting=meeting, **body.validated_data)
        return self._respond(meeting)

    @extend_schema(request=SignSerializer, responses=MeetingDetailSerializer)
    @action(detail=True, methods=["post"])
    def sign(self, request, pk=None):
        """Sign the minutes as the recorder, then as the secretary (the host for a 党小组会): locks."""
        meeting = self.get_object()
        body = SignSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        call_service(
            services.meeting_sign, user=request.user, meeting=meeting, role=body.validated_data["role"]
        )
        return self._respond(meeting)

    @extend_schema(request=None, responses=MeetingDetailSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Submit locked minutes to the superior."""
        meeting = self.get_object()
        call_service(services.minutes_submit, user=request.user, meeting=meeting)
        return self._respond(meeting)

    @extend_schema(request=ReviewSerializer, responses=MeetingDetailSerializer)
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        """The committee above accepts, or returns with a comment (unlocks for correction)."""
        meeting = self.get_object()
        body = ReviewSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        call_service(
            services.minutes_review,
            user=request.user,
            meeting=meeting,
            accept=body.validated_data["decision"] == "accept",
            comment=body.validated_data["comment"],
        )
        return self._respond(meeting)

    @extend_schema(request=AmendSerializer, responses=MeetingDetailSerializer)
    @action(detail=True, methods=["post"])
    def amend(self, request, pk=None):
        """Amend locked minutes with a reason (the original stays in `amendments`)."""
        meeting = self.get_object()
        body = AmendSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        call_service(services.minutes_amend, user=request.user, meeting=meeting, **body.validated_data)
        return self._respond(meeting)


class ResolutionViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Resolutions of the meetings the user may see; `votes` records for / against / abstain."""

    serializer_class = ResolutionSerializer
    permission_classes = [IsAuthenticated]
    filterset_fields = ("meeting",)

    def get_queryset(self):
        return Resolution.objects.filter(meeting__in=Meeting.objects.visible_to(self.request.user)).order_by(
            "meeting", "position", "pk"
        )

    def create(self, request, *args, **kwargs):
        body = ResolutionSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        data = body.validated_data
        resolution = call_service(
            services.resolution_add,
            user=request.user,
            meeting=data["meeting"],
            text=data["text"],
            put_to_vote=data.get("put_to_vote", False),
        )
        return Response(ResolutionSerializer(resolution).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=VoteSerializer, responses=ResolutionSerializer)
    @action(detail=True, methods=["post"])
    def votes(self, request, pk=None):
        resolution = self.get_object()
        body = VoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        resolution = call_service(
            services.resolution_vote, user=request.user, resolution=resolution, **body.validated_data
        )
        return Response(ResolutionSerializer(resolution).data)


class ActionItemSerializer(serializers.ModelSerializer):
    owner_name = serializers.CharField(source="owner.name", read_only=True)
    meeting_topic = serializers.CharField(source="meeting.topic", read_only=True)

    class Meta:
        model = ActionItem
        fields = (
            "id",
            "meeting",
            "meeting_topic",
            "text",
            "owner",
            "owner_name",
            "due_on",
            "done_at",
            "done_note",
        )
        read_only_fields = ("id", "done_at", "done_note")

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None:
            fields["meeting"].queryset = Meeting.objects.visible_to(request.user)
            fields["owner"].queryset = Member.objects.visible_to(request.user)
        return fields


class ActionDoneSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class ActionItemFilter(filters.FilterSet):
    mine = filters.BooleanFilter(method="filter_mine", label=_("只看我的"))
    open = filters.BooleanFilter(field_name="done_at", lookup_expr="isnull", label=_("未完成"))

    class Meta:
        model = ActionItem
        fields = ("meeting", "owner")

    def filter_mine(self, qs, name, value):
        return qs.filter(owner__user=self.request.user) if value else qs


class ActionItemViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Action items of visible meetings (and the user's own); `done` completes one."""

    serializer_class = ActionItemSerializer
    permission_classes = [IsAuthenticated]
    filterset_class = ActionItemFilter

    def get_queryset(self):
        return (
            ActionItem.objects.visible_to(self.request.user)
            .select_related("owner", "meeting")
            .order_by("done_at", "due_on", "pk")
        )

    def create(self, request, *args, **kwargs):
        body = ActionItemSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        item = call_service(services.action_item_add, user=request.user, **body.validated_data)
        return Response(ActionItemSerializer(item).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ActionDoneSerializer, responses=ActionItemSerializer)
    @action(detail=True, methods=["post"])
    def done(self, request, pk=None):
        item = self.get_object()
        body = ActionDoneSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        item = call_service(
            services.action_item_done, user=request.user, item=item, note=body.validated_data["note"]
        )
        return Response(ActionItemSerializer(item).data)


class TalkSerializer(serializers.ModelSerializer):
    participants = serializers.PrimaryKeyRelatedField(many=True, queryset=Member.objects.none())
    pair_type = serializers.ChoiceField(choices=TalkPairType.choices)

    class Meta:
        model = Talk
        fields = (
            "id",
            "organization",
            "held_on",
            "pair_type",
            "participants",
            "topic",
            "summary",
            "recorded_by",
            "created_at",
        )
        read_only_fields = ("id", "recorded_by", "created_at")

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None:
            fields["organization"].queryset = _branches(request.user)
            fields["participants"].child_relation.queryset = Member.objects.visible_to(request.user)
        return fields


class TalkViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """谈心谈话 records of the organisations the user may see."""

    serializer_class = TalkSerializer
    permission_classes = [IsAuthenticated]
    filterset_fields = ("pair_type", "organization")

    def get_queryset(self):
        return (
            Talk.objects.visible_to(self.request.user)
            .prefetch_related("participants")
            .order_by("-held_on", "-pk")
        )

    def create(self, request, *args, **kwargs):
        body = TalkSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        talk = call_service(services.talk_record, user=request.user, **body.validated_data)
        return Response(TalkSerializer(talk).data, status=status.HTTP_201_CREATED)
