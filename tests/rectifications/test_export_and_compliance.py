"""The ledger's Excel export in the paper layout, and the one-click item from a compliance miss."""

import datetime
import io

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from openpyxl import load_workbook

from exports.models import ExportJob, ExportStatus
from rectifications import services
from rectifications.models import Item, Ledger

TODAY = datetime.datetime(2026, 7, 10, 10, 0, tzinfo=datetime.UTC)


@pytest.fixture
def request_export(client_for, django_capture_on_commit_callbacks, media_root):
    def post(user, **params):
        client = client_for(user)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/exports/new/rectification_ledger/", params)
        assert response.status_code == 302
        job = ExportJob.objects.get(pk=int(response.url.rstrip("/").rsplit("/", 1)[-1]))
        assert job.status == ExportStatus.DONE, job.error
        download = client.get(f"/exports/{job.pk}/download/")
        ws = load_workbook(io.BytesIO(b"".join(download.streaming_content)), read_only=True).active
        return [list(row) for row in ws.iter_rows(values_only=True)]

    return post


@time_machine.travel(TODAY)
def test_export_has_the_paper_layout(cast, ledger, make_item, request_export):
    first = make_item(ledger, lead_person=cast.sec_a, responsible_people=[cast.sec_a, cast.mem_a])
    make_item(
        ledger,
        cast.b,
        problem="乙支部党费收缴不及时",
        measures=["按月收缴"],
        deadline=datetime.date(2026, 8, 31),
    )
    services.item_claim(user=cast.secretary_a, item=first)
    services.item_progress_add(
        user=cast.secretary_a, item=first, text="已补齐记录", on=datetime.date(2026, 7, 5)
    )
    rows = request_export(cast.committee, ledger=ledger.pk)
    assert rows[0] == ["序号", "问题", "整改措施", "责任人", "责任单位", "整改时限", "推进情况", "状态"]
    assert len(rows) == 3
    seq, problem, measures, people, units, deadline, progress, status = rows[1]
    assert (seq, problem, units) == (1, "三会一课记录不规范", "甲党支部")
    assert measures == "1. 补齐会议记录\n2. 建立月度检查制度"
    assert people == "总负责人：甲书记；责任人：甲党员"
    assert deadline.date() == datetime.date(2026, 6, 30)
    assert progress == "2026-07-05 已补齐记录"
    assert status == "整改中（已逾期）"
    assert rows[2][7] == "待认领"
    # The page's filters apply; a branch exports only its own items; a foreign ledger: nothing.
    assert len(request_export(cast.committee, ledger=ledger.pk, unit=cast.b.pk)) == 2
    assert len(request_export(cast.committee, ledger=ledger.pk, overdue="1")) == 2
    assert [r[1] for r in request_export(cast.secretary_b, ledger=ledger.pk)[1:]] == ["乙支部党费收缴不及时"]
    assert len(request_export(cast.other_committee, ledger=ledger.pk)) == 1


@time_machine.travel(TODAY)
def test_compliance_miss_becomes_one_item_in_a_period_ledger(cast):
    kwargs = {
        "issuer": cast.c1,
        "unit": cast.a,
        "rule_code": "meetings.branch_committee.quarterly",
        "rule_label": "支委会每月1次",
        "period": "2026-Q2",
        "summary": "第二季度支委会召开2次，应为3次",
        "user": cast.committee,
    }
    item = services.item_create_from_compliance_miss(**kwargs)
    assert services.item_create_from_compliance_miss(**kwargs) == item
    assert Item.objects.count() == 1
    assert item.ledger.source == "compliance_miss" and item.ledger.period == "2026-Q2"
    assert (item.source_unit, item.source_rule_code, item.source_period) == (
        cast.a,
        kwargs["rule_code"],
        "2026-Q2",
    )
    assert "支委会每月1次" in item.problem and list(item.units.all()) == [cast.a]
    other = services.item_create_from_compliance_miss(**{**kwargs, "unit": cast.b})
    assert other.ledger == item.ledger and Ledger.objects.count() == 1
    with pytest.raises(ValidationError) as exc:
        services.item_create_from_compliance_miss(**{**kwargs, "period": "Q2", "unit": cast.d})
    assert {"period", "unit"} <= set(exc.value.message_dict)


@time_machine.travel(TODAY)
def test_compliance_page_prefills_then_creates(cast, client_for):
    client = client_for(cast.committee)
    url = reverse("rectifications:from_compliance")
    params = {
        "unit": cast.a.pk,
        "rule": "dues.collection",
        "period": "2026-Q2",
        "rule_label": "党费按月收缴",
        "summary": "3人欠缴",
    }
    page = client.get(url, params)
    assert page.status_code == 200
    body = page.content.decode()
    assert "甲党支部" in body and "党费按月收缴" in body and "3人欠缴" in body
    assert list(page.context["issuers"])[0] == cast.c1  # the nearest committee first
    response = client.post(url, {**params, "issuer": cast.c1.pk})
    item = Item.objects.get()
    assert response.status_code == 302 and response.url == reverse("rectifications:item", args=[item.pk])
    # Again: the page shows the item already made, and a second POST does not make another.
    assert "已经转为整改事项" in client.get(url, params).content.decode()
    client.post(url, {**params, "issuer": cast.c1.pk})
    assert Item.objects.count() == 1


def test_compliance_page_validates_its_parameters(cast, client_for):
    client = client_for(cast.committee)
    url = reverse("rectifications:from_compliance")
    bad = client.get(url, {"unit": cast.a.pk, "rule": "x y", "period": "last quarter"})
    assert bad.status_code == 400
    body = bad.content.decode()
    assert "rule" in body and "period" in body
    assert client.get(url, {"unit": cast.d.pk, "rule": "r", "period": "2026-Q2"}).status_code == 404
    assert (
        client_for(cast.secretary_b)
        .get(url, {"unit": cast.a.pk, "rule": "r", "period": "2026-Q2"})
        .status_code
        == 404
    )
    assert (
        client_for(cast.member_a).get(url, {"unit": cast.a.pk, "rule": "r", "period": "2026-Q2"}).status_code
        == 403
    )
