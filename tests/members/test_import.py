"""Roster import: the template, the dry run (counts, each error with its row, column and reason),
the error workbook, the all-or-nothing apply, idempotence, and who may import where."""

import datetime
import io
import json
import zipfile

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook, load_workbook

from audit.models import AuditEntry
from branches.models import Organization
from branches.scoping import scope_for
from members import importer
from members.models import Member, RosterImport, StatusChange
from members.protected import id_check_digit

HEADERS = [
    "姓名",
    "性别",
    "民族",
    "出生日期",
    "学历",
    "身份证号",
    "手机号码",
    "党小组",
    "政治面貌",
    "党费类别",
    "递交入党申请书日期",
    "确定为入党积极分子日期",
    "确定为发展对象日期",
    "入党日期",
    "预备期满日期",
    "转正日期",
    "老弱病残",
    "困难党员",
    "不计入应到会人数",
    "不计入应到会人数的原因",
]


def make_id(n, *, born=datetime.date(1980, 1, 1), area="110105"):
    """A valid 18-character 身份证号, distinct for each n (odd sequence → male)."""
    born += datetime.timedelta(days=n // 400)
    body = f"{area}{born:%Y%m%d}{(n % 400) * 2 + 101:03d}"
    return body + id_check_digit(body)


def person(n, **cells):
    row = {"姓名": f"导入{n}号", "身份证号": make_id(n), "手机号码": f"139{n:08d}", "政治面貌": "正式党员"}
    row.update(cells)
    return row


def xlsx(rows, headers=HEADERS, name="花名册.xlsx"):
    wb = Workbook()
    ws = wb.active
    ws.title = "花名册"
    ws.append(list(headers))
    for row in rows:
        ws.append([row.get(h) for h in headers])
    buffer = io.BytesIO()
    wb.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def rows_of(content, sheet=None):
    wb = load_workbook(io.BytesIO(content) if isinstance(content, bytes) else content)
    ws = wb[sheet] if sheet else wb.worksheets[0]
    return [list(r) for r in ws.iter_rows(values_only=True)]


def upload(user, branch, rows):
    roster_import, result = importer.roster_import_create(user=user, branch=branch, file=xlsx(rows))
    return roster_import, result


def member_audit_count():
    return AuditEntry.objects.filter(action__startswith="members.member.").count()


@pytest.fixture
def existing(cast):
    """Someone already on branch a's roster, entered through the model."""
    return Member.objects.create(
        name="老党员",
        gender="male",
        ethnicity="回族",
        birth_date=datetime.date(1980, 1, 3),  # as in the 身份证号
        branch=cast.a,
        party_group=cast.a_group,
        id_number=make_id(900),
        phone="13700000001",
        status="full",
        regularised_on=datetime.date(2001, 7, 1),
    )


# --- The template -------------------------------------------------------------------------------


def test_the_template_has_the_columns_dropdowns_and_instructions(cast, client_for):
    response = client_for(cast.secretary_a).get("/members/import/template/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert wb.sheetnames == ["花名册", "填写说明"]
    ws = wb["花名册"]
    assert [c.value for c in ws[1]] == HEADERS
    assert ws.max_row == 1  # no data rows: the example sits on the 填写说明 sheet
    dropdowns = {str(dv.sqref).split(":")[0][:-1]: dv.formula1 for dv in ws.data_validations.dataValidation}
    assert dropdowns["B"] == '"男,女"'
    assert dropdowns["I"] == '"入党申请人,入党积极分子,发展对象,预备党员,正式党员"'
    assert "抚恤/救济/低保" in dropdowns["J"] and "大学本科" in dropdowns["E"]
    assert dropdowns["Q"] == dropdowns["R"] == dropdowns["S"] == '"是,否"'
    assert ws.column_dimensions["F"].number_format == "@"  # 身份证号 as text keeps all 18 digits
    notes = list(wb["填写说明"].iter_rows(values_only=True))
    assert any(r[0] and "示例" in r[0] for r in notes)
    example = notes[[i for i, r in enumerate(notes) if r[0] and "示例" in r[0]][0] + 2]
    assert example[0] == "李明" and example[5] == "110105199003151239"


def test_a_filled_in_template_imports(cast):
    wb = importer.template_workbook()
    wb["花名册"].append(
        ["张三", "男", "汉族", None, "大学本科", make_id(1), "13900000001", "甲第一党小组", "正式党员"]
    )
    buffer = io.BytesIO()
    wb.save(buffer)
    result = importer.preview(cast.secretary_a, cast.a, SimpleUploadedFile("t.xlsx", buffer.getvalue()))
    assert result.errors == [] and result.counts["create"] == 1


# --- The dry run ----------------------------------------------------------------------------------


def test_the_dry_run_counts_creates_updates_and_unchanged_and_writes_nothing(cast, existing):
    same = person(900, 姓名="老党员", 手机号码="13700000001", 民族="回族")
    changed = person(901)
    Member.objects.create(
        name="导入901号",
        gender="male",
        birth_date=datetime.date(1980, 1, 3),
        branch=cast.a,
        id_number=make_id(901),
    )
    before = (Member.objects.count(), AuditEntry.objects.count(), StatusChange.objects.count())

    result = importer.preview(cast.secretary_a, cast.a, xlsx([person(1), same, changed]))

    assert result.ok
    assert result.counts == {"create": 1, "update": 1, "unchanged": 1, "error": 0}
    assert [(p.row, p.action) for p in result.rows] == [(2, "create"), (3, "unchanged"), (4, "update")]
    assert result.rows[2].changed == ("phone",)
    assert (Member.objects.count(), AuditEntry.objects.count(), StatusChange.objects.count()) == before
    assert not RosterImport.objects.exists()


@pytest.mark.parametrize("rows", [1, 40])
def test_the_dry_run_takes_the_same_queries_for_1_and_40_rows(
    cast, existing, rows, django_assert_num_queries
):
    file = xlsx(
        [
            person(900, 姓名="老党员", 手机号码="13700000009"),
            *(
                person(n, 党小组="甲第一党小组", 政治面貌="入党申请人", 递交入党申请书日期="2020-01-01")
                for n in range(rows)
            ),
        ]
    )
    scope_for(cast.secretary_a)  # computed once per user object, as in a request
    # The party groups of the branch, the development rules (every date), the people already
    # registered under the file's IDs: three queries, none per row.
    with django_assert_num_queries(3):
        result = importer.preview(cast.secretary_a, cast.a, file)
    assert result.counts == {"create": rows, "update": 1, "unchanged": 0, "error": 0}


@pytest.mark.parametrize(
    ("cells", "column", "reason"),
    [
        ({"身份证号": make_id(1)[:-1] + ("0" if make_id(1)[-1] != "0" else "1")}, "身份证号", "校验位"),
        ({"身份证号": None}, "身份证号", "请填写身份证号"),
        ({"身份证号": 110105198001011010.0}, "身份证号", "文本格式"),
        ({"出生日期": "1990-02-30"}, "出生日期", "日期无效"),
        ({"出生日期": "1979-12-31"}, "身份证号", "出生日期"),
        ({"性别": "未知"}, "性别", "不是有效的选项"),
        ({"学历": "博士后"}, "学历", "可选：研究生"),
        ({"困难党员": "可能"}, "困难党员", "“是”或“否”"),
        ({"党小组": "不存在的小组"}, "党小组", "不是甲党支部下的党小组"),
        ({"政治面貌": None}, "政治面貌", "请填写政治面貌"),
        ({"政治面貌": "已转出"}, "政治面貌", "只能是入党申请人"),
        ({"不计入应到会人数": "是"}, "不计入应到会人数的原因", "必须说明原因"),
        ({"手机号码": "12345"}, "手机号码", "11位"),
        ({"政治面貌": "预备党员"}, "入党日期", "须填写"),
        ({"姓名": "名" * 51}, "姓名", "不能超过50个字"),
        ({"政治面貌": "入党申请人", "递交入党申请书日期": "1995-01-01"}, "递交入党申请书日期", "年满18周岁"),
        (
            {"确定为入党积极分子日期": "2010-01-01", "递交入党申请书日期": "2011-01-01"},
            "确定为入党积极分子日期",
            "早于",
        ),
        ({"入党日期": "2999-01-01"}, "入党日期", "不能晚于今天"),
    ],
)
def test_each_bad_row_is_reported_with_its_row_column_and_reason(cast, cells, column, reason):
    result = importer.preview(cast.secretary_a, cast.a, xlsx([person(1), person(2, **cells)]))

    assert not result.ok
    assert [(e["row"], e["column"]) for e in result.errors] == [(3, column)]
    assert reason in result.errors[0]["message"]
    assert result.counts == {"create": 1, "update": 0, "unchanged": 0, "error": 1}
    assert make_id(2) not in json.dumps(result.errors, ensure_ascii=False)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2020-01-05", datetime.date(2020, 1, 5)),
        ("2020/1/5", datetime.date(2020, 1, 5)),
        ("2020.1.5", datetime.date(2020, 1, 5)),
        ("2020年1月5日", datetime.date(2020, 1, 5)),
        (datetime.datetime(2020, 1, 5), datetime.date(2020, 1, 5)),
        (43835, datetime.date(2020, 1, 5)),  # an Excel serial date in a number-formatted cell
    ],
)
def test_dates_in_the_forms_people_type_them(cast, value, expected):
    result = importer.preview(cast.secretary_a, cast.a, xlsx([person(1, 转正日期=value)]))
    assert result.ok
    assert result.rows[0].member.regularised_on == expected


