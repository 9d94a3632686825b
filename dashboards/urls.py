from django.urls import path

from . import views

app_name = "dashboards"

urlpatterns = [
    path("", views.committee, name="committee"),
    path("branch/<int:pk>/", views.branch, name="branch"),
    path("me/", views.mine, name="mine"),
]
