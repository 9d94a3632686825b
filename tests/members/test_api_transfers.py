"""The transfers and mobile-records API: scoped like the pages (a foreign id is a 404 — in a URL or
in a body), service rules as 400 field errors, permission failures as 403, and list endpoints
whose query count does not grow with the rows."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from members.models import Member, MemberStatus, MobileRecord, Transfer, TransferStatus
from members.services import transfers as svc
from tests.conftest import make_member

TZ = ZoneInfo("Asia/Shanghai")
TRANSFERS = "/api/v1/transfers/"
MOBILE = "/api/v1/mobile-records/"


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime.datetime(2026, 12, 15, 10, tzinfo=TZ), tick=False):
        yield


def letter(cast, member, user=None, **kw):
    args = {
        "user": user or cast.secretary_a,
        "member": member,
        "external_org": "中共外省某某公司委员会",
        "letter_no": f"L-{member.pk}",
        "issued_on": datetime.date(2026, 12, 15),
        "dues_paid_through": "2026-11",
    }
    args.update(kw)
    return svc.transfer_out_start(**args)


def ids(response):
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_lists_are_scoped_and_foreign_ids_are_404(cast, api_for):
    mine = letter(cast, make_member(cast.a, "甲二"))
    sibling = letter(cast, make_member(cast.b, "乙二"), user=cast.secretary_b)
    own = svc.transfer_internal_start(
        user=cast.secretary_a,
        member=cast.mem_a,
        to_branch=cast.d,
        issued_on=datetime.date(2026, 12, 15),
        dues_paid_through="2026-11",
    )
    expected = {
        "admin": {mine.pk, sibling.pk, own.pk},
        "committee": {mine.pk, sibling.pk, own.pk},
        "other_committee": {own.pk},  # the receiving side (branch d)
        "secretary_a": {mine.pk, own.pk},
        "secretary_b": {sibling.pk},
        "member_a": {own.pk},
        "outsider": set(),
    }
    for role, visible in expected.items():
        api = api_for(getattr(cast, role))
        assert ids(api.get(TRANSFERS)) == visible, role
        for transfer in (mine, sibling, own):
            status = api.get(f"{TRANSFERS}{transfer.pk}/").status_code
            assert status == (200 if transfer.pk in visible else 404), (role, transfer.pk)
    assert api_for(None).get(TRANSFERS).status_code in (401, 403)
    row = api_for(cast.secretary_a).get(f"{TRANSFERS}{mine.pk}/").json()
    assert row["from_branch_name"] == "甲党支部"
    assert row["to_branch_name"] is None
    assert row["is_overdue"] is False
    assert row["direction"] == "out"


def test_create_internal_then_the_receiver_confirms(cast, api_for):
    body = {
        "direction": "internal",
        "member": cast.mem_a.pk,
        "to_branch": cast.b.pk,
        "issued_on": "2026-12-15",
        "dues_paid_through": "2026-05",
    }
    response = api_for(cast.secretary_a).post(TRANSFERS, body, format="json")
    assert response.status_code == 400
    assert response.json()["outstanding_dues_acknowledged"] == [
        "党费交至2026-05，尚欠6个月（2026-06至2026-11），请确认后再办理转出。"
    ]
    response = api_for(cast.secretary_a).post(
        TRANSFERS, {**body, "outstanding_dues_acknowledged": True}, format="json"
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["status"], data["valid_until"], data["to_branch_name"]) == (
        "pending",
        "2027-03-15",
        "乙党支部",
    )

    url = f"{TRANSFERS}{data['id']}/confirm/"
    assert api_for(cast.secretary_a).post(url, {}, format="json").status_code == 403
    assert api_for(cast.other_committee).post(url, {}, format="json").status_code == 404
    response = api_for(cast.secretary_b).post(url, {}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "completed"
    cast.mem_a.refresh_from_db()
    assert cast.mem_a.branch == cast.b
    response = api_for(cast.secretary_b).post(url, {}, format="json")
    assert response.status_code == 400
    assert "status" in response.json()


def test_create_rules_and_permissions(cast, api_for):
    sibling = make_member(cast.b, "乙二")
    base = {"direction": "out", "issued_on": "2026-12-15", "dues_paid_through": "2026-11"}
    # A foreign member id in the body is answered like a missing one.
    response = api_for(cast.secretary_a).post(
        TRANSFERS, {**base, "member": sibling.pk, "external_org": "x", "letter_no": "y"}, format="json"
    )
    assert response.status_code == 400
    assert "member" in response.json()
    response = api_for(cast.secretary_a).post(TRANSFERS, {**base, "member": cast.mem_a.pk}, format="json")
    assert response.status_code == 400
    assert {"external_org", "letter_no"} <= set(response.json())
    # A member sees their own record but may not issue their own letter.
    response = api_for(cast.member_a).post(
        TRANSFERS, {**base, "member": cast.mem_a.pk, "external_org": "x", "letter_no": "y"}, format="json"
    )
    assert response.status_code == 403
    response = api_for(cast.secretary_a).post(
        TRANSFERS, {**base, "direction": "in", "member": cast.mem_a.pk}, format="json"
    )
    assert response.status_code == 400
    assert "direction" in response.json()
    assert not Transfer.objects.exists()


def test_receipt_and_cancel(cast, api_for):
    member = make_member(cast.a, "甲二", status=MemberStatus.PROBATIONARY)
    first = letter(cast, member)
    api = api_for(cast.secretary_a)
    response = api.post(f"{TRANSFERS}{first.pk}/cancel/", {"reason": ""}, format="json")
    assert response.status_code == 400 and "reason" in response.json()
    assert (
        api_for(cast.secretary_b).post(f"{TRANSFERS}{first.pk}/cancel/", {"reason": "x"}).status_code == 404
    )
    response = api.post(f"{TRANSFERS}{first.pk}/cancel/", {"reason": "对方不接收"}, format="json")
    assert response.json()["status"] == "cancelled"
    member.refresh_from_db()
    assert member.status == MemberStatus.PROBATIONARY

    second = letter(cast, member, letter_no="L-2")
    response = api.post(f"{TRANSFERS}{second.pk}/receipt/", {"receipt_on": "2026-12-16"}, format="json")
    assert response.status_code == 400 and "receipt_on" in response.json()
    response = api.post(f"{TRANSFERS}{second.pk}/receipt/", {"receipt_on": "2026-12-15"}, format="json")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["receipt_on"]) == ("completed", "2026-12-15")


def test_overdue_filter(cast, api_for):
    late = letter(cast, make_member(cast.a, "甲二"))
    Transfer.objects.filter(pk=late.pk).update(
        issued_on=datetime.date(2026, 8, 1), valid_until=datetime.date(2026, 11, 1)
    )
    fresh = letter(cast, make_member(cast.a, "甲三"))
    api = api_for(cast.secretary_a)
    assert ids(api.get(TRANSFERS, {"overdue": "true"})) == {late.pk}
    assert ids(api.get(TRANSFERS, {"overdue": "false"})) == {fresh.pk}
    assert ids(api.get(TRANSFERS, {"status": "pending", "direction": "out"})) == {late.pk, fresh.pk}
    assert api.get(f"{TRANSFERS}{late.pk}/").json()["is_overdue"] is True


# --- Mobile records ------------------------------------------------------------------------------


def test_mobile_records_create_report_end(cast, api_for):
    api = api_for(cast.secretary_a)
    body = {"member": cast.mem_a.pk, "direction": "outflow", "location": "深圳", "since": "2026-09-01"}
    response = api.post(MOBILE, body, format="json")
    assert response.status_code == 201, response.content
    record = response.json()
    assert (record["needs_transfer"], record["report_missing"], record["reports"]) == (False, False, [])
    response = api.post(MOBILE, body, format="json")
    assert response.status_code == 400 and "member" in response.json()

    url = f"{MOBILE}{record['id']}/"
    response = api.post(
        url + "report/", {"reported_on": "2026-12-01", "summary": "参加主题党日"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["last_report_on"] == "2026-12-01"
    assert [r["summary"] for r in response.json()["reports"]] == ["参加主题党日"]
    with time_machine.travel(datetime.datetime(2027, 3, 1, 10, tzinfo=TZ), tick=False):
        assert api.get(url).json()["needs_transfer"] is True
        assert ids(api.get(MOBILE, {"needs_transfer": "true"})) == {record["id"]}
    response = api.post(url + "end/", {"until": "2026-12-20"}, format="json")
    assert response.status_code == 400 and "until" in response.json()
    response = api.post(url + "end/", {"until": "2026-12-15"}, format="json")
    assert response.json()["until"] == "2026-12-15"
    cast.mem_a.refresh_from_db()
    assert cast.mem_a.is_mobile is False
    assert ids(api.get(MOBILE, {"open": "true"})) == set()
    assert ids(api.get(MOBILE, {"open": "false"})) == {record["id"]}


def test_mobile_records_are_scoped(cast, api_for):
    record = svc.mobile_start(
        user=cast.secretary_a,
        member=cast.mem_a,
        direction="outflow",
        location="深圳",
        since=datetime.date(2026, 1, 1),
    )
    sibling = make_member(cast.b, "乙二")
    for role, sees in (
        ("admin", True),
        ("committee", True),
        ("other_committee", False),
        ("secretary_a", True),
        ("secretary_b", False),
        ("member_a", True),
        ("outsider", False),
    ):
        api = api_for(getattr(cast, role))
        assert ids(api.get(MOBILE)) == ({record.pk} if sees else set()), role
        assert api.get(f"{MOBILE}{record.pk}/").status_code == (200 if sees else 404), role
        response = api.post(f"{MOBILE}{record.pk}/report/", {"reported_on": "2026-12-01"}, format="json")
        expected = 404 if not sees else (403 if role == "member_a" else 200)
        assert response.status_code == expected, role
    response = api_for(cast.secretary_a).post(
        MOBILE,
        {"member": sibling.pk, "direction": "outflow", "location": "x", "since": "2026-01-01"},
        format="json",
    )
    assert response.status_code == 400 and "member" in response.json()


# --- Query counts --------------------------------------------------------------------------------


def _bulk(cast, n, offset):
    members = Member.objects.bulk_create(
        Member(name=f"批量{offset + i}", gender="male", branch=cast.a, status="full") for i in range(n)
    )
    Transfer.objects.bulk_create(
        Transfer(
            member=m,
            direction="internal",
            from_branch=cast.a,
            to_branch=cast.b,
            issued_on=datetime.date(2026, 8, 1),
            valid_until=datetime.date(2026, 11, 1),
            status=TransferStatus.PENDING,
        )
        for m in members
    )
    MobileRecord.objects.bulk_create(
        MobileRecord(member=m, direction="outflow", location="外地", since=datetime.date(2025, 1, 1))
        for m in members
    )


@pytest.mark.parametrize(
    "url", [TRANSFERS, TRANSFERS + "?overdue=true", MOBILE, MOBILE + "?needs_transfer=true"]
)
def test_list_endpoints_cost_the_same_for_1_and_50_rows(cast, api_for, url):
    """Per request: scope (grants, posts, member rows), the count and the page (joined, flags
    annotated in SQL). A fresh user object per request, as a token-authenticated client gets: the
    scope is cached on the user object."""

    def count():
        api = api_for(get_user_model().objects.get(pk=cast.committee.pk))
        with CaptureQueriesContext(connection) as ctx:
            response = api.get(url)
        assert response.status_code == 200
        return len(ctx.captured_queries), len(response.json()["results"])

    _bulk(cast, 1, 0)
    one, rows = count()
    assert rows == 1
    _bulk(cast, 49, 1)
    fifty, rows = count()
    assert rows == 50
    assert fifty == one
