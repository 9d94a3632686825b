from django.urls import path

from . import views

app_name = "orgs"

urlpatterns = [
    path("", views.tree, name="tree"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/new/", views.create_child, name="create_child"),
    path("<int:pk>/move/", views.move, name="move"),
    path("<int:pk>/posts/new/", views.post_create, name="post_create"),
    path("posts/<int:post_pk>/end/", views.post_end, name="post_end"),
    path("posts/<int:post_pk>/approve/", views.post_approve, name="post_approve"),
]
