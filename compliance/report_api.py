"""`/api/v1/compliance/reports/`: the quarterly compliance workbooks a user may download, their
progress, and (re)generation for an organisation of their own and a quarter."""

from django.http import Http404
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.response import Response

from branches.models import Organization

from .models import QuarterlyReport, ReportStatus
from .reports import report_request


class QuarterlyReportSerializer(serializers.ModelSerializer):
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = QuarterlyReport
        fields = (
            "id",
            "organization",
            "organization_name",
            "period",
            "status",
            "progress",
            "branches",
            "error",
            "created_at",
            "finished_at",
            "download_url",
        )
        read_only_fields = ("status", "progress", "branches", "error", "created_at", "finished_at")

    def get_download_url(self, obj) -> str | None:
        return (
            reverse("compliance:report_download", args=[obj.pk]) if obj.status == ReportStatus.DONE else None
        )


class ReportRequestSerializer(serializers.Serializer):
    organization = serializers.PrimaryKeyRelatedField(queryset=Organization.objects.all())
    period = serializers.CharField(help_text="YYYY-Qn, e.g. 2026-Q3")


class QuarterlyReportViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """季度合规报告: list, progress and (re)generation for an organisation and quarter (YYYY-Qn)."""

    serializer_class = QuarterlyReportSerializer

    def get_queryset(self):
        return (
            QuarterlyReport.objects.visible_to(self.request.user)
            .select_related("organization")
            .order_by("-period", "organization__path", "pk")
        )

    @extend_schema(request=ReportRequestSerializer, responses={201: QuarterlyReportSerializer})
    def create(self, request, *args, **kwargs):
        from django.core.exceptions import ValidationError as DjangoValidationError
        from rest_framework.exceptions import ValidationError

        from .report_views import _requestable

        data = ReportRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        org = _requestable(request.user).filter(pk=data.validated_data["organization"].pk).first()
        if org is None:
            raise Http404
        try:
            report = report_request(organization=org, period=data.validated_data["period"], user=request.user)
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict) from exc
        return Response(QuarterlyReportSerializer(report).data, status=201)
