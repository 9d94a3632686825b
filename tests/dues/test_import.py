"""Base import: template, dry run with row errors, error workbook, all-or-nothing, idempotent."""

import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from dues import importer, services
from dues.models import BaseImport, DuesBase
from members.protected import id_check_digit
from tests.conftest import make_member

pytestmark = pytest.mark.django_db
HEADERS = ["姓名", "身份证号", "党费类别", "月收入基数", "备注"]


def make_id(n):
    body = f"110105198001{n + 1:02d}{101 + 2 * n:03d}"
    return body + id_check_digit(body)


def xlsx(rows, headers=HEADERS):
    wb = Workbook()
    ws = wb.active
    ws.title = "党费基数"
    ws.append(headers)
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return SimpleUploadedFile("bases.xlsx", buffer.getvalue())


@pytest.fixture
def people(cast, media_root):
    a1 = make_member(cast.a, "王一")
    a1.id_number = make_id(1)
    a1.save()
    a2 = make_member(cast.a, "王二")
    return a1, a2


def test_template_lists_the_branchs_members(cast, people):
    wb = importer.template_workbook(cast.a)
    names = [row[0] for row in wb["党费基数"].iter_rows(min_row=2, values_only=True)]
    assert {"王一", "王二", "甲党员"} <= set(names)
    assert [c.value for c in wb["党费基数"][1]] == HEADERS


def test_dry_run_apply_and_idempotence(cast, people):
    a1, a2 = people
    rows = [
        ["王一", make_id(1), "在职", "5000.01", ""],
        ["王二", None, "离退休", 4000, ""],
        ["甲党员", None, "学生", None, ""],
    ]
    record, result = importer.base_import_create(
        user=cast.secretary_a, branch=cast.a, year=2026, file=xlsx(rows)
    )
    assert result.ok and result.counts["create"] == 3
    assert not DuesBase.objects.exists()  # a dry run writes nothing
    importer.base_import_apply(user=cast.secretary_a, record=record)
    amounts = dict(DuesBase.objects.values_list("member__name", "monthly_amount"))
    assert amounts == {"王一": Decimal("75.00"), "王二": Decimal("20.00"), "甲党员": Decimal("0.20")}
    again, result = importer.base_import_create(
        user=cast.secretary_a, branch=cast.a, year=2026, file=xlsx(rows)
    )
    assert result.counts["unchanged"] == 3
    importer.base_import_apply(user=cast.secretary_a, record=again)
    assert DuesBase.objects.count() == 3
    with pytest.raises(ValidationError):
        importer.base_import_apply(user=cast.secretary_a, record=again)


def test_errors_name_row_and_column_and_nothing_is_written(cast, people):
    rows = [
        ["王一", make_id(1), "在职", "5000", ""],
        ["王二", None, "在职", "-5", ""],
        ["不存在", None, "在职", "100", ""],
        ["王一", make_id(1), "火星人", "100", ""],
        ["乙书记", None, "在职", "100", ""],  # another branch's member
    ]
    record, result = importer.base_import_create(
        user=cast.secretary_a, branch=cast.a, year=2026, file=xlsx(rows)
    )
    assert record.status == BaseImport.Status.INVALID
    errors = {(e["row"], e["column"]) for e in result.errors}
    assert {(3, "月收入基数"), (4, "身份证号"), (5, "党费类别"), (6, "身份证号")} <= errors
    assert (2, "身份证号") in errors  # the ID appears twice
    with pytest.raises(ValidationError):
        importer.base_import_apply(user=cast.secretary_a, record=record)
    assert not DuesBase.objects.exists()
    wb = load_workbook(io.BytesIO(_save(importer.error_workbook(record))))
    explanations = [row[-1] for row in wb.active.iter_rows(min_row=2, values_only=True)]
    assert any("第3行 月收入基数" in e for e in explanations)


def _save(wb):
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def test_locked_bases_are_not_changed_by_import(cast, people):
    a1, _a2 = people
    base = services.dues_base_save(
        user=cast.secretary_a, member=a1, year=2026, category="in_service", income="5000.00"
    )
    services.dues_base_verify(user=cast.secretary_a, base=base)
    services.dues_bases_lock(user=cast.secretary_a, branch=cast.a, year=2026)
    _record, result = importer.base_import_create(
        user=cast.secretary_a, branch=cast.a, year=2026, file=xlsx([["王一", make_id(1), "在职", "8000", ""]])
    )
    assert [e["column"] for e in result.errors] == ["月收入基数"]


def test_bad_file_and_wrong_headers(cast, people):
    with pytest.raises(ValidationError) as exc:
        importer.base_import_create(
            user=cast.secretary_a, branch=cast.a, year=2026, file=SimpleUploadedFile("x.xlsx", b"nope")
        )
    assert "file" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        importer.base_import_create(
            user=cast.secretary_a, branch=cast.a, year=2026, file=xlsx([["a"]], headers=["姓名"])
        )
    assert "身份证号" in exc.value.message_dict["file"][0]


def test_only_the_branch_may_import(cast, people):
    with pytest.raises(PermissionDenied):
        importer.base_import_create(
            user=cast.secretary_b, branch=cast.a, year=2026, file=xlsx([["王二", None, "学生", None, ""]])
        )


def test_import_pages(cast, people, client_for):
    client = client_for(cast.secretary_a)
    assert client.get(f"/dues/branch/{cast.a.pk}/import/template/").status_code == 200
    response = client.post(
        f"/dues/branch/{cast.a.pk}/import/", {"year": 2026, "file": xlsx([["王二", None, "学生", None, ""]])}
    )
    record = BaseImport.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/dues/imports/{record.pk}/"
    assert client_for(cast.secretary_b).get(f"/dues/imports/{record.pk}/").status_code == 404
    client = client_for(cast.secretary_a)
    assert client.post(f"/dues/imports/{record.pk}/").status_code == 302
    assert DuesBase.objects.get().monthly_amount == Decimal("0.20")