def test_labels_flags_and_the_party_group_are_mapped(cast):
    row = person(
        1,
        性别="男",
        学历="大学本科",
        党费类别="离退休",
        党小组="甲第一党小组",
        老弱病残="是",
        困难党员="否",
        不计入应到会人数="是",
        不计入应到会人数的原因="长期患病",
    )
    member = importer.preview(cast.secretary_a, cast.a, xlsx([row])).rows[0].member
    assert (member.gender, member.education, member.dues_category) == ("male", "undergraduate", "retired")
    assert (member.party_group, member.is_elderly_infirm, member.is_hardship) == (cast.a_group, True, False)
    assert member.quorum_excluded and member.quorum_exclusion_reason == "长期患病"
    assert member.birth_date == datetime.date(1980, 1, 1)  # derived from the 身份证号


def test_an_id_twice_in_the_file_is_an_error_on_both_rows(cast):
    result = importer.preview(
        cast.secretary_a, cast.a, xlsx([person(1), person(2), person(1, 姓名="又一个")])
    )
    assert [(e["row"], e["column"], e["message"]) for e in result.errors] == [
        (2, "身份证号", "身份证号与第4行重复。"),
        (4, "身份证号", "身份证号与第2行重复。"),
    ]


def test_a_status_differing_from_the_record_is_an_error(cast, existing):
    result = importer.preview(cast.secretary_a, cast.a, xlsx([person(900, 政治面貌="预备党员")]))
    [error] = result.errors
    assert (error["row"], error["column"]) == (2, "政治面貌")
    assert "正式党员" in error["message"] and "流程" in error["message"]


