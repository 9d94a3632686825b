from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.response import Response

from branches.models import Organization
from branches.scoping import scope_for


@extend_schema(
    responses=inline_serializer(
        "Me",
        {
            "username": serializers.CharField(),
            "name": serializers.CharField(),
            "roles": serializers.ListField(child=serializers.CharField()),
            "home_role": serializers.CharField(),
            "organizations": serializers.ListField(child=serializers.DictField()),
        },
    )
)
@api_view(["GET"])
def me(request):
    """The current user, the roles they hold and the organisations their roles are anchored at."""
    scope = scope_for(request.user)
    anchors = (*scope.staff_paths, *scope.officer_paths, *scope.member_paths)
    orgs = Organization.objects.filter(path__in=anchors).values("id", "name", "kind", "path")
    role_of = {
        **dict.fromkeys(scope.member_paths, "member"),
        **dict.fromkeys(scope.officer_paths, "branch_officer"),
        **dict.fromkeys(scope.staff_paths, "committee_staff"),
    }
    return Response(
        {
            "username": request.user.username,
            "name": request.user.get_full_name(),
            "roles": sorted(scope.roles),
            "home_role": scope.home_role,
            "organizations": [
                {"id": o["id"], "name": o["name"], "kind": o["kind"], "role": role_of[o["path"]]}
                for o in orgs
            ],
        }
    )
