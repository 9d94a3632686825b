from django.urls import path

from . import report_views, views

app_name = "compliance"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("branch/<int:pk>/", views.branch, name="branch"),
    path("inactive/", views.inactive, name="inactive"),
    path("reports/", report_views.report_list, name="reports"),
    path("reports/new/", report_views.report_create, name="report_create"),
    path("reports/<int:pk>/", report_views.report_detail, name="report"),
    path("reports/<int:pk>/download/", report_views.report_download, name="report_download"),
]
