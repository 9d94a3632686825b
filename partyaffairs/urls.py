from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts import views as account_views

api_v1 = [
    path("", include("accounts.api_urls")),
    path("", include("branches.api_urls")),
    path("", include("exports.api_urls")),
    path("", include("members.api_urls")),
    path("", include("meetings.api_urls")),
    path("", include("rectifications.api_urls")),
    path("", include("dues.api_urls")),
    path("", include("compliance.api_urls")),
    path("", include("dashboards.api_urls")),
    path("", include("notifications.api_urls")),
]

urlpatterns = [
    path("", account_views.home, name="home"),
    path("healthz", account_views.healthz, name="healthz"),
    path("accounts/", include("accounts.urls")),
    path("orgs/", include("branches.urls")),
    path("members/", include("members.urls")),
    path("meetings/", include("meetings.urls")),
    path("dues/", include("dues.urls")),
    path("exports/", include("exports.urls")),
    path("rectifications/", include("rectifications.urls")),
    path("compliance/", include("compliance.urls")),
    path("dashboard/", include("dashboards.urls")),
    path("notifications/", include("notifications.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("i18n/", include("django.conf.urls.i18n")),
]

admin.site.site_header = _("partyaffairs 党务管理")
admin.site.site_title = "partyaffairs"
