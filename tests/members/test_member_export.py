"""The roster export (花名册): the rows the user can see, 身份证号 and phone masked whatever the role,
labels instead of codes — built by the export job like every export."""

import datetime
import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from exports.base import get_exporter, render_xlsx
from exports.models import ExportJob, ExportStatus
from members.models import Member
from members.protected import id_check_digit


def make_id(n):
    body = f"11010519850101{n % 1000:03d}"
    return body + id_check_digit(body)


@pytest.fixture
def request_export(client_for, django_capture_on_commit_callbacks, media_root):
    """POST the export form as `user` and return the finished job's rows (header included)."""

    def post(user, **params):
        client = client_for(user)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/exports/new/members/", params)
        assert response.status_code == 302
        job = ExportJob.objects.get(pk=int(response.url.rstrip("/").rsplit("/", 1)[-1]))
        assert job.status == ExportStatus.DONE, job.error
        download = client.get(f"/exports/{job.pk}/download/")
        assert download.status_code == 200
        ws = load_workbook(io.BytesIO(b"".join(download.streaming_content)), read_only=True).active
        return [list(row) for row in ws.iter_rows(values_only=True)]

    return post


@pytest.fixture
def people(cast):
    """A full member of a with every protected value and flag, one of b, one transferred out of a."""
    zhang = Member.objects.create(
        name="张红",
        gender="female",
        ethnicity="汉族",
        birth_date=datetime.date(1985, 1, 1),
        education="postgraduate",
        branch=cast.a,
        party_group=cast.a_group,
        id_number=make_id(2),
        phone="13912345678",
        status="full",
        dues_category="retired",
        admitted_on=datetime.date(2010, 7, 1),
        regularised_on=datetime.date(2011, 7, 1),
        is_hardship=True,
        quorum_excluded=True,
        quorum_exclusion_reason="出国",
    )
    Member.objects.create(
        name="乙某", gender="male", branch=cast.b, id_number=make_id(3), phone="13800000003"
    )
    Member.objects.create(name="已转走", gender="male", branch=cast.a, status="transferred_out")
    return zhang


def names(rows):
    return sorted(r[2] for r in rows[1:])


def test_the_exporter_is_registered():
    exporter = get_exporter("members")
    assert exporter is not None and str(exporter.label) == "花名册"


def test_a_secretary_exports_their_branch_masked_with_labels(cast, people, request_export):
    rows = request_export(cast.secretary_a)

    header = rows[0]
    assert header[:3] == ["所在支部", "党小组", "姓名"] and "身份证号" in header and "手机号码" in header
    assert names(rows) == ["张红", "甲书记", "甲党员"]  # not branch b, not the transferred-out
    row = dict(zip(header, next(r for r in rows if r[2] == "张红"), strict=True))
    assert row["身份证号"] == make_id(2)[:6] + "********" + make_id(2)[14:]
    assert row["手机号码"] == "139****5678"
    assert (row["所在支部"], row["党小组"], row["性别"], row["学历"]) == (
        "甲党支部",
        "甲第一党小组",
        "女",
        "研究生",
    )
    assert (row["政治面貌"], row["党费类别"]) == ("正式党员", "离退休")
    assert row["出生日期"].date() == datetime.date(1985, 1, 1)
    assert (row["困难党员"], row["老弱病残"], row["不计入应到会人数"]) == ("是", "否", "是")
    assert row["不计入应到会人数的原因"] == "出国"
    text = json.dumps(rows, default=str, ensure_ascii=False)
    assert make_id(2) not in text and "13912345678" not in text


@pytest.mark.parametrize("who", ["committee", "admin"])
def test_no_role_gets_the_full_values(cast, people, request_export, who):
    rows = request_export(getattr(cast, who))
    text = json.dumps(rows, default=str, ensure_ascii=False)
    for value in (make_id(2), make_id(3), "13912345678", "13800000003"):
        assert value not in text
    assert "139****5678" in text and "138****0003" in text


def test_the_export_honours_visible_to_and_the_filters(cast, people, request_export):
    assert names(request_export(cast.committee)) == ["乙书记", "乙某", "张红", "甲书记", "甲党员"]
    assert names(request_export(cast.committee, within=cast.b.pk)) == ["乙书记", "乙某"]
    assert names(request_export(cast.committee, within=cast.d.pk)) == []  # foreign: nothing of it
    assert names(request_export(cast.secretary_b, within=cast.a.pk)) == []
    assert names(request_export(cast.secretary_b, branch=cast.a.pk)) == []
    assert names(request_export(cast.other_committee)) == ["丁党员"]
    assert names(request_export(cast.member_a)) == ["甲党员"]  # a member sees only themself
    assert names(request_export(cast.outsider)) == []
    assert "已转走" in names(request_export(cast.secretary_a, status="all"))
    assert names(request_export(cast.secretary_a, status="transferred_out")) == ["已转走"]
    assert names(request_export(cast.secretary_a, party_group=cast.a_group.pk)) == [
        "张红",
        "甲书记",
        "甲党员",
    ]
    assert names(request_export(cast.secretary_a, flag="hardship")) == ["张红"]
    assert names(request_export(cast.secretary_a, dues_category="retired")) == ["张红"]
    # The roster's search too: name, pinyin initials.
    assert names(request_export(cast.secretary_a, q="zh")) == ["张红"]
    assert names(request_export(cast.secretary_a, q="党员")) == ["甲党员"]


@pytest.mark.parametrize("extra", [0, 50])
def test_rows_cost_no_queries_each(cast, extra):
    """The rows are one query (names joined in, no decryption), whatever their number; the count
    and the scope come on top."""
    Member.objects.bulk_create(
        Member(name=f"批量{i}", gender="male", branch=cast.a, party_group=cast.a_group) for i in range(extra)
    )
    user = cast.committee
    exporter = get_exporter("members")
    list(exporter.iterate_rows(user, {}))  # the scope is computed once per user object
    with CaptureQueriesContext(connection) as queries:
        content, rows = render_xlsx(exporter, user, {})
    assert rows == 3 + extra  # the secretaries of a and b, member_a
    assert len(queries) == 2  # the count, the rows
