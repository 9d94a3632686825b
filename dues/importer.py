"""Yearly base import (党费基数导入), on the roster import's pattern (members.importer): the template
workbook, a dry run over an upload, the all-or-nothing apply, and a workbook of the rows in error.

Rows are keyed on 身份证号 (through its keyed hash) and must name a member of the branch (the 姓名
must agree). Each row's amount is computed by the calculator from 党费类别 and 月收入基数, exactly
as when a base is entered by hand. A row equal to the recorded base is unchanged, so uploading the
same file twice writes nothing the second time; a locked base cannot be changed by import."""

import datetime
import logging
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from audit.services import log_action
from branches.scoping import scope_for
from members.models import ACTIVE_STATUSES, DuesCategory, Member
from members.protected import keyed_hash, normalise_id_number
from partyaffairs import spreadsheets
from partyaffairs.spreadsheets import CREATE, ERROR, UNCHANGED, UPDATE, FileProblem, clean_header, read_rows

from .calculator import calculate, needs_income, parse_income
from .models import BaseImport, BaseStatus, DuesBase

logger = logging.getLogger(__name__)

SHEET_TITLE = "党费基数"
ERROR_HEADER = "错误说明"
MAX_ROWS = 10_000
HEADERS = ("姓名", "身份证号", "党费类别", "月收入基数", "备注")
WIDTHS = (10, 21, 14, 14, 30)


@dataclass
class RowPlan(spreadsheets.RowPlan):
    values: dict = field(default_factory=dict)


class ImportResult(spreadsheets.ImportResult):
    def change_details(self, plan):
        return {"amount": str(plan.values["monthly_amount"])}


def template_workbook(branch=None, year=None):
    """The template: header row, a dropdown for 党费类别, 身份证号 as text; pre-filled with the
    branch's members and their categories when a branch is given (身份证号 stay blank: they are
    never exported in bulk; a unique name identifies the member)."""
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_TITLE
    ws.append(list(HEADERS))
    fill = PatternFill("solid", fgColor="FDE9E7")
    for index, width in enumerate(WIDTHS, start=1):
        cell = ws.cell(row=1, column=index)
        cell.font, cell.fill = Font(bold=True), fill
        cell.alignment = Alignment(horizontal="center")
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.column_dimensions["B"].number_format = "@"
    options = ",".join(str(label) for _v, label in DuesCategory.choices)
    validation = DataValidation(type="list", formula1=f'"{options}"', allow_blank=True)
    validation.add("C2:C5001")
    ws.add_data_validation(validation)
    if branch is not None:
        for name, category in (
            Member.objects.filter(branch=branch, status__in=ACTIVE_STATUSES)
            .order_by("name")
            .values_list("name", "dues_category")
        ):
            ws.append([name, None, str(DuesCategory(category).label), None, None])
    notes = wb.create_sheet("填写说明")
    notes.column_dimensions["A"].width = 90
    for line in (
        _("每行一名党员；按身份证号识别（姓名须与档案一致）；身份证号留空时按姓名识别，同名须填身份证号。"),
        _("党费类别从下拉列表选择；在职、离退休、年薪制、个体须填写月收入基数（元，最多两位小数）。"),
        _("学生、下岗失业、抚恤救济人员、农民为固定金额，月收入基数留空。"),
        _("每月应交金额由系统按党费规定计算；已锁定的基数不能通过导入修改，请提交调整申请。"),
        _("导入为全部成功或全部不写入：有任何错误时可下载错误说明，改正后重新上传。"),
    ):
        notes.append([line])
    ws.freeze_panes = "A2"
    return wb


def _positions(header):
    header = [clean_header(h) for h in header]
    missing = [h for h in HEADERS if h not in header]
    if missing:
        raise FileProblem(
            _("表头与导入模板不一致（缺少列：%(cols)s）。请下载最新模板。") % {"cols": "、".join(missing)}
        )
    return {h: header.index(h) for h in HEADERS}


def _read(file):
    return read_rows(file, sheet_title=SHEET_TITLE, positions=_positions, max_rows=MAX_ROWS, what="base")


