from django.contrib import admin

from .models import Ledger, RectificationRule


@admin.register(RectificationRule)
class RectificationRuleAdmin(admin.ModelAdmin):
    list_display = ("update_due_day", "effective_from", "organization", "source")
    list_select_related = ("organization",)
    raw_id_fields = ("organization",)


@admin.register(Ledger)
class LedgerAdmin(admin.ModelAdmin):
    """Ledgers are kept through the pages (items move only through the workflow services)."""

    list_display = ("title", "issuer", "source", "issued_on", "deadline")
    list_filter = ("source",)
    list_select_related = ("issuer",)
    raw_id_fields = ("issuer", "created_by")
    search_fields = ("title",)
