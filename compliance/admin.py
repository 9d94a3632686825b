from django.contrib import admin

from .models import ComplianceRule, QuarterlyReport


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


@admin.register(QuarterlyReport)
class QuarterlyReportAdmin(admin.ModelAdmin):
    list_display = ("organization", "period", "status", "progress", "branches", "finished_at", "runs")
    list_filter = ("status", "period")
    raw_id_fields = ("organization", "requested_by")
    readonly_fields = (
        "status",
        "progress",
        "branches",
        "file",
        "error",
        "started_at",
        "heartbeat_at",
        "finished_at",
        "runs",
    )
