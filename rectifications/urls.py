from django.urls import path

from .views import ledgers, pickers, suggestions

app_name = "rectifications"

urlpatterns = [
    path("", ledgers.ledger_list, name="ledgers"),
    path("ledgers/new/", ledgers.ledger_create, name="ledger_create"),
    path("ledgers/<int:pk>/", ledgers.ledger_detail, name="ledger"),
    path("ledgers/<int:pk>/edit/", ledgers.ledger_edit, name="ledger_edit"),
    path("ledgers/<int:pk>/items/new/", ledgers.item_create, name="item_create"),
    path("ledgers/<int:pk>/people/", ledgers.item_people, name="item_people"),
    path("ledgers/<int:pk>/pick/<slug:field>/", pickers.ledger_pick, name="ledger_pick"),
    path("items/", ledgers.item_list, name="items"),
    path("overdue/", ledgers.item_overdue, name="overdue"),
    path("mine/", ledgers.mine, name="mine"),
    path("items/<int:pk>/", ledgers.item_detail, name="item"),
    path("items/<int:pk>/<slug:action>/", ledgers.item_action, name="item_action"),
    path("from-compliance/", ledgers.from_compliance, name="from_compliance"),
    path("suggestions/", suggestions.suggestion_list, name="suggestions"),
    path("suggestions/new/", suggestions.suggestion_create, name="suggestion_create"),
    path("suggestions/receipt/", suggestions.suggestion_by_receipt, name="suggestion_receipt"),
    path("suggestions/<int:pk>/", suggestions.suggestion_detail, name="suggestion"),
    path("suggestions/<int:pk>/reply/", suggestions.suggestion_reply, name="suggestion_reply"),
    path("suggestions/<int:pk>/pick/units/", pickers.suggestion_pick_units, name="suggestion_pick_units"),
    path("suggestions/<int:pk>/convert/", suggestions.suggestion_convert, name="suggestion_convert"),
]