def test_an_id_of_another_branch_does_not_leak_the_branch_to_who_cannot_see_it(cast):
    Member.objects.create(name="乙的人", gender="male", branch=cast.b, id_number=make_id(5))
    Member.objects.create(name="丁的人", gender="male", branch=cast.d, id_number=make_id(6))
    rows = [person(5), person(6)]

    [b_error, d_error] = importer.preview(cast.secretary_a, cast.a, xlsx(rows)).errors
    assert b_error["message"] == d_error["message"] == "该身份证号已在其他党组织登记，请办理组织关系转接。"
    assert (b_error["row"], b_error["column"]) == (2, "身份证号")

    # The committee over a and b may know where the person is — but not about branch d.
    [b_error, d_error] = importer.preview(cast.committee, cast.a, xlsx(rows)).errors
    assert "乙党支部" in b_error["message"] and "乙的人" in b_error["message"]
    assert "丁" not in d_error["message"]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"name,id\n", "无法读取该文件"),
        (None, "无法读取该文件"),  # a zip that holds no workbook
        ("missing", "缺少列：手机号码"),
        ("unknown", "无法识别的列：籍贯"),
        ("empty", "没有数据行"),
    ],
)
def test_a_file_that_is_not_the_template_is_refused_and_nothing_is_kept(cast, content, reason):
    if content is None:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("hello.txt", "hi")
        file = SimpleUploadedFile("x.xlsx", buffer.getvalue())
    elif content == "missing":
        file = xlsx([person(1)], headers=[h for h in HEADERS if h != "手机号码"])
    elif content == "unknown":
        file = xlsx([person(1)], headers=[*HEADERS, "籍贯"])
    elif content == "empty":
        file = xlsx([])
    else:
        file = SimpleUploadedFile("x.xlsx", content)

    with pytest.raises(ValidationError) as exc:
        importer.roster_import_create(user=cast.secretary_a, branch=cast.a, file=file)
    assert reason in exc.value.message_dict["file"][0]
    assert not RosterImport.objects.exists()


