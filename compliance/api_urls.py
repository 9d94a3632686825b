from django.urls import path
from rest_framework.routers import SimpleRouter

from .api import ComplianceView
from .report_api import QuarterlyReportViewSet

router = SimpleRouter()
router.register("compliance/reports", QuarterlyReportViewSet, basename="quarterly-report")

urlpatterns = [path("compliance/", ComplianceView.as_view(), name="compliance"), *router.urls]
