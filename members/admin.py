from django.contrib import admin

from .models import DevelopmentRule, Member


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    """Protected values appear masked only; status changes go through the workflows."""

    list_display = ("name", "gender", "branch", "party_group", "status", "dues_category", "id_masked")
    list_filter = ("status", "dues_category", "gender")
    search_fields = ("name", "name_initials")
    list_select_related = ("branch", "party_group")
    raw_id_fields = ("branch", "party_group", "user")
    exclude = ("id_number", "phone")
    readonly_fields = ("status", "id_masked", "phone_masked", "name_initials")


@admin.register(DevelopmentRule)
class DevelopmentRuleAdmin(admin.ModelAdmin):
    list_display = ("code", "value", "effective_from", "organization", "source")
    list_filter = ("code",)
    list_select_related = ("organization",)
    raw_id_fields = ("organization",)