# --- Apply ----------------------------------------------------------------------------------------


def test_apply_creates_people_with_their_status_schedule_and_masked_audit(
    cast, media_root, django_capture_on_commit_callbacks
):
    rows = [
        person(1, 党小组="甲第一党小组"),
        person(2, 政治面貌="入党申请人", 递交入党申请书日期="2024-03-01"),
        person(3, 政治面貌="预备党员", 入党日期="2024-05-01"),
    ]
    roster_import, preview_result = upload(cast.secretary_a, cast.a, rows)
    assert (roster_import.status, roster_import.summary["create"]) == ("previewed", 3)
    stored = media_root / roster_import.file.name
    assert stored.exists()

    with django_capture_on_commit_callbacks(execute=True):
        result = importer.apply(cast.secretary_a, roster_import)

    assert result.counts["create"] == 3
    created = {m.name: m for m in Member.objects.filter(name__startswith="导入")}
    assert created["导入1号"].party_group == cast.a_group
    assert created["导入1号"].id_number == make_id(1)
    assert created["导入1号"].id_masked == make_id(1)[:6] + "********" + make_id(1)[14:]
    assert Member.objects.with_id_number(make_id(2)).get().next_step_no == 2  # the talk is next
    assert created["导入2号"].development_steps.get().step_no == 1
    assert created["导入3号"].probation_end_on == datetime.date(2025, 5, 1)
    assert created["导入3号"].next_step_no == 18
    changes = StatusChange.objects.filter(member__in=created.values())
    assert sorted(changes.values_list("to_status", "reason")) == [
        ("applicant", "建档"),
        ("full", "建档"),
        ("probationary", "建档"),
    ]
    entries = AuditEntry.objects.filter(action="members.member.created", data__import=roster_import.pk)
    assert entries.count() == 3
    entry = entries.get(object_id=str(created["导入1号"].pk))
    assert entry.actor == cast.secretary_a
    assert entry.changes["id_masked"] == [None, created["导入1号"].id_masked]
    assert entry.changes["phone_masked"] == [None, "139****0001"]
    assert entry.data["labels"]["party_group_id"] == {str(cast.a_group.pk): "甲第一党小组"}
    trail = json.dumps(list(AuditEntry.objects.values("changes", "data")), ensure_ascii=False)
    for row in rows:
        assert row["身份证号"] not in trail and row["手机号码"] not in trail
    assert AuditEntry.objects.filter(action="members.rosterimport.imported").count() == 1
    roster_import.refresh_from_db()
    assert (roster_import.status, roster_import.file.name) == ("applied", "")
    assert not stored.exists()  # the upload held every 身份证号 in clear


