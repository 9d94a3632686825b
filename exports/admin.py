from django.contrib import admin

from .models import ExportJob


@admin.register(ExportJob)
class ExportJobAdmin(admin.ModelAdmin):
    list_display = ("created_at", "user", "exporter", "status", "progress", "rows", "finished_at")
    list_filter = ("status", "exporter")
    list_select_related = ("user",)
    readonly_fields = (
        "user",
        "exporter",
        "params",
        "status",
        "progress",
        "rows",
        "file",
        "error",
        "finished_at",
    )
