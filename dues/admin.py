"""Rule tables are edited here (versioned rows, optionally scoped to a subtree). Ledger rows are
read-only: they change only through the services (reversals, never edits)."""

from django.contrib import admin

from .models import (
    BranchDuesSetting,
    DuesBase,
    DuesBracket,
    DuesObligation,
    DuesPayment,
    DuesPolicy,
    Remittance,
)


@admin.register(DuesBracket)
class DuesBracketAdmin(admin.ModelAdmin):
    list_display = ("category", "upper_bound", "rate", "effective_from", "organization", "source")
    list_filter = ("category",)
    list_select_related = ("organization",)
    raw_id_fields = ("organization",)


@admin.register(DuesPolicy)
class DuesPolicyAdmin(admin.ModelAdmin):
    list_display = (
        "effective_from",
        "organization",
        "rounding",
        "allow_proxy",
        "allow_quarterly",
        "allow_makeup",
        "allow_prepay",
    )
    list_select_related = ("organization",)
    raw_id_fields = ("organization",)


@admin.register(BranchDuesSetting)
class BranchDuesSettingAdmin(admin.ModelAdmin):
    list_display = ("organization", "effective_from", "collection_day", "farmer_amount")
    list_select_related = ("organization",)
    raw_id_fields = ("organization",)


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DuesBase)
class DuesBaseAdmin(ReadOnly):
    list_display = ("member", "year", "category", "income", "monthly_amount", "status")
    list_filter = ("year", "status", "category")
    list_select_related = ("member",)
    search_fields = ("member__name",)


@admin.register(DuesObligation)
class DuesObligationAdmin(ReadOnly):
    list_display = ("member", "period_label", "amount", "kind", "branch")
    list_filter = ("kind",)
    list_select_related = ("member", "branch")
    search_fields = ("member__name",)


@admin.register(DuesPayment)
class DuesPaymentAdmin(ReadOnly):
    list_display = ("receipt_no", "member", "amount", "paid_on", "channel", "kind", "branch")
    list_filter = ("kind", "channel", "to_centre")
    list_select_related = ("member", "branch")
    search_fields = ("member__name", "receipt_no")


@admin.register(Remittance)
class RemittanceAdmin(ReadOnly):
    list_display = ("branch", "period_label", "amount", "status", "remitted_on")
    list_filter = ("status",)
    list_select_related = ("branch",)
