from django.urls import include, path

from .views import development, imports, roster, transfers

app_name = "members"

urlpatterns = [
    path("", roster.roster, name="roster"),
    path("new/", roster.create, name="create"),
    path("mine/", roster.mine, name="mine"),
    path("<int:pk>/", roster.detail, name="detail"),
    path("<int:pk>/edit/", roster.edit, name="edit"),
    path("<int:pk>/reveal/<str:field>/", roster.reveal, name="reveal"),
    path("development/", development.upcoming, name="development"),
    path("<int:pk>/steps/new/", development.step_create, name="step_create"),
    path("<int:pk>/assessments/new/", development.assessment_create, name="assessment_create"),
    path("<int:pk>/probation/extend/", development.probation_extend, name="probation_extend"),
    path("<int:pk>/probation/cancel/", development.probation_cancel, name="probation_cancel"),
    path("<int:pk>/end/", development.member_end, name="end"),
    path("import/", include(imports.urlpatterns)),
    path("", include(transfers.urlpatterns)),
]