def test_an_update_changes_only_the_changed_fields_and_blank_cells_keep_values(cast, existing, media_root):
    b_group = Organization.objects.add_child(
        cast.a, {"name": "甲第二党小组", "kind": "party_group", "field": "organ"}
    )
    row = person(900, 姓名="老党员", 手机号码="13700000002", 党小组="甲第二党小组", 转正日期="2001-07-01")
    roster_import, _ = upload(cast.secretary_a, cast.a, [row])
    assert roster_import.summary["changes"] == [
        {
            "row": 2,
            "action": "update",
            "name": "老党员",
            "id_masked": existing.id_masked,
            "columns": ["手机号码", "党小组"],
        }
    ]

    importer.apply(cast.secretary_a, roster_import)

    existing.refresh_from_db()
    assert (existing.phone, existing.party_group, existing.ethnicity) == ("13700000002", b_group, "回族")
    assert existing.phone_masked == "137****0002"
    [entry] = AuditEntry.objects.filter(action="members.member.updated", object_id=str(existing.pk))
    assert entry.changes == {
        "phone_masked": ["137****0001", "137****0002"],
        "party_group_id": [cast.a_group.pk, b_group.pk],
    }


def test_reimporting_the_same_file_changes_nothing(cast, existing, media_root):
    rows = [person(n, 政治面貌="入党积极分子", 确定为入党积极分子日期="2024-01-10") for n in range(1, 6)]
    rows.append(person(900, 姓名="老党员", 手机号码="13700000003"))
    first, _ = upload(cast.secretary_a, cast.a, rows)
    assert importer.apply(cast.secretary_a, first).counts == {
        "create": 5,
        "update": 1,
        "unchanged": 0,
        "error": 0,
    }
    audit = AuditEntry.objects.count()
    stamps = dict(Member.objects.values_list("pk", "updated_at"))

    second, _ = upload(cast.secretary_a, cast.a, rows)
    assert (second.summary["create"], second.summary["update"], second.summary["unchanged"]) == (0, 0, 6)
    result = importer.apply(cast.secretary_a, second)

    assert result.counts == {"create": 0, "update": 0, "unchanged": 6, "error": 0}
    assert AuditEntry.objects.count() == audit
    assert dict(Member.objects.values_list("pk", "updated_at")) == stamps
    assert Member.objects.filter(branch=cast.a).count() == 2 + 6  # the secretary and member_a too


def test_one_bad_row_means_nothing_is_written(cast, media_root):
    roster_import, result = upload(cast.secretary_a, cast.a, [person(1), person(2, 性别="未知"), person(3)])
    assert roster_import.status == "invalid"
    members, audit = Member.objects.count(), AuditEntry.objects.count()

    with pytest.raises(ValidationError):
        importer.apply(cast.secretary_a, roster_import)

    assert (Member.objects.count(), AuditEntry.objects.count()) == (members, audit)


def test_apply_checks_again_and_a_clash_since_the_preview_writes_nothing(cast, media_root):
    roster_import, _ = upload(cast.secretary_a, cast.a, [person(1), person(2)])
    assert roster_import.status == "previewed"
    Member.objects.create(name="后来者", gender="male", branch=cast.b, id_number=make_id(2))
    members = Member.objects.count()

    with pytest.raises(ValidationError):
        importer.apply(cast.secretary_a, roster_import)

    assert Member.objects.count() == members
    roster_import.refresh_from_db()
    assert roster_import.status == "invalid"
    assert [(e["row"], e["column"]) for e in roster_import.errors] == [(3, "身份证号")]


