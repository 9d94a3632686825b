"""The rectifications API: ledgers, items with their transitions (claim, request close-out,
verify, return), progress updates with evidence, suggestions and replies.

Every queryset starts from `visible_to(user)` (a foreign object is a 404); every write goes
through `rectifications.services`, which decide who may act (403 otherwise)."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from branches.api import call_service, scope_related_fields
from branches.models import Organization
from meetings.models import Meeting
from members.models import Member

from . import access, selectors, services
from .models import (
    Item,
    ItemStatus,
    Ledger,
    LedgerSource,
    ProgressUpdate,
    ResolutionLevel,
    Suggestion,
    SuggestionKind,
    SuggestionReply,
)


def _visible_orgs(user):
    return Organization.objects.visible_to(user)


def _visible_members(user):
    return Member.objects.visible_to(user)


def _visible_ledgers(user):
    return Ledger.objects.visible_to(user)


def _visible_items(user):
    return Item.objects.visible_to(user)


def _visible_meetings(user):
    return Meeting.objects.visible_to(user)


# --------------------------------------------------------------------------------------------
# Ledgers
# --------------------------------------------------------------------------------------------


class LedgerSerializer(serializers.ModelSerializer):
    issuer = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.all(), help_text=_("下达单位 id")
    )
    issuer_name = serializers.CharField(source="issuer.name", read_only=True)
    source_display = serializers.CharField(source="get_source_display", read_only=True)
    item_total = serializers.IntegerField(read_only=True)
    item_closed = serializers.IntegerField(read_only=True)
    item_overdue = serializers.IntegerField(read_only=True)
    item_waiting = serializers.IntegerField(read_only=True)

    class Meta:
        model = Ledger
        fields = (
            "id",
            "issuer",
            "issuer_name",
            "source",
            "source_display",
            "title",
            "issued_on",
            "deadline",
            "description",
            "period",
            "item_total",
            "item_closed",
            "item_overdue",
            "item_waiting",
        )
        read_only_fields = ("period",)

    def get_fields(self):
        return scope_related_fields(super().get_fields(), self.context, issuer=_visible_orgs)


class LedgerFilter(filters.FilterSet):
    source = filters.ChoiceFilter(choices=LedgerSource.choices)
    issuer = filters.NumberFilter(field_name="issuer_id")

    class Meta:
        model = Ledger
        fields = ("source", "issuer")


class LedgerViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """整改台账: those the user's organisations issued, and those holding an item the user may see
    (counts are of the visible items)."""

    serializer_class = LedgerSerializer
    permission_classes = [IsAuthenticated]
    filterset_class = LedgerFilter
    search_fields = ("title",)
    ordering_fields = ("issued_on", "deadline", "title")
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return (
            Ledger.objects.visible_to(self.request.user)
            .select_related("issuer")
            .order_by("-issued_on", "-pk")
        )

    def paginate_queryset(self, queryset):
        # Counts for the page's ledgers only, in one aggregate query.
        page = super().paginate_queryset(queryset)
        return selectors.with_counts(page, self.request.user) if page is not None else None

    def retrieve(self, request, *args, **kwargs):
        ledger = selectors.with_counts([self.get_object()], request.user)[0]
        return Response(self.get_serializer(ledger).data)

    def perform_create(self, serializer):
        data = serializer.validated_data
        ledger = call_service(services.ledger_create, user=self.request.user, **data)
        serializer.instance = selectors.with_counts([ledger], self.request.user)[0]

    def perform_update(self, serializer):
        data = {k: v for k, v in serializer.validated_data.items() if k != "issuer"}
        ledger = call_service(
            services.ledger_update, user=self.request.user, ledger=serializer.instance, **data
        )
        serializer.instance = selectors.with_counts([ledger], self.request.user)[0]


# --------------------------------------------------------------------------------------------
# Items
# --------------------------------------------------------------------------------------------


class _NamedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ItemSerializer(serializers.ModelSerializer):
    ledger = serializers.PrimaryKeyRelatedField(queryset=Ledger.objects.all(), help_text=_("整改台账 id"))
    measures = serializers.ListField(
        child=serializers.CharField(), write_only=True, help_text=_("整改措施，每条一项")
    )
    measure_list = serializers.SerializerMethodField()
    units = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.all(), many=True, write_only=True, help_text=_("责任单位 id")
    )
    unit_list = serializers.SerializerMethodField()
    lead_person = serializers.PrimaryKeyRelatedField(
        queryset=Member.objects.none(),
        required=False,
        allow_null=True,
        help_text=_("总负责人（党员 id）"),
    )
    lead_person_name = serializers.CharField(source="lead_person.name", read_only=True, allow_null=True)
    responsible_people = serializers.PrimaryKeyRelatedField(
        queryset=Member.objects.none(), many=True, required=False, help_text=_("责任人（党员 id）")
    )
    people_list = serializers.SerializerMethodField()
    source_meeting = serializers.PrimaryKeyRelatedField(
        queryset=Meeting.objects.none(), required=False, allow_null=True, help_text=_("来源会议 id")
    )
    source_member = serializers.PrimaryKeyRelatedField(
        queryset=Member.objects.none(),
        required=False,
        allow_null=True,
        help_text=_("民主评议对象（党员 id）"),
    )
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    is_overdue = serializers.BooleanField(read_only=True)
    latest_update_on = serializers.DateField(source="latest_update.on", read_only=True, allow_null=True)
    latest_update_text = serializers.CharField(source="latest_update.text", read_only=True, allow_null=True)
    resolution_level = serializers.ChoiceField(choices=ResolutionLevel.choices, required=False)

    class Meta:
        model = Item
        fields = (
            "id",
            "ledger",
            "seq",
            "category",
            "problem",
            "measures",
            "measure_list",
            "units",
            "unit_list",
            "lead_person",
            "lead_person_name",
            "responsible_people",
            "people_list",
            "deadline",
            "deadline_reason",
            "resolution_level",
            "status",
            "status_display",
            "is_overdue",
            "latest_update_on",
            "latest_update_text",
            "claimed_at",
            "closeout_requested_at",
            "closed_at",
            "return_count",
            "source_meeting",
            "source_member",
            "source_unit",
            "source_rule_code",
            "source_period",
            "source_suggestion",
        )
        read_only_fields = (
            "seq",
            "status",
            "claimed_at",
            "closeout_requested_at",
            "closed_at",
            "return_count",
            "source_unit",
            "source_rule_code",
            "source_period",
            "source_suggestion",
        )

    def get_fields(self):
        fields = scope_related_fields(
            super().get_fields(),
            self.context,
            ledger=_visible_ledgers,
            lead_person=_visible_members,
            source_member=_visible_members,
            source_meeting=_visible_meetings,
        )
        request = self.context.get("request")
        if request is not None:
            # Many-valued ids resolve the same way, through the child relation.
            fields["units"].child_relation.queryset = _visible_orgs(request.user)
            fields["responsible_people"].child_relation.queryset = _visible_members(request.user)
        return fields

    def get_measure_list(self, obj) -> list[str]:
        return [m.text for m in obj.measures.all()]

    @extend_schema_field(_NamedSerializer(many=True))
    def get_unit_list(self, obj):
        return [{"id": u.pk, "name": u.name} for u in obj.units.all()]

    @extend_schema_field(_NamedSerializer(many=True))
    def get_people_list(self, obj):
        return [{"id": m.pk, "name": m.name} for m in obj.responsible_people.all()]


class ItemFilter(filters.FilterSet):
    ledger = filters.NumberFilter(field_name="ledger_id")
    status = filters.ChoiceFilter(choices=ItemStatus.choices)
    overdue = filters.BooleanFilter(method="filter_overdue", help_text=_("仅逾期（已过整改时限且未销号）"))
    unit = filters.NumberFilter(method="filter_unit", help_text=_("责任单位 id（含下级）"))
    category = filters.CharFilter()

    class Meta:
        model = Item
        fields = ("ledger", "status", "category")

    def filter_overdue(self, qs, name, value):
        return qs.overdue() if value else qs.exclude(pk__in=qs.overdue().values("pk"))

    def filter_unit(self, qs, name, value):
        return selectors.items_table(qs, unit=int(value), user=self.request.user)


REASON = inline_serializer("ItemTransitionRequest", {"reason": serializers.CharField(required=False)})


class ItemViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """整改事项 in the ledgers' paper layout. Transitions: `claim` (责任单位), `request_closeout`
    (责任单位, after at least one progress update), `verify` and `return` (下达单位 only; never the
    unit that worked the item). `allowed_actions` lists what the caller may do now."""

    serializer_class = ItemSerializer
    permission_classes = [IsAuthenticated]
    filterset_class = ItemFilter
    search_fields = ("problem",)
    ordering_fields = ("deadline", "seq", "status")

    def get_queryset(self):
        return Item.objects.visible_to(self.request.user).for_table().order_by("ledger_id", "seq")

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        item = call_service(services.item_create, user=self.request.user, **data)
        serializer.instance = self.get_queryset().get(pk=item.pk)

    def _move(self, request, fn, **kwargs):
        item = self.get_object()
        call_service(fn, user=request.user, item=item, **kwargs)
        item = self.get_queryset().get(pk=item.pk)
        return Response(self.get_serializer(item).data)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def claim(self, request, pk=None):
        """认领 (the responsible unit)."""
        return self._move(request, services.item_claim)

    @extend_schema(request=REASON)
    @action(detail=True, methods=["post"], url_path="request-closeout")
    def request_closeout(self, request, pk=None):
        """申请销号 (the responsible unit); `reason`: what was done."""
        return self._move(request, services.item_request_closeout, summary=request.data.get("reason", ""))

    @extend_schema(request=REASON)
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        """验收销号 (the issuing organisation)."""
        return self._move(request, services.item_verify, comment=request.data.get("reason", ""))

    @extend_schema(request=REASON)
    @action(detail=True, methods=["post"], url_path="return")
    def return_item(self, request, pk=None):
        """退回整改 with a `reason` (the issuing organisation)."""
        return self._move(request, services.item_return, reason=request.data.get("reason", ""))

    @extend_schema(
        responses=inline_serializer(
            "ItemAllowedActions", {"actions": serializers.ListField(child=serializers.CharField())}
        )
    )
    @action(detail=True, methods=["get"], url_path="allowed-actions")
    def allowed_actions(self, request, pk=None):
        return Response({"actions": access.allowed_actions(request.user, self.get_object())})


# --------------------------------------------------------------------------------------------
# Progress updates
# --------------------------------------------------------------------------------------------


class EvidenceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    size = serializers.IntegerField()
    url = serializers.CharField(source="file.url")


class ProgressUpdateSerializer(serializers.ModelSerializer):
    item = serializers.PrimaryKeyRelatedField(queryset=Item.objects.all(), help_text=_("整改事项 id"))
    files = serializers.ListField(
        child=serializers.FileField(), write_only=True, required=False, help_text=_("佐证材料（multipart）")
    )
    evidence = EvidenceSerializer(many=True, read_only=True)
    by_name = serializers.CharField(source="by.get_full_name", read_only=True, allow_null=True)

    class Meta:
        model = ProgressUpdate
        fields = ("id", "item", "on", "text", "files", "evidence", "by_name", "created_at")
        extra_kwargs = {"on": {"required": False}}

    def get_fields(self):
        return scope_related_fields(super().get_fields(), self.context, item=_visible_items)


class ProgressUpdateViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """推进情况 of the items the user may see; creating one is reporting progress (moves a claimed
    item into progress). Evidence: up to 5 files of 10 MB, PDF, images, Word, Excel."""

    serializer_class = ProgressUpdateSerializer
    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    filterset_fields = ("item",)
    search_fields = ()
    ordering_fields = ("on",)

    def get_queryset(self):
        items = Item.objects.visible_to(self.request.user)
        return (
            ProgressUpdate.objects.filter(item__in=items)
            .select_related("by")
            .prefetch_related("evidence")
            .order_by("-on", "-pk")
        )

    def perform_create(self, serializer):
        data = serializer.validated_data
        update = call_service(
            services.item_progress_add,
            user=self.request.user,
            item=data["item"],
            text=data.get("text", ""),
            on=data.get("on") or timezone.localdate(),
            files=data.get("files", []),
        )
        serializer.instance = self.get_queryset().get(pk=update.pk)


# --------------------------------------------------------------------------------------------
# Suggestions
# --------------------------------------------------------------------------------------------


class SuggestionSerializer(serializers.ModelSerializer):
    recipient = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.all(), help_text=_("提交给（党组织 id）")
    )
    recipient_name = serializers.CharField(source="recipient.name", read_only=True)
    kind = serializers.ChoiceField(choices=SuggestionKind.choices, required=False)
    author_name = serializers.SerializerMethodField()
    answered = serializers.SerializerMethodField()
    item = serializers.SerializerMethodField()
    receipt_code = serializers.SerializerMethodField(help_text=_("匿名提交时返回一次的回执码"))

    class Meta:
        model = Suggestion
        fields = (
            "id",
            "recipient",
            "recipient_name",
            "kind",
            "subject",
            "body",
            "anonymous",
            "author_name",
            "submitted_on",
            "answered",
            "item",
            "receipt_code",
        )
        read_only_fields = ("submitted_on",)

    def get_fields(self):
        return scope_related_fields(
            super().get_fields(), self.context, recipient=lambda user: Organization.objects.all()
        )

    def get_author_name(self, obj) -> str | None:
        return None if obj.anonymous or obj.author is None else obj.author.name

    def get_answered(self, obj) -> bool:
        return bool(getattr(obj, "reply_count", 0))

    def get_item(self, obj) -> dict | None:
        item = getattr(obj, "item", None)
        if item is None:
            return None
        return {"id": item.pk, "status": item.status, "status_display": str(item.get_status_display())}

    def get_receipt_code(self, obj) -> str | None:
        return getattr(obj, "receipt_code", None)


class SuggestionViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """意见箱: the recipient's inbox and the member's own signed suggestions. An anonymous one is
    stored with no link to its author; its `receipt_code` is returned once, on creation."""

    serializer_class = SuggestionSerializer
    permission_classes = [IsAuthenticated]
    filterset_fields = ("recipient", "kind")
    search_fields = ("subject",)
    ordering_fields = ("submitted_on",)

    def get_queryset(self):
        from django.db.models import Count

        return (
            Suggestion.objects.visible_to(self.request.user)
            .select_related("recipient", "author", "item")
            .annotate(reply_count=Count("replies"))
            .order_by("-submitted_on", "-pk")
        )

    def perform_create(self, serializer):
        data = serializer.validated_data
        suggestion, code = call_service(
            services.suggestion_submit,
            user=self.request.user,
            recipient=data["recipient"],
            kind=data.get("kind", SuggestionKind.SUGGESTION),
            subject=data.get("subject", ""),
            body=data.get("body", ""),
            anonymous=data.get("anonymous", False),
        )
        suggestion.reply_count = 0
        suggestion.receipt_code = code
        serializer.instance = suggestion


class SuggestionReplySerializer(serializers.ModelSerializer):
    suggestion = serializers.PrimaryKeyRelatedField(queryset=Suggestion.objects.all(), help_text=_("意见 id"))

    class Meta:
        model = SuggestionReply
        fields = ("id", "suggestion", "body", "replied_at")
        read_only_fields = ("replied_at",)

    def get_fields(self):
        return scope_related_fields(
            super().get_fields(), self.context, suggestion=lambda user: Suggestion.objects.visible_to(user)
        )


class SuggestionReplyViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Replies to the suggestions the user may see (the author of a signed one reads them here)."""

    serializer_class = SuggestionReplySerializer
    permission_classes = [IsAuthenticated]
    filterset_fields = ("suggestion",)
    search_fields = ()
    ordering_fields = ("replied_at",)

    def get_queryset(self):
        return SuggestionReply.objects.filter(
            suggestion__in=Suggestion.objects.visible_to(self.request.user)
        ).order_by("replied_at", "pk")

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = call_service(
            services.suggestion_reply,
            user=self.request.user,
            suggestion=data["suggestion"],
            body=data["body"],
        )
