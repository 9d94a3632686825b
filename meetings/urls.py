from django.urls import path

from . import views

app_name = "meetings"

urlpatterns = [
    path("", views.meeting_list, name="list"),
    path("calendar/", views.calendar_view, name="calendar"),
    path("plan/", views.plan, name="plan"),
    path("record/", views.record, name="record_new"),
    path("review/", views.review_queue, name="review_queue"),
    path("todo/", views.todo, name="todo"),
    path("talks/", views.talk_list, name="talks"),
    path("talks/new/", views.talk_create, name="talk_create"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/plan/", views.plan, name="plan_edit"),
    path("<int:pk>/record/", views.record, name="record"),
    path("<int:pk>/quorum/", views.quorum_preview, name="quorum"),
    path("<int:pk>/attendance/adjust/", views.attendance_adjust, name="attendance_adjust"),
    path("<int:pk>/print/", views.print_minutes, name="print"),
    path("<int:pk>/sign/<str:role>/", views.sign, name="sign"),
    path("<int:pk>/unsign/", views.unsign, name="unsign"),
    path("<int:pk>/submit/", views.submit, name="submit"),
    path("<int:pk>/review/", views.review, name="review"),
    path("<int:pk>/amend/", views.amend, name="amend"),
    path("<int:pk>/cancel/", views.cancel, name="cancel"),
    path("<int:pk>/resolutions/", views.resolution_add, name="resolution_add"),
    path("resolutions/<int:rid>/vote/", views.resolution_vote, name="resolution_vote"),
    path("resolutions/<int:rid>/delete/", views.resolution_delete, name="resolution_delete"),
    path("<int:pk>/actions/", views.action_add, name="action_add"),
    path("actions/<int:item_id>/done/", views.action_done, name="action_done"),
    path("<int:pk>/attachments/", views.attachment_upload, name="attachment_upload"),
    path("attachments/<int:aid>/", views.attachment_file, name="attachment_file"),
    path("attachments/<int:aid>/delete/", views.attachment_delete, name="attachment_delete"),
]
