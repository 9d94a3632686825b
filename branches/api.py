from django.apps import apps
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from . import services
from .models import CommitteePost, Organization, OrgKind
from .permissions import ScopedPermission
from .selectors import with_row_facts
from .services import ORG_EDITABLE_FIELDS


def call_service(fn, **kwargs):
    """Run a service and turn its Django errors into DRF's (field errors stay per field)."""
    try:
        return fn(**kwargs)
    except DjangoValidationError as exc:
        raise ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages) from exc
    except DjangoPermissionDenied as exc:
        raise PermissionDenied() from exc


def scope_related_fields(fields, context, **querysets):
    """Ids in a request body resolve only among the objects the user may see, so a foreign id is
    answered exactly like a missing one (no existence oracle, no foreign names in errors).
    `querysets` maps a field name to a callable user → queryset."""
    request = context.get("request")
    if request is not None:
        for name, visible in querysets.items():
            if name in fields:
                fields[name].queryset = visible(request.user)
    return fields


def _visible_orgs(user):
    return Organization.objects.visible_to(user)


def _visible_members(user):
    # branches sits below members: reach the model through the registry, never by import.
    return apps.get_model("members", "Member").objects.visible_to(user)


class OrganizationSerializer(serializers.ModelSerializer):
    parent = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.all(),
        required=False,
        allow_null=True,
        write_only=True,
        help_text=_("上级党组织 id（仅创建时）"),
    )
    parent_id = serializers.SerializerMethodField()
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    field_display = serializers.CharField(source="get_field_display", read_only=True)
    secretary_name = serializers.CharField(read_only=True, allow_null=True)
    member_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Organization
        fields = (
            "id",
            "name",
            "short_name",
            "kind",
            "kind_display",
            "field",
            "field_display",
            "parent",
            "parent_id",
            "depth",
            "numchild",
            "code",
            "established_on",
            "term_start",
            "term_end",
            "is_weak",
            "star_level",
            "budget",
            "address",
            "secretary_name",
            "member_count",
            "updated_at",
        )
        read_only_fields = ("depth", "numchild", "updated_at")

    def get_fields(self):
        return scope_related_fields(super().get_fields(), self.context, parent=_visible_orgs)

    def get_parent_id(self, obj) -> int | None:
        return self.context["parent_ids"].get(obj.parent_path) if obj.depth > 1 else None

    def validate(self, attrs):
        if self.instance is not None and ("kind" in attrs or "parent" in attrs):
            raise ValidationError({"kind": _("类型和上级组织不能直接修改；请使用“移动”。")})
        return attrs


class OrganizationFilter(filters.FilterSet):
    kind = filters.MultipleChoiceFilter(choices=OrgKind.choices)
    within = filters.NumberFilter(method="filter_within", label=_("某组织的下级（含自身）"))
    parent = filters.NumberFilter(method="filter_parent", label=_("直接上级"))

    class Meta:
        model = Organization
        fields = ("kind", "field", "is_weak")

    # The anchor is looked up in `qs`, already scoped: a foreign id filters like a missing one.
    def filter_within(self, qs, name, value):
        return qs.within(value)

    def filter_parent(self, qs, name, value):
        anchor = qs.filter(pk=value).values_list("depth", flat=True).first()
        return qs.within(value).filter(depth=anchor + 1) if anchor else qs.none()


class MoveSerializer(serializers.Serializer):
    parent = serializers.PrimaryKeyRelatedField(queryset=Organization.objects.all())

    def get_fields(self):
        return scope_related_fields(super().get_fields(), self.context, parent=_visible_orgs)


class OrganizationViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """党组织: the user's visible part of the tree, in tree order."""

    serializer_class = OrganizationSerializer
    permission_classes = [ScopedPermission]
    filterset_class = OrganizationFilter
    search_fields = ["name", "short_name", "code"]
    ordering_fields = ["path", "name"]
    scope_actions = {"update": "edit", "partial_update": "edit", "move": "supervise"}

    def get_queryset(self):
        return with_row_facts(Organization.objects.visible_to(self.request.user)).order_by("path")

    def scope_org(self, obj):
        return obj

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["parent_ids"] = {}
        return context

    def _with_parent_ids(self, orgs):
        """Parent ids for a page of rows in one query (paths are known, ids are not)."""
        paths = {o.parent_path for o in orgs if o.depth > 1}
        return dict(Organization.objects.filter(path__in=paths).values_list("path", "pk")) if paths else {}

    def get_serializer(self, *args, **kwargs):
        serializer_class = self.get_serializer_class()
        context = self.get_serializer_context()
        instance = args[0] if args else None
        if instance is not None:
            rows = instance if isinstance(instance, list | tuple) else [instance]
            context["parent_ids"] = self._with_parent_ids(rows)
        kwargs.setdefault("context", context)
        return serializer_class(*args, **kwargs)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        parent = data.pop("parent", None)  # resolved among visible organisations only
        if "kind" not in data or "name" not in data:
            raise ValidationError({k: [_("必填。")] for k in ("kind", "name") if k not in data})
        serializer.instance = call_service(
            services.organization_create, user=self.request.user, parent=parent, **data
        )

    def perform_update(self, serializer):
        fields = {k: v for k, v in serializer.validated_data.items() if k in ORG_EDITABLE_FIELDS}
        serializer.instance = call_service(
            services.organization_update, user=self.request.user, org=serializer.instance, **fields
        )

    def create(self, request, *args, **kwargs):
        response = super().create(request, *args, **kwargs)
        response.data = self.get_serializer(self.get_queryset().get(pk=response.data["id"])).data
        return response

    @extend_schema(request=MoveSerializer, responses=OrganizationSerializer)
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        """Move the organisation and its subtree under another parent (committee staff)."""
        org = self.get_object()
        body = MoveSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        parent = body.validated_data["parent"]  # resolved among visible organisations only
        call_service(services.organization_move, user=request.user, org=org, new_parent=parent)
        return Response(
            self.get_serializer(self.get_queryset().get(pk=org.pk)).data, status=status.HTTP_200_OK
        )


class CommitteePostSerializer(serializers.ModelSerializer):
    role_display = serializers.CharField(source="get_role_display", read_only=True)
    member_name = serializers.CharField(source="member.name", read_only=True)
    organization_name = serializers.CharField(source="organization.name", read_only=True)

    class Meta:
        model = CommitteePost
        fields = (
            "id",
            "organization",
            "organization_name",
            "role",
            "role_display",
            "member",
            "member_name",
            "started_on",
            "ended_on",
            "elected_on",
            "approved_on",
            "approval_ref",
            "note",
        )
        read_only_fields = ("ended_on", "approved_on", "approval_ref")

    def get_fields(self):
        return scope_related_fields(
            super().get_fields(), self.context, organization=_visible_orgs, member=_visible_members
        )


class EndPostSerializer(serializers.Serializer):
    ended_on = serializers.DateField()


class ApprovePostSerializer(serializers.Serializer):
    approved_on = serializers.DateField()
    approval_ref = serializers.CharField(max_length=100, required=False, allow_blank=True)


class CommitteePostFilter(filters.FilterSet):
    # Plain id filters over an already scoped queryset: a foreign id lists nothing, like a missing one.
    organization = filters.NumberFilter(field_name="organization_id", label=_("党组织 id"))
    member = filters.NumberFilter(field_name="member_id", label=_("党员 id"))
    current = filters.BooleanFilter(method="filter_current", label=_("仅现任"))

    class Meta:
        model = CommitteePost
        fields = ("organization", "role", "member")

    def filter_current(self, qs, name, value):
        return qs.current() if value else qs


class CommitteePostViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """委员职务: posts in the organisations the user may see."""

    serializer_class = CommitteePostSerializer
    permission_classes = [ScopedPermission]
    filterset_class = CommitteePostFilter
    scope_actions = {"end": "edit", "approve": "supervise"}

    def get_queryset(self):
        return CommitteePost.objects.visible_to(self.request.user).select_related("organization", "member")

    def scope_org(self, obj):
        return obj.organization

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        org = data.pop("organization")  # resolved among visible organisations only
        data.pop("approval_ref", None)
        serializer.instance = call_service(
            services.post_assign, user=self.request.user, organization=org, **data
        )

    @extend_schema(request=EndPostSerializer, responses=CommitteePostSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        post = self.get_object()
        body = EndPostSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        call_service(services.post_end, user=request.user, post=post, **body.validated_data)
        return Response(self.get_serializer(post).data)

    @extend_schema(request=ApprovePostSerializer, responses=CommitteePostSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        post = self.get_object()
        body = ApprovePostSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        call_service(services.post_approve, user=request.user, post=post, **body.validated_data)
        return Response(self.get_serializer(post).data)
