from django.contrib import admin

from .models import CommitteePost, Grant, Organization, TermRule


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    """Fields only. The tree's shape (create, move) changes through the app's pages and API, where
    the domain rules (a 党小组 under a branch …) and the move's audit entry are enforced."""

    list_display = ("name", "kind", "field", "code", "depth", "term_end", "is_weak")
    list_filter = ("kind", "field", "is_weak")
    search_fields = ("name", "short_name", "code")
    readonly_fields = ("kind", "path", "depth", "numchild", "created_at", "updated_at")
    ordering = ("path",)

    def has_add_permission(self, request):
        return False


@admin.register(CommitteePost)
class CommitteePostAdmin(admin.ModelAdmin):
    list_display = ("organization", "role", "member", "started_on", "ended_on", "approved_on")
    list_filter = ("role",)
    search_fields = ("organization__name", "member__name")
    list_select_related = ("organization", "member")
    raw_id_fields = ("organization", "member")
    date_hierarchy = "started_on"


@admin.register(Grant)
class GrantAdmin(admin.ModelAdmin):
    list_display = ("user", "organization", "role", "granted_at", "granted_by")
    search_fields = ("user__username", "user__name", "organization__name")
    list_select_related = ("user", "organization", "granted_by")
    raw_id_fields = ("user", "organization", "granted_by")


@admin.register(TermRule)
class TermRuleAdmin(admin.ModelAdmin):
    list_display = ("field", "years", "effective_from", "organization", "source")
    list_filter = ("field",)
    list_select_related = ("organization",)
    raw_id_fields = ("organization",)
