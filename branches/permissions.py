"""DRF permissions, declared on each viewset and checked here in one class.

A viewset declares `scope_actions = {"update": "edit", "move": "supervise", ...}`; objects are
always fetched through `visible_to(user)` first, so a foreign object is already a 404."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from .scoping import scope_for

CHECKS = {
    "see": lambda scope, org: scope.can_see(org),
    "edit": lambda scope, org: scope.can_edit(org),
    "supervise": lambda scope, org: scope.supervises_strictly(org),
}


class ScopedPermission(BasePermission):
    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated)

    def has_object_permission(self, request, view, obj):
        need = getattr(view, "scope_actions", {}).get(view.action)
        if need is None:
            need = "see" if request.method in SAFE_METHODS else "edit"
        return CHECKS[need](scope_for(request.user), view.scope_org(obj))
