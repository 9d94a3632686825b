from django.urls import reverse
from rest_framework import mixins, serializers, viewsets

from .models import ExportJob


class ExportJobSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = ExportJob
        fields = (
            "id",
            "exporter",
            "params",
            "status",
            "progress",
            "rows",
            "error",
            "created_at",
            "finished_at",
            "download_url",
        )

    def get_download_url(self, obj) -> str | None:
        return reverse("exports:download", args=[obj.pk]) if obj.status == "done" else None


class ExportJobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """导出任务: the caller's own exports and their progress."""

    serializer_class = ExportJobSerializer

    def get_queryset(self):
        return ExportJob.objects.visible_to(self.request.user)
