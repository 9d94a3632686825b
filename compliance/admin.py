from django.contrib import admin

from .models import ComplianceRule


@admin.register(ComplianceRule)
class ComplianceRuleAdmin(admin.ModelAdmin):
    """The national defaults are global rows; a committee's stricter or relaxed rule is a row
    scoped to its organisation (most specific scope, then newest date, wins)."""

    list_display = (
        "code",
        "enabled",
        "frequency",
        "min_count",
        "min_full_members",
        "grace_days",
        "effective_from",
        "effective_to",
        "organization",
        "source",
    )
    list_filter = ("code", "enabled", "frequency")
    list_select_related = ("organization",)
    raw_id_fields = ("organization",)
