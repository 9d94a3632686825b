from django.urls import path

from .api import ComplianceView

urlpatterns = [path("compliance/", ComplianceView.as_view(), name="compliance")]
