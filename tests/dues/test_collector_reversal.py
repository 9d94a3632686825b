"""The collector (a branch member who took the money, by default the recording user's own member
record) is kept apart from the user who recorded it; a reversal takes no receipt number of its own
but names the receipt it cancels, on the payment page, 我的党费 and the API."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from audit.models import AuditEntry
from dues import services
from dues.generation import reconcile_month
from dues.models import DuesPayment

from .conftest import P

pytestmark = pytest.mark.django_db
TZ = datetime.timezone(datetime.timedelta(hours=8))
NOW = datetime.datetime(2026, 6, 15, 10, tzinfo=TZ)
DAY = datetime.date(2026, 6, 15)


@pytest.fixture
def june(cast, base_for):
    base_for(cast.mem_a, "12.00")
    with time_machine.travel(NOW):
        reconcile_month(P(2026, 6))
    return cast


@time_machine.travel(NOW)
def test_collector_defaults_to_the_recording_users_member_record(june):
    payment = services.dues_payment_record(
        user=june.secretary_a, member=june.mem_a, amount="12.00", paid_on=DAY
    )
    assert payment.collected_by == june.sec_a and payment.recorded_by == june.secretary_a
    entry = AuditEntry.objects.filter(action="dues.payment.recorded").latest("pk")
    assert entry.data["collected_by"] == june.sec_a.name


@time_machine.travel(NOW)
def test_collector_is_a_member_of_the_branch(june):
    payment = services.dues_payment_record(
        user=june.secretary_a, member=june.mem_a, amount="6.00", paid_on=DAY, collector_member=june.mem_a
    )
    assert payment.collected_by == june.mem_a and payment.recorded_by == june.secretary_a
    with pytest.raises(ValidationError) as exc:
        services.dues_payment_record(
            user=june.secretary_a, member=june.mem_a, amount="6.00", paid_on=DAY, collector_member=june.sec_b
        )
    assert "collector_member" in exc.value.message_dict
    assert DuesPayment.objects.count() == 1


@time_machine.travel(NOW)
def test_pay_page_collector_choice(june, client_for):
    client = client_for(june.secretary_a)
    page = client.get(reverse("dues:pay", args=[june.mem_a.pk])).content.decode()
    assert f'<option value="{june.sec_a.pk}" selected>' in page and june.sec_b.name not in page
    refused = client.post(
        reverse("dues:pay", args=[june.mem_a.pk]),
        {
            "amount": "12.00",
            "paid_on": "2026-06-15",
            "channel": "cash",
            "kind": "regular",
            "collector_member": june.sec_b.pk,
        },
    )
    assert refused.status_code == 200 and not DuesPayment.objects.exists()
    client.post(
        reverse("dues:pay", args=[june.mem_a.pk]),
        {
            "amount": "12.00",
            "paid_on": "2026-06-15",
            "channel": "cash",
            "kind": "regular",
            "collector_member": june.mem_a.pk,
        },
    )
    payment = DuesPayment.objects.get()
    assert payment.collected_by == june.mem_a
    detail = client.get(reverse("dues:payment", args=[payment.pk])).content.decode()
    assert f'data-testid="collector">{june.mem_a.name}<' in detail


@time_machine.travel(NOW)
def test_reversal_names_the_receipt_it_cancels(june, client_for):
    payment = services.dues_payment_record(
        user=june.secretary_a, member=june.mem_a, amount="12.00", paid_on=DAY
    )
    reversal = services.dues_payment_reverse(user=june.secretary_a, payment=payment, reason="金额有误")
    assert reversal.receipt_no == "" and reversal.reverses_receipt_no == payment.receipt_no == "2026-00001"
    assert reversal.receipt_label == "冲销 2026-00001"
    mine = client_for(june.member_a).get(reverse("dues:mine")).content.decode()
    assert "冲销 2026-00001" in mine
    detail = client_for(june.secretary_a).get(reverse("dues:payment", args=[reversal.pk])).content.decode()
    assert 'data-testid="reverses-receipt">2026-00001<' in detail
    # The next payment still takes the next number: the reversal used none.
    again = services.dues_payment_record(
        user=june.secretary_a, member=june.mem_a, amount="12.00", paid_on=DAY
    )
    assert again.receipt_no == "2026-00002"


@time_machine.travel(NOW)
def test_api_collector_and_reversal_receipt(june, api_for):
    api = api_for(june.secretary_a)
    url = "/api/v1/dues/payments/"
    body = {"member": june.mem_a.pk, "amount": "12.00", "paid_on": "2026-06-15"}
    foreign = api.post(url, {**body, "collector_member": june.sec_b.pk}, format="json")
    assert foreign.status_code == 400 and "collector_member" in foreign.json()
    done = api.post(url, {**body, "collector_member": june.mem_a.pk}, format="json")
    assert done.status_code == 201, done.content
    assert (
        done.json()["collector_member"] == june.mem_a.pk
        and done.json()["collector_member_name"] == june.mem_a.name
    )
    reversed_ = api.post(f"{url}{done.json()['id']}/reverse/", {"reason": "重复登记"}, format="json")
    assert reversed_.status_code == 201
    assert (
        reversed_.json()["reverses_receipt_no"] == done.json()["receipt_no"]
        and reversed_.json()["receipt_no"] == ""
    )
