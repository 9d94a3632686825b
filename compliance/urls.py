from django.urls import path

from . import views

app_name = "compliance"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("branch/<int:pk>/", views.branch, name="branch"),
    path("inactive/", views.inactive, name="inactive"),
]
