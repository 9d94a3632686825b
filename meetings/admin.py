from django.contrib import admin

from .models import Meeting, Talk


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    """Read-mostly: the sign-off chain and quorum are written by meetings.services only."""

    list_display = (
        "topic",
        "kind",
        "organization",
        "held_on",
        "planned_on",
        "status",
        "minutes_state",
        "is_quorate",
    )
    list_filter = ("kind", "status", "minutes_state")
    search_fields = ("topic", "organization__name")
    list_select_related = ("organization",)
    raw_id_fields = ("organization", "party_group", "host", "recorder", "lecturer", "created_by")
    readonly_fields = (
        "expected_count",
        "present_count",
        "voting_expected",
        "voting_present",
        "is_quorate",
        "minutes_state",
        "recorder_signed_at",
        "recorder_signed_by",
        "secretary_signed_at",
        "secretary_signed_by",
        "locked_at",
        "submitted_at",
        "submitted_by",
        "reviewed_at",
        "reviewed_by",
        "review_comment",
    )


@admin.register(Talk)
class TalkAdmin(admin.ModelAdmin):
    list_display = ("topic", "pair_type", "organization", "held_on")
    list_filter = ("pair_type",)
    raw_id_fields = ("organization", "participants", "recorded_by")
