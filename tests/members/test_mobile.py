"""Mobile members (流动党员): the outflow/inflow registry, annual report-back, ending a stretch, the
"应转接组织关系" flag (≥ 6 months at a fixed place) and the "本年度未汇报" flag (no report in 12
months) at their boundaries, the permission matrix and the list page's query count."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEntry
from members.models import Member, MemberStatus, MobileDirection, MobileRecord, MobileReport
from members.selectors_transfers import (
    mobile_records_visible_to,
    needs_transfer,
    report_missing,
    with_mobile_flags,
)
from members.services import transfers as svc
from tests.conftest import make_member

TZ = ZoneInfo("Asia/Shanghai")


def frozen(year, month, day, hour=10, minute=0):
    return time_machine.travel(datetime.datetime(year, month, day, hour, minute, tzinfo=TZ), tick=False)


@pytest.fixture(autouse=True)
def _today():
    with frozen(2026, 12, 15):
        yield


def start(cast, member, user=None, **kw):
    args = {
        "user": user or cast.secretary_a,
        "member": member,
        "direction": MobileDirection.OUTFLOW,
        "location": "广东省深圳市某科技公司",
        "since": datetime.date(2026, 6, 1),
        "fixed_place": True,
        "contact": "微信 lihong2026",
        "card_no": "流动证2026-001",
        "card_issued_on": datetime.date(2026, 6, 1),
    }
    args.update(kw)
    return svc.mobile_start(**args)


def errors_of(excinfo):
    return excinfo.value.message_dict


def flags(record):
    row = with_mobile_flags(MobileRecord.objects.filter(pk=record.pk)).get()
    return row.needs_transfer, row.report_missing


# --- Registry ------------------------------------------------------------------------------------


def test_start_flags_the_member_mobile_and_is_audited(cast):
    record = start(cast, cast.mem_a)
    cast.mem_a.refresh_from_db()
    assert cast.mem_a.is_mobile is True
    assert record.until is None
    entry = AuditEntry.objects.filter(action="members.member.updated", object_id=str(cast.mem_a.pk)).latest(
        "pk"
    )
    assert entry.changes["is_mobile"] == [False, True]
    assert AuditEntry.objects.filter(action="members.mobilerecord.created", object_id=str(record.pk)).exists()


def test_start_rules(cast):
    with pytest.raises(ValidationError) as exc:
        start(cast, cast.mem_a, direction=MobileDirection.INFLOW, location="")
    assert {"home_org", "location"} <= set(errors_of(exc))
    with pytest.raises(ValidationError) as exc:
        start(cast, cast.mem_a, since=datetime.date(2026, 12, 16))
    assert "since" in errors_of(exc)
    with pytest.raises(ValidationError) as exc:
        start(cast, cast.mem_a, card_no="", card_issued_on=datetime.date(2026, 6, 1))
    assert "card_no" in errors_of(exc)
    activist = make_member(cast.a, "积极分子", status=MemberStatus.ACTIVIST)
    with pytest.raises(ValidationError) as exc:
        start(cast, activist)
    assert "member" in errors_of(exc)
    start(cast, cast.mem_a)
    with pytest.raises(ValidationError) as exc:
        start(cast, cast.mem_a, location="另一处")
    assert "未结束" in errors_of(exc)["member"][0]
    with pytest.raises(PermissionDenied):
        start(cast, make_member(cast.a, "甲二"), user=cast.secretary_b)
    with pytest.raises(PermissionDenied):
        start(cast, cast.sec_a, user=cast.member_a)


def test_inflow_records_the_home_organisation(cast):
    record = start(
        cast,
        cast.mem_a,
        direction=MobileDirection.INFLOW,
        home_org="中共外省某某村党支部",
        location="本单位后勤处",
    )
    assert record.home_org == "中共外省某某村党支部"
    assert flags(record) == (False, False)


def test_reports_move_last_report_forward_and_end_clears_the_flag(cast):
    record = start(cast, cast.mem_a)
    with pytest.raises(ValidationError) as exc:
        svc.mobile_report(user=cast.secretary_a, record=record, reported_on=datetime.date(2026, 5, 31))
    assert "2026-06-01" in errors_of(exc)["reported_on"][0]
    with pytest.raises(PermissionDenied):
        svc.mobile_report(user=cast.secretary_b, record=record, reported_on=datetime.date(2026, 7, 1))
    svc.mobile_report(
        user=cast.secretary_a,
        record=record,
        reported_on=datetime.date(2026, 9, 1),
        summary="参加当地组织生活",
    )
    svc.mobile_report(
        user=cast.secretary_a, record=record, reported_on=datetime.date(2026, 7, 1)
    )  # entered late
    record.refresh_from_db()
    assert record.last_report_on == datetime.date(2026, 9, 1)
    assert MobileReport.objects.filter(record=record).count() == 2

    with pytest.raises(ValidationError) as exc:
        svc.mobile_end(user=cast.secretary_a, record=record, until=datetime.date(2026, 5, 1))
    assert "until" in errors_of(exc)
    svc.mobile_end(user=cast.secretary_a, record=record, until=datetime.date(2026, 12, 1))
    record.refresh_from_db()
    cast.mem_a.refresh_from_db()
    assert record.until == datetime.date(2026, 12, 1)
    assert cast.mem_a.is_mobile is False
    with pytest.raises(ValidationError):
        svc.mobile_report(user=cast.secretary_a, record=record, reported_on=datetime.date(2026, 12, 2))
    with pytest.raises(ValidationError):
        svc.mobile_end(user=cast.secretary_a, record=record, until=datetime.date(2026, 12, 2))
    # A new stretch may start once the last one ended.
    start(cast, cast.mem_a, since=datetime.date(2026, 12, 10))


# --- Flags at their boundaries -------------------------------------------------------------------


def test_six_months_at_a_fixed_place_flags_a_formal_transfer(cast):
    record = start(cast, cast.mem_a, since=datetime.date(2026, 1, 15))
    with frozen(2026, 7, 14, 23, 59):
        assert flags(record)[0] is False
        assert not needs_transfer(MobileRecord.objects.all()).exists()
    with frozen(2026, 7, 15, 0, 0):
        assert flags(record)[0] is True
        assert list(needs_transfer(MobileRecord.objects.all())) == [record]


def test_six_months_from_a_month_end(cast):
    # 31 Aug + 6 months is 28 Feb: the flag is raised on 28 Feb, not on 1 or 3 March.
    record = start(cast, cast.mem_a, since=datetime.date(2025, 8, 31))
    with frozen(2026, 2, 27):
        assert flags(record)[0] is False
    with frozen(2026, 2, 28):
        assert flags(record)[0] is True


def test_no_transfer_flag_when_moving_around_inbound_or_ended(cast):
    roaming = start(cast, cast.mem_a, since=datetime.date(2025, 1, 1), fixed_place=False)
    assert flags(roaming)[0] is False
    other = make_member(cast.a, "甲二")
    inflow = start(cast, other, since=datetime.date(2025, 1, 1), direction="inflow", home_org="外地党支部")
    assert flags(inflow)[0] is False
    svc.mobile_end(user=cast.secretary_a, record=roaming, until=datetime.date(2026, 1, 1))
    assert flags(roaming) == (False, False)


def test_no_report_in_twelve_months_is_flagged(cast):
    record = start(cast, cast.mem_a, since=datetime.date(2025, 1, 10))
    # Nothing reported yet: counted from the start of the record.
    with frozen(2026, 1, 10):
        assert flags(record)[1] is False
    with frozen(2026, 1, 11):
        assert flags(record)[1] is True
        assert list(report_missing(MobileRecord.objects.all())) == [record]
    with frozen(2025, 3, 10):
        svc.mobile_report(user=cast.secretary_a, record=record, reported_on=datetime.date(2025, 3, 10))
    # A report exactly twelve months ago still counts; the day after it does not.
    with frozen(2026, 3, 10, 23, 59):
        assert flags(record)[1] is False
    with frozen(2026, 3, 11, 0, 0):
        assert flags(record)[1] is True
        svc.mobile_report(user=cast.secretary_a, record=record, reported_on=datetime.date(2026, 3, 11))
        assert flags(record)[1] is False


def test_list_filters_and_badges(cast, client_for):
    away = start(cast, cast.mem_a, since=datetime.date(2025, 1, 1))
    recent = start(cast, make_member(cast.a, "甲二"), since=datetime.date(2026, 11, 1))
    ended = start(cast, make_member(cast.a, "甲三"), since=datetime.date(2026, 1, 1))
    svc.mobile_end(user=cast.secretary_a, record=ended, until=datetime.date(2026, 3, 1))
    client = client_for(cast.secretary_a)
    url = reverse("members:mobile_list")

    def listed(query=""):
        response = client.get(url + query)
        assert response.status_code == 200
        return response, {r.pk for r in response.context["page"].object_list}

    response, rows = listed()
    assert rows == {away.pk, recent.pk}  # open records by default
    assert response.context["needs_transfer_count"] == 1
    assert response.context["report_missing_count"] == 1
    html = response.content.decode()
    assert "应转接组织关系" in html and "本年度未汇报" in html
    assert listed("?state=ended")[1] == {ended.pk}
    assert listed("?state=all")[1] == {away.pk, recent.pk, ended.pk}
    assert listed("?flag=needs_transfer")[1] == {away.pk}
    assert listed("?flag=report_missing")[1] == {away.pk}
    assert listed("?direction=inflow")[1] == set()
    response, _ = listed("?q=不存在")
    assert "没有符合条件的流动党员登记" in response.content.decode()
    detail = client.get(reverse("members:mobile_detail", args=[away.pk])).content.decode()
    assert reverse("members:transfer_start", args=[cast.mem_a.pk]) in detail  # the way to a transfer


def test_pages_create_report_and_end(cast, client_for):
    client = client_for(cast.secretary_a)
    member = make_member(cast.a, "甲二")
    url = reverse("members:mobile_create", args=[member.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"direction": "inflow", "location": "本单位", "since": "2026-06-01"})
    assert response.status_code == 200
    assert "home_org" in response.context["form"].errors
    response = client.post(
        url, {"direction": "outflow", "location": "北京市海淀区", "since": "2026-06-01", "fixed_place": "on"}
    )
    record = MobileRecord.objects.get(member=member)
    assert response.url == reverse("members:mobile_detail", args=[record.pk])
    response = client.post(
        reverse("members:mobile_report", args=[record.pk]),
        {"reported_on": "2026-12-01", "summary": "参加当地主题党日"},
    )
    assert response.status_code == 302
    assert (
        "参加当地主题党日" in client.get(reverse("members:mobile_detail", args=[record.pk])).content.decode()
    )
    response = client.post(reverse("members:mobile_end", args=[record.pk]), {"until": "2026-12-15"})
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.is_mobile is False


# --- Permission matrix ---------------------------------------------------------------------------

ROLES = ("admin", "committee", "other_committee", "secretary_a", "secretary_b", "member_a", "outsider")
SEES = {
    "admin": {"a", "b"},
    "committee": {"a", "b"},
    "other_committee": set(),
    "secretary_a": {"a"},
    "secretary_b": {"b"},
    "member_a": set(),
    "outsider": set(),
}


@pytest.fixture
def two_records(cast):
    return {
        "a": start(cast, make_member(cast.a, "甲二")),
        "b": start(cast, make_member(cast.b, "乙二"), user=cast.secretary_b),
    }


@pytest.mark.parametrize("target", ["a", "b"])
@pytest.mark.parametrize("role", ROLES)
def test_mobile_permission_matrix(cast, client_for, two_records, role, target):
    record = two_records[target]
    client = client_for(getattr(cast, role))
    sees = target in SEES[role]
    assert client.get(reverse("members:mobile_detail", args=[record.pk])).status_code == (
        200 if sees else 404
    )
    for name in ("mobile_report", "mobile_end"):
        assert client.get(reverse(f"members:{name}", args=[record.pk])).status_code == (200 if sees else 404)
    assert client.get(reverse("members:mobile_create", args=[record.member_id])).status_code == (
        200 if sees else 404
    )
    response = client.post(reverse("members:mobile_report", args=[record.pk]), {"reported_on": "2026-12-01"})
    assert response.status_code == (302 if sees else 404)
    assert MobileReport.objects.filter(record=record).exists() == sees
    listed = {r.pk for r in client.get(reverse("members:mobile_list")).context["page"].object_list}
    assert listed == {two_records[t].pk for t in SEES[role]}


def test_a_member_sees_only_their_own_record_and_cannot_change_it(cast, client_for):
    own = start(cast, cast.mem_a)
    other = start(cast, make_member(cast.a, "甲二"))
    assert set(mobile_records_visible_to(cast.member_a)) == {own}
    client = client_for(cast.member_a)
    assert client.get(reverse("members:mobile_detail", args=[own.pk])).status_code == 200
    assert client.get(reverse("members:mobile_detail", args=[other.pk])).status_code == 404
    assert (
        client.post(
            reverse("members:mobile_report", args=[own.pk]), {"reported_on": "2026-12-01"}
        ).status_code
        == 403
    )
    assert client.get(reverse("members:mobile_create", args=[cast.mem_a.pk])).status_code == 403
    assert "登记汇报" not in client.get(reverse("members:mobile_detail", args=[own.pk])).content.decode()


# --- Query count ---------------------------------------------------------------------------------


def _bulk_records(cast, n, offset):
    members = Member.objects.bulk_create(
        Member(name=f"流动{offset + i}", gender="male", branch=cast.a, status="full", is_mobile=True)
        for i in range(n)
    )
    MobileRecord.objects.bulk_create(
        MobileRecord(
            member=m,
            direction=MobileDirection.OUTFLOW,
            location="外地",
            since=datetime.date(2025, 1, 1) if i % 2 else datetime.date(2026, 10, 1),
            card_no=f"C{offset + i}",
            last_report_on=datetime.date(2025, 6, 1) if i % 3 else None,
        )
        for i, m in enumerate(members)
    )


@pytest.mark.parametrize(
    "query", ["", "?flag=needs_transfer", "?flag=report_missing&direction=outflow&q=流动"]
)
def test_mobile_list_costs_the_same_for_1_and_50_rows(cast, client_for, query):
    """Per request: session, user, scope (grants, posts, member rows), the two flag badge counts,
    the page count and the page rows (member and branch joined, flags annotated in SQL)."""
    client = client_for(cast.committee)
    url = reverse("members:mobile_list") + query

    def count():
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200
        return len(ctx.captured_queries), len(response.context["page"].object_list)

    _bulk_records(cast, 2, 0)
    one, rows = count()
    assert rows >= 1
    _bulk_records(cast, 98, 2)
    fifty, rows = count()
    assert rows > 1
    assert fifty == one
