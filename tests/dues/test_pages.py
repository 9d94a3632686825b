"""Pages: who sees what (member only their own, sibling secretary 404), the payment in two clicks
from the grid, the committee roll-up with drill-down, and query counts that do not grow with rows."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from dues import services
from dues.generation import reconcile_month
from dues.models import DuesPayment
from tests.conftest import make_member

from .conftest import P

pytestmark = pytest.mark.django_db
TZ = datetime.timezone(datetime.timedelta(hours=8))
NOW = datetime.datetime(2026, 6, 15, 10, tzinfo=TZ)


@pytest.fixture
def ledger(cast, base_for):
    base_for(cast.mem_a, "12.00")
    base_for(cast.sec_a, "30.00")
    base_for(cast.sec_b, "8.00")
    with time_machine.travel(NOW):
        for month in range(1, 7):
            reconcile_month(P(2026, month))
        services.dues_payment_record(
            user=cast.secretary_a, member=cast.sec_a, amount="180.00", paid_on=datetime.date(2026, 6, 1)
        )
    return cast


def test_calculator_page_is_public(client):
    response = client.get(reverse("dues:calculator"), {"category": "in_service", "income": "5000.01"})
    assert response.status_code == 200
    assert "¥75.00" in response.content.decode()
    response = client.get(reverse("dues:calculator"), {"category": "in_service", "income": "abc"})
    assert "income" in response.content.decode()


@time_machine.travel(NOW)
def test_member_sees_own_dues(ledger, client_for):
    page = client_for(ledger.member_a).get(reverse("dues:mine"))
    text = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="mine-monthly">¥12.00<' in text  # two decimal places on every database
    assert "¥12.00" in text and "5个月" in text and "¥60.00" in text  # Jan–May overdue
    assert "甲书记" not in text


@time_machine.travel(NOW)
@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("admin", 200),
        ("committee", 200),
        ("secretary_a", 200),
        ("secretary_b", 404),
        ("other_committee", 404),
        ("member_a", 403),
        ("outsider", 404),
    ],
)
def test_grid_permission_matrix(ledger, client_for, who, status):
    response = client_for(getattr(ledger, who)).get(reverse("dues:grid", args=[ledger.a.pk]))
    assert response.status_code == status


@time_machine.travel(NOW)
@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("admin", 200),
        ("committee", 200),
        ("secretary_a", 200),
        ("secretary_b", 404),
        ("member_a", 404),
        ("other_committee", 404),
    ],
)
def test_payment_page_permission_matrix(ledger, client_for, who, status):
    payment = DuesPayment.objects.get(member=ledger.sec_a)
    assert (
        client_for(getattr(ledger, who)).get(reverse("dues:payment", args=[payment.pk])).status_code == status
    )


@time_machine.travel(NOW)
@pytest.mark.parametrize(
    ("who", "status"),
    [("admin", 302), ("committee", 302), ("secretary_a", 302), ("secretary_b", 404), ("member_a", 403)],
)
def test_pay_permission_matrix(ledger, client_for, who, status):
    response = client_for(getattr(ledger, who)).post(
        reverse("dues:pay", args=[ledger.mem_a.pk]),
        {"amount": "12.00", "paid_on": "2026-06-15", "channel": "cash", "kind": "regular"},
    )
    assert response.status_code == status


@time_machine.travel(NOW)
def test_record_from_the_grid_in_two_clicks(ledger, client_for):
    client = client_for(ledger.secretary_a)
    grid = client.get(reverse("dues:grid", args=[ledger.a.pk])).content.decode()
    assert f'data-testid="cell-{ledger.mem_a.pk}-2026-01"' in grid
    modal = client.get(reverse("dues:pay", args=[ledger.mem_a.pk]), HTTP_HX_REQUEST="true")
    assert modal.status_code == 200 and 'value="72.00"' in modal.content.decode()  # 5 months owed + June
    done = client.post(
        reverse("dues:pay", args=[ledger.mem_a.pk]),
        {"amount": "72.00", "paid_on": "2026-06-15", "channel": "wechat", "kind": "regular"},
        HTTP_HX_REQUEST="true",
    )
    assert done.status_code == 204 and done["HX-Redirect"].startswith(
        reverse("dues:grid", args=[ledger.a.pk])
    )
    mine = client_for(ledger.member_a).get(reverse("dues:mine")).content.decode()
    assert "2026-00002" in mine and 'data-testid="mine-arrears">无' in mine


@time_machine.travel(NOW)
def test_pay_errors_stay_in_the_modal(ledger, client_for):
    response = client_for(ledger.secretary_a).post(
        reverse("dues:pay", args=[ledger.mem_a.pk]),
        {"amount": "9999.00", "paid_on": "2026-06-15", "channel": "cash", "kind": "regular"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and "invalid-feedback" in response.content.decode()
    assert not DuesPayment.objects.filter(member=ledger.mem_a).exists()


@time_machine.travel(NOW)
def test_committee_rollup_and_drill_down(ledger, client_for):
    client = client_for(ledger.committee)
    page = client.get(reverse("dues:org", args=[ledger.c1.pk]), {"start": "2026-01", "end": "2026-06"})
    assert page.status_code == 200
    rows = {r["org"].pk: r for r in page.context["rows"]}
    assert set(rows) == {ledger.a.pk, ledger.b.pk}
    assert rows[ledger.a.pk]["due"] == Decimal("252.00") and rows[ledger.a.pk]["paid"] == Decimal("180.00")
    assert rows[ledger.a.pk]["collected"] == Decimal("180.00")
    assert rows[ledger.b.pk]["arrears"]["b6"] == 0 and rows[ledger.b.pk]["arrears"]["b35"] == 1
    assert client_for(ledger.other_committee).get(reverse("dues:org", args=[ledger.c1.pk])).status_code == 404
    assert client_for(ledger.secretary_a).get(reverse("dues:org", args=[ledger.c1.pk])).status_code == 404


def _grow(branch, n, base_for):
    for i in range(n):
        base_for(make_member(branch, f"党员{i}"), "5.00")


@time_machine.travel(NOW)
@pytest.mark.parametrize("name", ["grid", "bases"])
def test_branch_pages_query_count_does_not_grow(cast, base_for, client_for, django_assert_num_queries, name):
    client = client_for(cast.secretary_a)
    url = reverse(f"dues:{name}", args=[cast.a.pk])
    client.get(url)
    counts = []
    for extra in (0, 49):
        _grow(cast.a, extra, base_for)
        reconcile_month(P(2026, 6))
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


def _count(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@time_machine.travel(NOW)
def test_mine_and_rollup_query_counts_do_not_grow(cast, base_for, client_for):
    base_for(cast.mem_a, "12.00")
    reconcile_month(P(2026, 6))
    services.dues_payment_record(
        user=cast.secretary_a, member=cast.mem_a, amount="1.00", paid_on=datetime.date(2026, 6, 1)
    )
    mine = _count(client_for(cast.member_a), reverse("dues:mine"))
    rollup = _count(client_for(cast.committee), reverse("dues:org", args=[cast.c1.pk]))
    for _ in range(49):
        services.dues_payment_record(
            user=cast.secretary_a, member=cast.mem_a, amount="0.10", paid_on=datetime.date(2026, 6, 1)
        )
    _grow(cast.b, 49, base_for)
    reconcile_month(P(2026, 6))
    assert _count(client_for(cast.member_a), reverse("dues:mine")) == mine
    assert _count(client_for(cast.committee), reverse("dues:org", args=[cast.c1.pk])) == rollup


@time_machine.travel(NOW)
def test_exemption_request_and_approval_pages(ledger, client_for):
    client = client_for(ledger.secretary_a)
    response = client.post(
        reverse("dues:exemption_new", args=[ledger.mem_a.pk]),
        {
            "kind": "exempt",
            "start_period": "2026-07",
            "end_period": "2026-12",
            "reason": "重病",
            "decided_on": "2026-06-10",
        },
    )
    assert response.status_code == 302
    assert client_for(ledger.secretary_a).get(reverse("dues:approvals")).status_code == 403
    committee = client_for(ledger.committee)
    page = committee.get(reverse("dues:approvals"))
    assert page.status_code == 200 and "重病" in page.content.decode()
    from dues.models import DuesExemption

    exemption = DuesExemption.objects.get()
    assert (
        client_for(ledger.other_committee)
        .post(reverse("dues:decide", args=["exemption", exemption.pk]), {"decision": "approve"})
        .status_code
        == 404
    )
    client_for(ledger.committee).post(
        reverse("dues:decide", args=["exemption", exemption.pk]), {"decision": "approve"}
    )
    exemption.refresh_from_db()
    assert exemption.status == "approved" and exemption.approved_by == ledger.committee


@time_machine.travel(NOW)
def test_approvals_query_count_does_not_grow(ledger, client_for):
    from dues.models import DuesExemption

    def add(n):
        for _ in range(n):
            DuesExemption.objects.create(
                member=ledger.mem_a,
                branch=ledger.a,
                kind="exempt",
                start_period=P(2026, 7),
                end_period=P(2026, 8),
                reason="r",
                decided_on=datetime.date(2026, 6, 1),
                requested_by=ledger.secretary_a,
            )

    add(1)
    one = _count(client_for(ledger.committee), reverse("dues:approvals"))
    add(49)
    assert _count(client_for(ledger.committee), reverse("dues:approvals")) == one


@time_machine.travel(NOW)
def test_payment_reversal_page(ledger, client_for):
    payment = DuesPayment.objects.get(member=ledger.sec_a)
    client = client_for(ledger.secretary_a)
    assert client.post(reverse("dues:payment", args=[payment.pk]), {"reason": ""}).status_code == 200
    assert client.post(reverse("dues:payment", args=[payment.pk]), {"reason": "重复登记"}).status_code == 302
    assert DuesPayment.objects.filter(reverses=payment, reason="重复登记").exists()
    assert (
        client_for(ledger.committee)
        .post(reverse("dues:payment", args=[payment.pk]), {"reason": "again"})
        .status_code
        == 403
    )


@time_machine.travel(NOW)
def test_remit_and_confirm_pages(ledger, client_for):
    response = client_for(ledger.secretary_a).post(
        reverse("dues:remit", args=[ledger.a.pk]),
        {"start_period": "2026-06", "end_period": "2026-06", "remitted_on": "2026-06-15"},
    )
    assert response.status_code == 302
    from dues.models import Remittance

    remittance = Remittance.objects.get()
    assert remittance.amount == Decimal("180.00")
    page = client_for(ledger.committee).get(reverse("dues:org", args=[ledger.c1.pk]))
    assert page.context["pending"][0] == remittance and remittance.pk in page.context["can_confirm"]
    client_for(ledger.committee).post(reverse("dues:remittance_confirm", args=[remittance.pk]))
    remittance.refresh_from_db()
    assert remittance.status == "confirmed"


@time_machine.travel(NOW)
def test_ledger_export_is_scoped(ledger, client_for, media_root):
    from exports.base import get_exporter

    exporter = get_exporter("dues_ledger")
    rows = list(exporter.iterate_rows(ledger.secretary_a, {"branch": str(ledger.a.pk), "year": "2026"}))
    kinds = {r[2] for r in rows}
    assert {"应交", "交纳"} <= kinds and {r[1] for r in rows} == {"甲党员", "甲书记"}
    assert list(exporter.iterate_rows(ledger.secretary_b, {"branch": str(ledger.a.pk), "year": "2026"})) == []
    response = client_for(ledger.secretary_a).post(
        reverse("exports:create", args=["dues_ledger"]), {"branch": ledger.a.pk, "year": 2026}
    )
    assert response.status_code == 302


@time_machine.travel(NOW)
def test_payment_page_shows_the_months(ledger, client_for):
    payment = DuesPayment.objects.get(member=ledger.sec_a)
    text = client_for(ledger.secretary_a).get(reverse("dues:payment", args=[payment.pk])).content.decode()
    assert "2026-01：¥30.00" in text and "2026-06：¥30.00" in text


@time_machine.travel(NOW)
def test_what_is_owed_now_is_the_same_whichever_year_the_page_shows(ledger, client_for):
    """This month comes from the year's grid when the year is this one, else from its own grid."""
    client = client_for(ledger.member_a)
    now, last_year = client.get(reverse("dues:mine")), client.get(reverse("dues:mine"), {"year": 2025})
    assert now.context["this_month"].period == last_year.context["this_month"].period == P(2026, 6)
    assert now.context["this_month"].due == last_year.context["this_month"].due == Decimal("12.00")
    assert now.context["due_now"] == last_year.context["due_now"] == Decimal("72.00")
