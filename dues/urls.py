from django.urls import path

from .views import branch, committee, member

app_name = "dues"

urlpatterns = [
    path("", committee.index, name="index"),
    path("calculator/", member.calculator, name="calculator"),
    path("mine/", member.mine, name="mine"),
    path("branch/<int:pk>/", branch.grid, name="grid"),
    path("branch/<int:pk>/bases/", branch.bases, name="bases"),
    path("branch/<int:pk>/incomes/", branch.incomes, name="incomes"),
    path("branch/<int:pk>/bases/<int:year>/lock/", branch.bases_lock, name="bases_lock"),
    path("branch/<int:pk>/import/", branch.import_start, name="import"),
    path("branch/<int:pk>/import/template/", branch.import_template, name="import_template"),
    path("branch/<int:pk>/remit/", branch.remit, name="remit"),
    path("imports/<int:pk>/", branch.import_detail, name="import_detail"),
    path("imports/<int:pk>/errors/", branch.import_errors, name="import_errors"),
    path("members/<int:pk>/pay/", branch.pay, name="pay"),
    path("members/<int:pk>/bases/<int:year>/", branch.base_edit, name="base_edit"),
    path("members/<int:pk>/exemption/", branch.exemption_new, name="exemption_new"),
    path("bases/<int:pk>/verify/", branch.base_verify, name="base_verify"),
    path("bases/<int:pk>/adjust/", branch.base_adjust, name="base_adjust"),
    path("payments/<int:pk>/", branch.payment_detail, name="payment"),
    path("orgs/<int:pk>/", committee.org, name="org"),
    path("orgs/<int:pk>/generate/", branch.generate, name="generate"),
    path("orgs/<int:pk>/policy/", committee.policy, name="policy"),
    path("remittances/<int:pk>/confirm/", committee.remittance_confirm, name="remittance_confirm"),
    path("approvals/", committee.approvals, name="approvals"),
    path("approvals/<str:kind>/<int:pk>/", committee.decide, name="decide"),
]