def test_a_failure_while_writing_rolls_everything_back(cast, media_root, monkeypatch):
    roster_import, _ = upload(cast.secretary_a, cast.a, [person(1), person(2)])
    members, changes = Member.objects.count(), StatusChange.objects.count()

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(importer, "_audit", broken)
    with pytest.raises(RuntimeError):
        importer.apply(cast.secretary_a, roster_import)

    assert (Member.objects.count(), StatusChange.objects.count()) == (members, changes)
    roster_import.refresh_from_db()
    assert roster_import.status == "previewed"


def test_an_id_registered_by_someone_else_while_writing_is_a_clean_refusal(cast, media_root, monkeypatch):
    roster_import, _ = upload(cast.secretary_a, cast.a, [person(1), person(2)])

    def clash(*args, **kwargs):
        raise IntegrityError("UNIQUE constraint failed: members_member.id_hash")

    monkeypatch.setattr(importer, "_audit", clash)
    with pytest.raises(ValidationError, match="重新上传"):
        importer.apply(cast.secretary_a, roster_import)
    assert not Member.objects.filter(name__startswith="导入").exists()


def test_an_applied_import_cannot_be_applied_again(cast, media_root):
    roster_import, _ = upload(cast.secretary_a, cast.a, [person(1)])
    importer.apply(cast.secretary_a, roster_import)
    with pytest.raises(ValidationError):
        importer.apply(cast.secretary_a, roster_import)
    assert Member.objects.filter(name="导入1号").count() == 1


# --- The error workbook ---------------------------------------------------------------------------


def test_the_error_workbook_holds_the_bad_rows_as_uploaded_with_the_reasons(cast, client_for, media_root):
    rows = [person(1), person(2, 性别="未知", 困难党员="可能"), person(3), person(4, 身份证号="123")]
    roster_import, _ = upload(cast.secretary_a, cast.a, rows)

    response = client_for(cast.secretary_a).get(f"/members/import/{roster_import.pk}/errors.xlsx")

    assert response.status_code == 200
    sheet = rows_of(b"".join(response.streaming_content))
    assert sheet[0] == [*HEADERS, "错误说明"]
    assert [r[0] for r in sheet[1:]] == ["导入2号", "导入4号"]
    assert sheet[1][HEADERS.index("身份证号")] == make_id(2)  # as uploaded, to be corrected
    assert sheet[1][1] == "未知"
    assert sheet[1][-1].splitlines() == [
        "第3行 性别：“未知”不是有效的选项，可选：男、女。",
        "第3行 困难党员：请填写“是”或“否”。",
    ]
    assert sheet[2][-1].startswith("第5行 身份证号：身份证号应为18位")

    # Corrected in place and uploaded again, the workbook imports (its 错误说明 column is ignored).
    fixed = [dict(zip([*HEADERS, "错误说明"], r, strict=True)) for r in sheet[1:]]
    fixed[0].update(性别="男", 困难党员="否")
    fixed[1].update(身份证号=make_id(4))
    again, result = importer.roster_import_create(
        user=cast.secretary_a, branch=cast.a, file=xlsx(fixed, headers=[*HEADERS, "错误说明"])
    )
    assert result.ok and again.summary["create"] == 2


# --- Pages and permissions ------------------------------------------------------------------------


def test_a_secretary_uploads_previews_and_confirms(cast, client_for, media_root):
    client = client_for(cast.secretary_a)
    page = client.get("/members/import/")
    assert page.status_code == 200
    assert page.context["form"]["branch"].initial == cast.a

    response = client.post("/members/import/", {"branch": cast.a.pk, "file": xlsx([person(1), person(2)])})
    roster_import = RosterImport.objects.get()
    assert response.status_code == 302 and response.url == f"/members/import/{roster_import.pk}/"
    assert not Member.objects.filter(name__startswith="导入").exists()  # nothing before the confirm

    preview = client.get(response.url)
    assert preview.status_code == 200
    html = preview.content.decode()
    assert 'data-testid="confirm-import"' in html and make_id(1) not in html

    done = client.post(f"/members/import/{roster_import.pk}/apply/")
    assert done.status_code == 302 and done.url == f"/members/?within={cast.a.pk}"
    assert Member.objects.filter(name__startswith="导入").count() == 2


