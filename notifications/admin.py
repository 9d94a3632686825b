from django.contrib import admin

from .models import Delivery, DeliveryAttempt, Preference, ReminderRule


@admin.register(ReminderRule)
class ReminderRuleAdmin(admin.ModelAdmin):
    list_display = ("kind", "enabled", "lead_days", "recipients", "organization", "effective_from")
    list_filter = ("kind", "enabled", "recipients")
    list_editable = ("enabled", "lead_days", "recipients")
    raw_id_fields = ("organization",)


@admin.register(Preference)
class PreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "email", "sms", "webhook", "digest", "quiet_start", "quiet_end")
    raw_id_fields = ("user",)


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "kind",
        "recipient",
        "channel",
        "status",
        "attempts",
        "sent_at",
        "last_error",
    )
    list_filter = ("channel", "status", "kind")
    search_fields = ("title", "recipient__username", "subject")
    raw_id_fields = ("recipient", "organization")
    readonly_fields = [f.name for f in Delivery._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(DeliveryAttempt)
class DeliveryAttemptAdmin(admin.ModelAdmin):
    list_display = ("at", "channel", "recipient", "ok", "error")
    list_filter = ("channel", "ok")
    raw_id_fields = ("recipient", "deliveries")
