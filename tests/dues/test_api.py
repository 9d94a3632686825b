"""The dues API: calculator (public, decimal strings, 400 naming the parameter, enum in the
schema), scoping of every list (a member's token reads only their own; sibling secretary 404),
payments with reversal, remittances, and query counts for 1 vs 50 rows."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dues import services
from dues.generation import reconcile_month
from dues.models import DuesPayment
from tests.conftest import make_member

from .conftest import P

pytestmark = pytest.mark.django_db
TZ = datetime.timezone(datetime.timedelta(hours=8))
NOW = datetime.datetime(2026, 6, 15, 10, tzinfo=TZ)
CALC = "/api/v1/dues/calculator/"


@pytest.mark.parametrize(
    ("category", "income", "rate", "amount"),
    [
        ("in_service", "3000.00", "0.0050", "15.00"),
        ("in_service", "3000.01", "0.0100", "30.00"),
        ("in_service", "5000.00", "0.0100", "50.00"),
        ("in_service", "5000.01", "0.0150", "75.00"),
        ("in_service", "10000.00", "0.0150", "150.00"),
        ("in_service", "10000.01", "0.0200", "200.00"),
        ("in_service", "6000", "0.0150", "90.00"),
        ("retired", "5000.00", "0.0050", "25.00"),
        ("retired", "5000.01", "0.0100", "50.00"),
        ("student", "", None, "0.20"),
    ],
)
def test_calculator(api_for, db, category, income, rate, amount):
    response = api_for(None).get(CALC, {"category": category, "income": income})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["monthly_amount"] == amount and body["rate"] == rate
    assert body["rule"]["description"]


def test_calculator_names_the_rule(api_for, db):
    body = api_for(None).get(CALC, {"category": "in_service", "income": "12000"}).json()
    assert body["monthly_amount"] == "240.00"
    assert body["rule"]["lower_exclusive"] == "10000.00" and body["rule"]["upper_inclusive"] is None


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"category": "in_service"}, "income"),
        ({"category": "in_service", "income": "-1"}, "income"),
        ({"category": "in_service", "income": "abc"}, "income"),
        ({"category": "in_service", "income": "99999999999"}, "income"),
        ({"category": "pirate", "income": "100"}, "category"),
        ({"income": "100"}, "category"),
    ],
)
def test_calculator_bad_input(api_for, db, params, name):
    response = api_for(None).get(CALC, params)
    assert response.status_code == 400
    assert name in response.json()


def test_calculator_category_is_an_enum_in_the_schema(client, db):
    schema = client.get("/api/schema/?format=json").json()
    params = {p["name"]: p for p in schema["paths"][CALC]["get"]["parameters"]}
    assert set(params["category"]["schema"]["enum"]) == {
        "in_service", "retired", "annual_salary", "self_employed", "farmer", "student", "unemployed", "relief",
    }  # fmt: skip


@pytest.fixture
def ledger(cast, base_for):
    base_for(cast.mem_a, "12.00")
    base_for(cast.sec_a, "30.00")
    base_for(cast.sec_b, "8.00")
    with time_machine.travel(NOW):
        for month in range(1, 7):
            reconcile_month(P(2026, month))
        services.dues_payment_record(
            user=cast.secretary_a, member=cast.sec_a, amount="30.00", paid_on=datetime.date(2026, 6, 1)
        )
        services.dues_payment_record(
            user=cast.secretary_b, member=cast.sec_b, amount="8.00", paid_on=datetime.date(2026, 6, 1)
        )
        services.dues_payment_record(
            user=cast.secretary_a, member=cast.mem_a, amount="12.00", paid_on=datetime.date(2026, 6, 1)
        )
    return cast


ENDPOINTS = ["bases", "obligations", "payments", "arrears"]


@time_machine.travel(NOW)
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_members_token_reads_only_their_own(ledger, api_for, endpoint):
    rows = api_for(ledger.member_a).get(f"/api/v1/dues/{endpoint}/").json()["results"]
    assert rows and {r["member"] for r in rows} == {ledger.mem_a.pk}


@time_machine.travel(NOW)
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_sibling_secretary_sees_only_their_branch(ledger, api_for, endpoint):
    rows = api_for(ledger.secretary_b).get(f"/api/v1/dues/{endpoint}/").json()["results"]
    assert {r["member"] for r in rows} == {ledger.sec_b.pk}


@time_machine.travel(NOW)
def test_foreign_payment_is_404(ledger, api_for):
    payment = DuesPayment.objects.get(member=ledger.sec_a)
    url = f"/api/v1/dues/payments/{payment.pk}/"
    assert api_for(ledger.secretary_b).get(url).status_code == 404
    assert api_for(ledger.member_a).get(url).status_code == 404
    assert api_for(ledger.other_committee).post(url + "reverse/", {"reason": "x"}).status_code == 404
    assert api_for(ledger.committee).get(url).status_code == 200


@time_machine.travel(NOW)
def test_record_and_reverse_a_payment(ledger, api_for):
    api = api_for(ledger.secretary_a)
    response = api.post(
        "/api/v1/dues/payments/",
        {"member": ledger.mem_a.pk, "amount": "30.00", "paid_on": "2026-06-15", "channel": "alipay"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["receipt_no"] == "2026-00003" and body["amount"] == "30.00"
    assert [a["period"] for a in body["allocations"]] == ["2026-02", "2026-03", "2026-04"]
    bad = api.post(
        "/api/v1/dues/payments/", {"member": ledger.mem_a.pk, "amount": "9999.00", "paid_on": "2026-06-15"}
    )
    assert bad.status_code == 400 and "amount" in bad.json()
    assert api.post(f"/api/v1/dues/payments/{body['id']}/reverse/", {}).status_code == 400
    reversal = api.post(f"/api/v1/dues/payments/{body['id']}/reverse/", {"reason": "登记错误"})
    assert reversal.status_code == 201 and reversal.json()["amount"] == "-30.00"
    assert api.get(f"/api/v1/dues/payments/{body['id']}/").json()["reversed_by"] == reversal.json()["id"]
    foreign = api_for(ledger.secretary_b).post(
        "/api/v1/dues/payments/", {"member": ledger.mem_a.pk, "amount": "1.00", "paid_on": "2026-06-15"}
    )
    assert foreign.status_code == 400 and "member" in foreign.json()


@time_machine.travel(NOW)
def test_member_cannot_record_payments(ledger, api_for):
    response = api_for(ledger.member_a).post(
        "/api/v1/dues/payments/", {"member": ledger.mem_a.pk, "amount": "1.00", "paid_on": "2026-06-15"}
    )
    assert response.status_code == 403


@time_machine.travel(NOW)
def test_arrears_endpoint(ledger, api_for):
    rows = api_for(ledger.committee).get("/api/v1/dues/arrears/").json()["results"]
    by_member = {r["member"]: r for r in rows}
    assert by_member[ledger.mem_a.pk]["months"] == 4 and by_member[ledger.mem_a.pk]["amount"] == "48.00"
    assert (
        by_member[ledger.mem_a.pk]["oldest_month"] == "2026-02"
        and by_member[ledger.mem_a.pk]["bucket"] == "3-5"
    )


@time_machine.travel(NOW)
def test_bases_endpoint_creates_with_computed_amount(ledger, api_for):
    other = make_member(ledger.a, "新党员")
    response = api_for(ledger.secretary_a).post(
        "/api/v1/dues/bases/",
        {"member": other.pk, "year": 2026, "category": "in_service", "income": "5000.01"},
    )
    assert response.status_code == 201, response.content
    assert response.json()["monthly_amount"] == "75.00"
    missing = api_for(ledger.secretary_a).post(
        "/api/v1/dues/bases/", {"member": other.pk, "year": 2026, "category": "retired"}
    )
    assert missing.status_code == 400 and "income" in missing.json()


@time_machine.travel(NOW)
def test_remittance_submit_and_confirm(ledger, api_for):
    response = api_for(ledger.secretary_a).post(
        "/api/v1/dues/remittances/",
        {
            "branch": ledger.a.pk,
            "start_period": "2026-06",
            "end_period": "2026-06",
            "remitted_on": "2026-06-15",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["amount"] == "42.00" and body["to_org"] == ledger.c1.pk
    url = f"/api/v1/dues/remittances/{body['id']}/confirm/"
    assert api_for(ledger.secretary_a).post(url).status_code == 403
    assert api_for(ledger.other_committee).post(url).status_code == 404
    assert api_for(ledger.committee).post(url).json()["status"] == "confirmed"
    quarter = api_for(ledger.secretary_a).post(
        "/api/v1/dues/remittances/",
        {
            "branch": ledger.a.pk,
            "start_period": "2026-02",
            "end_period": "2026-04",
            "remitted_on": "2026-06-15",
        },
    )
    assert quarter.status_code == 400 and "end_period" in quarter.json()


def _queries(api, url):
    with CaptureQueriesContext(connection) as ctx:
        assert api.get(url).status_code == 200
    return len(ctx.captured_queries)


@time_machine.travel(NOW)
@pytest.mark.parametrize("endpoint", [*ENDPOINTS, "remittances"])
def test_list_query_counts_do_not_grow(cast, base_for, api_for, endpoint):
    api = api_for(cast.committee)
    url = f"/api/v1/dues/{endpoint}/"

    def add(n, start):
        for i in range(n):
            m = make_member(cast.a, f"党员{start + i}")
            base_for(m, "5.00")
            reconcile_month(P(2026, 5), member_ids=[m.pk])
            services.dues_payment_record(
                user=cast.secretary_a, member=m, amount="1.00", paid_on=datetime.date(2026, 6, 1)
            )
        for month in range(1 + start, 1 + start + n):
            services.remittance_submit(
                user=cast.secretary_a,
                branch=cast.a,
                start_period=P(2020, 1) + month,
                end_period=P(2020, 1) + month,
                remitted_on=datetime.date(2026, 6, 1),
                amount="1.00",
            )

    add(1, 0)
    api.get(url)  # the user's scope is computed once (three queries) and cached on the user
    one = _queries(api, url)
    add(49, 1)
    assert _queries(api, url) == one