def _text(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _analyse(user, branch, year, file):
    result = ImportResult()
    try:
        records = _read(file)
    except FileProblem as exc:
        result.file_error = str(exc)
        return result
    categories = {str(label): value for value, label in DuesCategory.choices}
    categories.update({value: value for value in DuesCategory.values})
    hashes = {}
    for number, cells in records:
        id_number = normalise_id_number(_text(cells["身份证号"]))
        if id_number:
            hashes.setdefault(keyed_hash(id_number), []).append(number)
    members = {m.id_hash: m for m in Member.objects.filter(id_hash__in=list(hashes)).select_related("branch")}
    by_name = defaultdict(list)
    for m in Member.objects.filter(branch=branch, status__in=ACTIVE_STATUSES):
        by_name[m.name].append(m)
    ids = {m.pk for m in members.values()} | {m.pk for group in by_name.values() for m in group}
    bases = {b.member_id: b for b in DuesBase.objects.filter(year=year, member_id__in=ids)}
    seen = defaultdict(list)
    for number, cells in records:
        problems = {}
        name = _text(cells["姓名"])
        id_number = normalise_id_number(_text(cells["身份证号"]))
        member = members.get(keyed_hash(id_number)) if id_number else None
        if not id_number:
            # Without an ID the name identifies the member, when it is unique in the branch.
            named = by_name.get(name, [])
            if not name:
                problems["姓名"] = _("请填写姓名或身份证号。")
            elif len(named) != 1:
                problems["身份证号"] = (
                    _("本支部有%(n)s名党员叫%(name)s，请填写身份证号。") % {"n": len(named), "name": name}
                    if named
                    else _("本支部没有名为%(name)s的党员。") % {"name": name}
                )
            else:
                member = named[0]
                seen[member.pk].append(number)
                if len(seen[member.pk]) > 1:
                    problems["姓名"] = _("与第%(rows)s行是同一名党员。") % {"rows": seen[member.pk][0]}
        elif member is None or member.branch_id != branch.pk:
            problems["身份证号"] = _("本支部没有该身份证号的党员。")
        elif len(hashes[keyed_hash(id_number)]) > 1:
            others = "、".join(str(n) for n in hashes[keyed_hash(id_number)] if n != number)
            problems["身份证号"] = _("身份证号与第%(rows)s行重复。") % {"rows": others}
        elif name and name != member.name:
            problems["姓名"] = _("姓名与档案（%(name)s）不一致。") % {"name": member.name}
        elif member.status not in ACTIVE_STATUSES:
            problems["身份证号"] = _("只有正式党员和预备党员交纳党费。")
        category = categories.get(_text(cells["党费类别"]))
        if category is None:
            problems["党费类别"] = _("请从下拉列表选择党费类别。")
        income = None
        if category is not None and needs_income(category):
            try:
                income = parse_income(_text(cells["月收入基数"]))
            except ValidationError as exc:
                problems["月收入基数"] = " ".join(exc.message_dict["income"])
        values = {}
        if not problems:
            calc = calculate(category, income, org=branch, on=datetime.date(year, 1, 1))
            values = {
                "category": category,
                "income": calc.income,
                "rate": calc.rate,
                "monthly_amount": calc.monthly_amount,
                "note": _text(cells["备注"])[:200],
            }
            current = bases.get(member.pk)
            if (
                current is not None
                and current.is_locked
                and any(getattr(current, k) != v for k, v in values.items() if k != "note")
            ):
                problems["月收入基数"] = _("%(year)s年度基数已锁定，如需变更请提交调整申请。") % {
                    "year": year
                }
        if problems:
            result.rows.append(RowPlan(number, ERROR, member))
            result.errors.extend({"row": number, "column": c, "message": m} for c, m in problems.items())
            continue
        current = bases.get(member.pk)
        if current is None:
            action = CREATE
        elif all(getattr(current, k) == v for k, v in values.items()):
            action = UNCHANGED
        else:
            action = UPDATE
        result.rows.append(RowPlan(number, action, member, values))
    return result


def _can_manage(user, branch):
    if not scope_for(user).can_edit(branch):
        raise PermissionDenied


def base_import_create(*, user, branch, year, file):
    """Keep an upload with its dry run (a file that cannot be read is refused)."""
    _can_manage(user, branch)
    result = _analyse(user, branch, year, file)
    if result.file_error:
        raise ValidationError({"file": result.file_error})
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    record = BaseImport(
        branch=branch,
        year=year,
        filename=(getattr(file, "name", "") or "bases.xlsx").rsplit("/", 1)[-1][:200],
        status=BaseImport.Status.PREVIEWED if result.ok else BaseImport.Status.INVALID,
        summary=result.summary(),
        errors=result.errors,
        created_by=user,
    )
    file.seek(0)
    record.file.save(f"bases-{stamp}.xlsx", file, save=False)
    record.save()
    return record, result


def base_import_apply(*, user, record):
    """All or nothing: the stored file is checked again; any error writes nothing."""
    invalid = None
    with transaction.atomic():
        record = BaseImport.objects.select_for_update().select_related("branch").get(pk=record.pk)
        _can_manage(user, record.branch)
        if record.status == BaseImport.Status.APPLIED:
            raise ValidationError(_("该文件已导入，不能重复确认。"))
        try:
            with record.file.open("rb") as fh:
                result = _analyse(user, record.branch, record.year, fh)
        except (OSError, ValueError):
            result = ImportResult(file_error=_("上传的文件已不存在，请重新上传。"))
        record.summary = result.summary()
        record.errors = result.error_list()
        if result.ok:
            _write(user, record, result)
            record.status = BaseImport.Status.APPLIED
            record.applied_at = timezone.now()
        else:
            record.status = BaseImport.Status.INVALID
            invalid = ValidationError(_("文件中有错误，没有写入任何数据。请查看错误说明。"))
        record.save(update_fields=["summary", "errors", "status", "applied_at"])
    if invalid is not None:
        raise invalid
    return result


def _write(user, record, result):
    creates = [p for p in result.rows if p.action == CREATE]
    updates = [p for p in result.rows if p.action == UPDATE]
    DuesBase.objects.bulk_create(
        DuesBase(member=p.member, branch=record.branch, year=record.year, status=BaseStatus.DRAFT, **p.values)
        for p in creates
    )
    existing = {
        b.member_id: b
        for b in DuesBase.objects.filter(year=record.year, member__in=[p.member for p in updates])
    }
    changed = []
    for plan in updates:
        base = existing[plan.member.pk]
        for key, value in plan.values.items():
            setattr(base, key, value)
        base.status, base.verified_by, base.verified_at = BaseStatus.DRAFT, None, None
        changed.append(base)
    DuesBase.objects.bulk_update(
        changed,
        ["category", "income", "rate", "monthly_amount", "note", "status", "verified_by", "verified_at"],
    )
    log_action(
        "dues.bases.imported",
        record,
        actor=user,
        data={"year": record.year, "created": len(creates), "updated": len(updates), "file": record.filename},
    )


def error_workbook(record):
    """The rows in error as uploaded, with a 错误说明 column; fix them and upload again."""
    by_row = defaultdict(list)
    general = []
    for error in record.errors:
        (by_row[error["row"]] if error.get("row") else general).append(error)
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_TITLE
    ws.append([*HEADERS, ERROR_HEADER])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for error in general:
        ws.append([*([None] * len(HEADERS)), error["message"]])
    records = []
    if by_row:
        with record.file.open("rb") as fh:
            records = _read(fh)
    red = Font(color="C00000")
    for number, cells in records:
        if number not in by_row:
            continue
        text = "\n".join(
            _("第%(row)s行 %(column)s：%(message)s")
            % {"row": number, "column": e["column"] or _("整行"), "message": e["message"]}
            for e in by_row[number]
        )
        ws.append([cells.get(h) for h in HEADERS] + [text])
        last = ws.cell(row=ws.max_row, column=len(HEADERS) + 1)
        last.font, last.alignment = red, Alignment(wrap_text=True, vertical="top")
    for index, width in enumerate((*WIDTHS, 60), start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    return wb