def test_a_file_with_errors_shows_them_and_cannot_be_confirmed(cast, client_for, media_root):
    client = client_for(cast.secretary_a)
    client.post("/members/import/", {"branch": cast.a.pk, "file": xlsx([person(1), person(2, 性别="未知")])})
    roster_import = RosterImport.objects.get()

    html = client.get(f"/members/import/{roster_import.pk}/").content.decode()
    assert "confirm-import" not in html and "“未知”不是有效的选项" in html
    response = client.post(f"/members/import/{roster_import.pk}/apply/")
    assert response.status_code == 302 and response.url == f"/members/import/{roster_import.pk}/"
    assert not Member.objects.filter(name__startswith="导入").exists()


def test_an_unreadable_upload_is_refused_on_the_form(cast, client_for, media_root):
    client = client_for(cast.secretary_a)
    for name, content in (("roster.xls", b"\xd0\xcf\x11\xe0"), ("roster.xlsx", b"not a zip")):
        response = client.post(
            "/members/import/", {"branch": cast.a.pk, "file": SimpleUploadedFile(name, content)}
        )
        assert response.status_code == 200
        assert response.context["form"].errors["file"]
    assert not RosterImport.objects.exists()


def test_a_sibling_secretary_cannot_import_into_our_branch(cast, client_for, media_root):
    client = client_for(cast.secretary_b)
    assert client.get(f"/members/import/?branch={cast.a.pk}").status_code == 404
    response = client.post("/members/import/", {"branch": cast.a.pk, "file": xlsx([person(1)])})
    assert response.status_code == 404
    assert not RosterImport.objects.exists()
    with pytest.raises(PermissionDenied):
        importer.preview(cast.secretary_b, cast.a, xlsx([person(1)]))
    assert client.get("/members/import/").context["form"]["branch"].initial == cast.b


@pytest.mark.parametrize("who", ["member_a", "outsider"])
def test_people_who_keep_no_roster_cannot_import(cast, client_for, who):
    assert client_for(getattr(cast, who)).get("/members/import/").status_code == 403


def test_an_import_is_visible_to_its_creator_and_the_branch_keepers_only(cast, client_for, media_root):
    roster_import, _ = upload(cast.secretary_a, cast.a, [person(1), person(2, 性别="未知")])
    urls = [f"/members/import/{roster_import.pk}/", f"/members/import/{roster_import.pk}/errors.xlsx"]
    for user in (cast.secretary_a, cast.committee, cast.admin):
        for url in urls:
            assert client_for(user).get(url).status_code == 200, (user, url)
    for user in (cast.secretary_b, cast.other_committee, cast.member_a, cast.outsider):
        for url in urls:
            assert client_for(user).get(url).status_code == 404, (user, url)
        assert client_for(user).post(f"/members/import/{roster_import.pk}/apply/").status_code == 404


@pytest.mark.parametrize("errors", [1, 50])
def test_the_preview_page_costs_the_same_queries_for_1_and_50_errors(cast, client_for, errors):
    """Queries: the session and the user (2); the scope — grants, posts, own member rows (3); the
    import with its branch and creator joined (1); no session write (sign-in marked its idle
    expiry fresh). The errors are a JSON column, paginated in memory: no query per row."""
    roster_import = RosterImport.objects.create(
        branch=cast.a,
        file="imports/x.xlsx",
        filename="x.xlsx",
        status="invalid",
        summary={"total": errors, "create": 0, "update": 0, "unchanged": 0, "invalid": errors},
        errors=[{"row": n + 2, "column": "性别", "message": "“未知”不是有效的选项"} for n in range(errors)],
        created_by=cast.secretary_a,
    )
    client = client_for(cast.secretary_a)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/members/import/{roster_import.pk}/")
    assert response.status_code == 200
    assert response.content.decode().count("“未知”不是有效的选项") == errors
    assert len(queries) == 6, [q["sql"] for q in queries]
