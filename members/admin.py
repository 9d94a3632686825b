from django.contrib import admin

from .models import Member


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ("name", "gender", "branch", "party_group", "status", "dues_category")
    list_filter = ("status", "dues_category", "gender")
    search_fields = ("name",)
    list_select_related = ("branch", "party_group")
    raw_id_fields = ("branch", "party_group", "user")
