"""Roster import (花名册导入): the template workbook, a dry run over an uploaded workbook, the
all-or-nothing apply, and a workbook of the rows in error.

Rows are keyed on 身份证号 (through its keyed hash): a new ID creates a person, an ID already in the
branch updates them (a blank cell keeps the recorded value), an ID registered in another
organisation is an error — people move between branches by 组织关系转接, not by import. Status
changes only through the workflows, so a 政治面貌 that differs from the record is an error too.

Every row is checked with the roster form's rules (records.validate_member) on an unsaved Member;
what validate_member would look up per row (ID clashes, the rule table) is loaded once, so the
database work of 5,000 rows is a handful of queries, and the writes are bulk."""

import datetime
import logging
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Max, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel
from openpyxl.worksheet.datavalidation import DataValidation

from audit.models import AuditEntry
from audit.services import log_action
from branches.models import Organization, OrgKind
from branches.scoping import scope_for
from partyaffairs import spreadsheets
from partyaffairs.spreadsheets import CREATE, ERROR, UNCHANGED, UPDATE, FileProblem, clean_header, read_rows

from .development import probation_end, schedule_for
from .models import (
    CURRENT_STATUSES,
    Assessment,
    DevelopmentRule,
    DevelopmentStep,
    DuesCategory,
    Education,
    Gender,
    Member,
    MemberStatus,
    RosterImport,
    StatusChange,
)
from .protected import keyed_hash, mask_id_number, normalise_id_number
from .services.records import MEMBER_FIELDS, can_manage, validate_member

logger = logging.getLogger(__name__)

SHEET_TITLE = "花名册"
HELP_SHEET_TITLE = "填写说明"
ERROR_HEADER = "错误说明"
# One upload is one branch's roster; a larger file is almost certainly the wrong one.
MAX_ROWS = 10_000
TEMPLATE_ROWS = 5_000  # rows that carry the template's dropdowns and formats


@dataclass(frozen=True)
class Column:
    header: str
    field: str
    kind: str  # text, id, phone, choice, status, group, date, flag
    choices: type | None = None
    width: int = 12


COLUMNS = (
    Column("姓名", "name", "text", width=10),
    Column("性别", "gender", "choice", Gender, width=6),
    Column("民族", "ethnicity", "text", width=8),
    Column("出生日期", "birth_date", "date"),
    Column("学历", "education", "choice", Education),
    Column("身份证号", "id_number", "id", width=21),
    Column("手机号码", "phone", "phone", width=14),
    Column("党小组", "party_group", "group", width=16),
    Column("政治面貌", "status", "status", MemberStatus, width=14),
    Column("党费类别", "dues_category", "choice", DuesCategory, width=14),
    Column("递交入党申请书日期", "applied_on", "date", width=14),
    Column("确定为入党积极分子日期", "activist_on", "date", width=14),
    Column("确定为发展对象日期", "target_on", "date", width=14),
    Column("入党日期", "admitted_on", "date"),
    Column("预备期满日期", "probation_end_on", "date"),
    Column("转正日期", "regularised_on", "date"),
    Column("老弱病残", "is_elderly_infirm", "flag", width=8),
    Column("困难党员", "is_hardship", "flag", width=8),
    Column("不计入应到会人数", "quorum_excluded", "flag", width=10),
    Column("不计入应到会人数的原因", "quorum_exclusion_reason", "text", width=24),
)
HEADERS = tuple(c.header for c in COLUMNS)
BY_HEADER = {c.header: c for c in COLUMNS}
HEADER_OF = {c.field: c.header for c in COLUMNS}
# What a row compares with the record (MEMBER_FIELDS, with the party group by id).
COMPARED = tuple("party_group_id" if f == "party_group" else f for f in MEMBER_FIELDS)
# What the audit trail records of an imported person: protected values by their masks only.
AUDITED = tuple(
    {"id_number": "id_masked", "phone": "phone_masked"}.get(f, f) for f in ("branch_id", "status", *COMPARED)
)
DATE_PATTERN = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
TRUE_WORDS = {"是", "y", "yes", "true", "1", "√"}
FALSE_WORDS = {"否", "n", "no", "false", "0", "×"}


class CellProblem(Exception):
    pass


@dataclass
class RowPlan(spreadsheets.RowPlan):
    changed: tuple[str, ...] = ()  # attnames that differ from the record (updates)
    before: dict = field(default_factory=dict)


class ImportResult(spreadsheets.ImportResult):
    def change_details(self, plan):
        return {
            "id_masked": plan.member.id_masked or mask_id_number(plan.member.id_number),
            "columns": [HEADER_OF[_field_of(a)] for a in plan.changed],
        }


def _field_of(attname):
    return "party_group" if attname == "party_group_id" else attname


# --- The template ---------------------------------------------------------------------------------


def _labels(choices, values=None):
    return [str(label) for value, label in choices.choices if values is None or value in values]


def _column_options(column):
    if column.kind == "status":
        return _labels(MemberStatus, CURRENT_STATUSES)
    if column.kind == "choice":
        return _labels(column.choices)
    if column.kind == "flag":
        return [_("是"), _("否")]
    return None


def template_workbook():
    """The roster template: the header row, dropdowns for the choice columns, text format for the
    ID and phone columns (so Excel keeps all 18 digits), and a 填写说明 sheet with an example."""
    with translation.override(settings.LANGUAGE_CODE):
        wb = Workbook()
        ws = wb.active
        ws.title = SHEET_TITLE
        ws.append(list(HEADERS))
        header_fill = PatternFill("solid", fgColor="FDE9E7")
        for index, column in enumerate(COLUMNS, start=1):
            letter = get_column_letter(index)
            cell = ws.cell(row=1, column=index)
            cell.font = Font(bold=True)
            cell.fill = header_fill
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            dimension = ws.column_dimensions[letter]
            dimension.width = column.width
            if column.kind in ("id", "phone"):
                dimension.number_format = "@"
            elif column.kind == "date":
                dimension.number_format = "yyyy-mm-dd"
            options = _column_options(column)
            if options:
                validation = DataValidation(
                    type="list",
                    formula1='"{}"'.format(",".join(options)),
                    allow_blank=True,
                    showErrorMessage=True,
                    errorTitle=_("无效的选项"),
                    error=_("请从下拉列表中选择。"),
                )
                validation.add(f"{letter}2:{letter}{TEMPLATE_ROWS + 1}")
                ws.add_data_validation(validation)
        ws.row_dimensions[1].height = 32
        ws.freeze_panes = "B2"
        _help_sheet(wb.create_sheet(HELP_SHEET_TITLE))
    return wb


def _help_sheet(ws):
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 10
    ws.column_dimensions["C"].width = 80
    notes = [
        _("1. 在“花名册”工作表中每人填写一行，不要修改或删除第一行表头。"),
        _("2. 身份证号必填，系统按身份证号识别人员：新的身份证号新建档案，本支部已有的身份证号更新档案。"),
        _("3. 更新已有人员时，空白单元格表示保留系统中的原值。"),
        _("4. 政治面貌只能通过发展党员、组织关系转接等流程变更，导入时须与系统记录一致。"),
        _("5. 已在其他党组织登记的人员不能导入，请办理组织关系转接。"),
        _("6. 日期可填写为 2020-01-05、2020/1/5 或 2020.1.5。"),
        _("7. 上传后先预览，全部行无误并确认后才会写入；有错误的行可下载错误说明修改后重新上传。"),
    ]
    ws.append([_("花名册导入填写说明")])
    ws["A1"].font = Font(bold=True, size=14)
    for note in notes:
        ws.append([note])
    ws.append([])
    ws.append([_("列名"), _("是否必填"), _("填写要求")])
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    requirements = {
        "name": _("不超过50个字。"),
        "gender": _("可留空，按身份证号推算。"),
        "ethnicity": _("如“汉族”；新建档案时留空按“汉族”登记。"),
        "birth_date": _("可留空，按身份证号推算；填写时须与身份证号一致。"),
        "id_number": _("18位，末位可为X；请将单元格设为文本格式。"),
        "phone": _("11位大陆手机号码。"),
        "party_group": _("本支部下已建立的党小组名称，可留空。"),
        "status": _("新建档案可选：入党申请人、入党积极分子、发展对象、预备党员、正式党员。"),
        "dues_category": _("新建档案时留空按“在职”登记。"),
        "activist_on": _("政治面貌为入党积极分子的须填写。"),
        "target_on": _("政治面貌为发展对象的须填写。"),
        "admitted_on": _("政治面貌为预备党员的须填写。"),
        "probation_end_on": _("预备党员可留空，按入党日期推算。"),
        "quorum_excluded": _("填写“是”时须填写原因。"),
    }
    required = {"name", "id_number", "status"}
    for column in COLUMNS:
        options = _column_options(column)
        text = requirements.get(column.field, "")
        if options and column.kind != "flag":
            text = (text + " " + _("可选值：%(options)s") % {"options": "、".join(options)}).strip()
        if column.kind == "flag":
            text = (text + " " + _("填写“是”或“否”；新建档案时留空视为“否”。")).strip()
        if column.kind == "date" and not text:
            text = _("日期。")
        ws.append([column.header, _("必填") if column.field in required else "", text])
    ws.append([])
    ws.append([_("示例（仅供参考，请勿复制到“花名册”工作表）")])
    ws[f"A{ws.max_row}"].font = Font(bold=True)
    first = ws.max_row + 1
    ws.append(list(HEADERS))
    ws.append(
        [
            "李明",
            str(Gender.MALE.label),
            "汉族",
            "1990-03-15",
            str(Education.UNDERGRADUATE.label),
            "110105199003151239",
            "13812345678",
            "",
            str(MemberStatus.FULL.label),
            str(DuesCategory.IN_SERVICE.label),
            "2012-03-01",
            "2012-09-01",
            "2013-03-01",
            "2013-07-01",
            "2014-07-01",
            "2014-07-01",
            _("否"),
            _("否"),
            _("否"),
            "",
        ]
    )
    for cell in ws[first]:
        cell.font = Font(bold=True)
    for row in ws.iter_rows(min_row=1, max_col=3):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


# --- Reading a workbook ---------------------------------------------------------------------------


# What openpyxl raises for a file that is not a readable .xlsx (a renamed .xls or .csv, a truncated
# upload, a zip without a workbook, malformed sheet XML).
def _read(file):
    """[(excel row number, {header: value})] of the non-blank data rows."""
    return read_rows(file, sheet_title=SHEET_TITLE, positions=_positions, max_rows=MAX_ROWS, what="roster")


def _positions(header):
    names = [clean_header(h) for h in header]
    positions, unknown, repeated = {}, [], []
    for index, name in enumerate(names):
        if not name or name == ERROR_HEADER:
            continue  # an error workbook, corrected and uploaded again, keeps its 错误说明 column
        if name not in BY_HEADER:
            unknown.append(name)
        elif name in positions:
            repeated.append(name)
        else:
            positions[name] = index
    missing = [h for h in HEADERS if h not in positions]
    if missing or unknown or repeated:
        problems = []
        if missing:
            problems.append(_("缺少列：%(cols)s") % {"cols": "、".join(missing)})
        if unknown:
            problems.append(_("无法识别的列：%(cols)s") % {"cols": "、".join(unknown)})
        if repeated:
            problems.append(_("重复的列：%(cols)s") % {"cols": "、".join(repeated)})
        raise FileProblem(
            _("表头与导入模板不一致（%(problems)s）。请下载最新模板，第一行保留模板的表头。")
            % {"problems": "；".join(problems)}
        )
    return positions


# --- Cells ----------------------------------------------------------------------------------------


def _blank(value):
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value):
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime.datetime | datetime.date):
        value = value.isoformat()
    return re.sub(r"\s+", " ", str(value)).strip()


def _date(value):
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and 1 <= value < 2958466:
        return from_excel(value).date()  # a date cell formatted as a number
    text = _text(value)
    match = DATE_PATTERN.match(text)
    if match is None and re.fullmatch(r"\d{8}", text):
        match = re.match(r"(\d{4})(\d{2})(\d{2})", text)
    if match is not None:
        try:
            return datetime.date(*(int(g) for g in match.groups()))
        except ValueError:
            pass
    raise CellProblem(_("日期无效，请填写为 2020-01-05 的形式。"))


def _flag(value):
    if isinstance(value, bool):
        return value
    text = _text(value).lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise CellProblem(_("请填写“是”或“否”。"))


def _id_number(value):
    if isinstance(value, float):
        # Excel keeps 15 significant digits: an ID typed into a number cell has lost its tail.
        raise CellProblem(_("身份证号被保存为数字，末几位已丢失。请将该列设为文本格式后重新填写。"))
    return normalise_id_number(_text(value))


def _choice_maps():
    """Label (in every UI language) or stored value → value, for each choice column."""
    maps = {}
    for column in COLUMNS:
        if column.choices is None:
            continue
        mapping = {value.lower(): value for value in column.choices.values}
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                for value, label in column.choices.choices:
                    mapping[_text(label).lower()] = value
        maps[column.field] = mapping
    return maps


def _choice(value, column, maps):
    found = maps[column.field].get(_text(value).lower())
    if found is None:
        options = _column_options(column) or _labels(column.choices)
        raise CellProblem(
            _("“%(value)s”不是有效的选项，可选：%(options)s。")
            % {"value": _text(value)[:30], "options": "、".join(options)}
        )
    return found


def _group(value, groups, branch):
    found = groups.get(_text(value), [])
    if len(found) == 1:
        return found[0]
    if found:
        raise CellProblem(_("该支部下有多个同名党小组，请在系统中改名后再导入。"))
    raise CellProblem(
        _("党小组“%(group)s”不是%(branch)s下的党小组。请先在组织架构中建立，或留空。")
        % {"group": _text(value)[:30], "branch": branch.name}
    )


def _parse(cells, maps, groups, branch):
    """{field: value} of the filled cells (blank cells are absent) and {field: message}."""
    values, problems = {}, {}
    for column in COLUMNS:
        raw = cells.get(column.header)
        if _blank(raw):
            continue
        try:
            if column.kind == "text":
                value = _text(raw)
                limit = Member._meta.get_field(column.field).max_length
                if limit and len(value) > limit:
                    raise CellProblem(_("不能超过%(n)s个字。") % {"n": limit})
            elif column.kind == "id":
                value = _id_number(raw)
            elif column.kind == "phone":
                value = _text(raw)
            elif column.kind in ("choice", "status"):
                value = _choice(raw, column, maps)
            elif column.kind == "group":
                value = _group(raw, groups, branch)
            elif column.kind == "date":
                value = _date(raw)
            else:
                value = _flag(raw)
        except CellProblem as exc:
            problems[column.field] = str(exc)
        else:
            values[column.field] = value
    return values, problems


# --- The dry run ----------------------------------------------------------------------------------


def _rules_lookup(branch):
    """`DevelopmentRule.values_for(branch, on)` for any date, answered from one query."""
    candidates = list(DevelopmentRule.in_force(branch, datetime.date.max))

    @cache
    def rules_for(_branch, on=None):
        on = on or timezone.localdate()
        best = {}
        for rule in candidates:
            if rule.effective_from <= on and (
                rule.code not in best or DevelopmentRule.rank(rule) > DevelopmentRule.rank(best[rule.code])
            ):
                best[rule.code] = rule
        return {code: rule.value for code, rule in best.items()}

    return rules_for


def _party_groups(branch):
    groups = defaultdict(list)
    for group in Organization.objects.filter(kind=OrgKind.PARTY_GROUP, path__startswith=branch.path):
        groups[group.name.strip()].append(group)
    return groups


def _existing(hashes, *, lock=False):
    """The people already registered under these IDs, in one query; locked while applying, so that
    an edit made meanwhile in the form is not overwritten by what this file was compared with."""
    if not hashes:
        return {}
    qs = Member.objects.filter(id_hash__in=list(hashes)).select_related("branch", "party_group")
    if lock:
        qs = qs.select_for_update(of=("self",))
    return {m.id_hash: m for m in qs}


def _snapshot(member):
    return {name: getattr(member, name) for name in (*COMPARED, "id_masked", "phone_masked")}


def _analyse(user, branch, file, *, lock=False):
    """The dry run: what each row would do, and every error with its row and column."""
    result = ImportResult()
    try:
        records = _read(file)
    except FileProblem as exc:
        result.file_error = str(exc)
        return result
    scope = scope_for(user)
    maps = _choice_maps()
    groups = _party_groups(branch)
    rules_for = _rules_lookup(branch)

    parsed = []
    rows_by_hash = defaultdict(list)
    for number, cells in records:
        values, problems = _parse(cells, maps, groups, branch)
        id_hash = keyed_hash(values["id_number"]) if values.get("id_number") else None
        if id_hash:
            rows_by_hash[id_hash].append(number)
        parsed.append((number, values, problems, id_hash))
    existing = _existing(rows_by_hash, lock=lock)
    before = {m.pk: _snapshot(m) for m in existing.values()}

    for number, values, problems, id_hash in parsed:
        plan, problems = _plan_row(
            number, values, problems, id_hash, existing, before, branch, scope, rules_for
        )
        if id_hash and len(rows_by_hash[id_hash]) > 1:
            others = "、".join(str(n) for n in rows_by_hash[id_hash] if n != number)
            problems.setdefault("id_number", _("身份证号与第%(rows)s行重复。") % {"rows": others})
        if plan.action != ERROR and plan.member is not None:
            try:
                validate_member(plan.member, scope=scope, check_clash=False, rules_for=rules_for)
            except ValidationError as exc:
                for name, messages in exc.message_dict.items():
                    problems.setdefault(name, " ".join(messages))
            if "id_number" in problems and "gender" not in values:
                # A blank 性别 is read from the 身份证号: with the ID wrong, that is the one error.
                problems.pop("gender", None)
        if problems:
            plan.action = ERROR
            result.errors.extend(
                {"row": number, "column": HEADER_OF.get(name, ""), "message": message}
                for name, message in _in_column_order(problems)
            )
        elif plan.action == UPDATE:
            after = _snapshot(plan.member)
            plan.changed = tuple(n for n in COMPARED if after[n] != plan.before[n])
            plan.action = UPDATE if plan.changed else UNCHANGED
        result.rows.append(plan)
    return result


def _in_column_order(problems):
    order = {c.field: i for i, c in enumerate(COLUMNS)}
    return sorted(problems.items(), key=lambda item: order.get(item[0], len(order)))


def _plan_row(number, values, problems, id_hash, existing, before, branch, scope, rules_for):
    """The row's person (the record with the filled cells applied, or a new one) and its problems."""
    problems = dict(problems)
    if not values.get("id_number") and "id_number" not in problems:
        problems["id_number"] = _("请填写身份证号（导入按身份证号识别人员）。")
    current = existing.get(id_hash) if id_hash else None
    if current is not None and current.branch_id != branch.pk:
        if scope.can_see(current.branch):
            message = _("该身份证号已在%(branch)s登记（%(name)s），请办理组织关系转接。") % {
                "branch": current.branch.name,
                "name": current.name,
            }
        else:
            message = _("该身份证号已在其他党组织登记，请办理组织关系转接。")
        problems["id_number"] = message
        return RowPlan(number, ERROR), problems

    status = values.pop("status", None)
    if current is not None:
        member = current
        if status is not None and status != member.status:
            problems["status"] = _(
                "与系统记录的政治面貌（%(status)s）不一致。政治面貌只能通过发展党员、组织关系转接等流程变更。"
            ) % {"status": member.get_status_display()}
        plan = RowPlan(number, UPDATE, member, before=before[member.pk])
    else:
        if status is None and "status" not in problems:
            problems["status"] = _("请填写政治面貌。")
        elif status is not None and status not in CURRENT_STATUSES:
            problems["status"] = _(
                "新建档案的政治面貌只能是入党申请人、入党积极分子、发展对象、预备党员或正式党员。"
            )
        member = Member(branch=branch, status=status or MemberStatus.FULL)
        plan = RowPlan(number, CREATE, member)
    for name, value in values.items():
        setattr(member, name, value)
    if (
        plan.action == CREATE
        and member.status == MemberStatus.PROBATIONARY
        and member.admitted_on
        and not member.probation_end_on
    ):
        member.probation_end_on = probation_end(member, rules_for(branch, member.admitted_on))
    return plan, problems


def preview(user, branch, file):
    """The dry run of `file` for `branch`: nothing is written."""
    if not can_manage(user, branch):
        raise PermissionDenied
    return _analyse(user, branch, file)


# --- Upload, apply --------------------------------------------------------------------------------


def visible_imports(user):
    """Imports a user may open: their own, and those into a branch they keep the roster of."""
    scope = scope_for(user)
    qs = RosterImport.objects.select_related("branch", "created_by")
    if scope.is_admin:
        return qs
    return qs.filter(Q(created_by=user) | scope.editable_q("branch__"))


def roster_import_create(*, user, branch, file):
    """Keep an upload with its dry run. A file that cannot be read is refused (nothing is kept);
    one with row errors is kept as INVALID so that its errors can be shown and downloaded."""
    result = preview(user, branch, file)
    if result.file_error:
        raise ValidationError({"file": result.file_error})
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    roster_import = RosterImport(
        branch=branch,
        filename=(getattr(file, "name", "") or "roster.xlsx").rsplit("/", 1)[-1][:200],
        status=RosterImport.Status.PREVIEWED if result.ok else RosterImport.Status.INVALID,
        summary=result.summary(),
        errors=result.errors,
        created_by=user,
    )
    file.seek(0)
    roster_import.file.save(f"roster-{stamp}.xlsx", file, save=False)
    roster_import.save()
    return roster_import, result


def apply(user, roster_import):
    """Write the import, all or nothing: the stored file is read and checked again (the roster may
    have changed since the preview); any error leaves the database untouched and the import marked
    INVALID with the new errors. Creates and updates are bulk writes, each person gets an audit
    entry (masked values only) and a refreshed development schedule."""
    invalid = None
    with transaction.atomic():
        roster_import = (
            RosterImport.objects.select_for_update().select_related("branch").get(pk=roster_import.pk)
        )
        branch = roster_import.branch
        if not can_manage(user, branch):
            raise PermissionDenied
        if roster_import.status == RosterImport.Status.APPLIED:
            raise ValidationError(_("该文件已导入，不能重复确认。"))
        try:
            with roster_import.file.open("rb") as fh:
                result = _analyse(user, branch, fh, lock=True)
        except (OSError, ValueError):
            result = ImportResult(file_error=_("上传的文件已不存在，请重新上传。"))
        roster_import.summary = result.summary()
        roster_import.errors = result.error_list()
        if result.ok:
            try:
                with transaction.atomic():
                    _write(user, roster_import, result)
            except IntegrityError as exc:
                # Another import or form registered one of these IDs after it was checked above.
                raise ValidationError(_("有人同时登记了文件中的人员，请重新上传并预览。")) from exc
            roster_import.status = RosterImport.Status.APPLIED
            roster_import.applied_at = timezone.now()
            # The upload holds every 身份证号 in clear; once applied it has no further use.
            storage, stored = roster_import.file.storage, roster_import.file.name
            roster_import.file = ""
            transaction.on_commit(lambda: storage.delete(stored))
        else:
            roster_import.status = RosterImport.Status.INVALID
            invalid = ValidationError(_("文件中有错误，没有写入任何数据。请查看错误说明。"))
        roster_import.save(update_fields=["summary", "errors", "status", "applied_at", "file"])
    if invalid is not None:
        raise invalid
    return result


def _write(user, roster_import, result):
    branch = roster_import.branch
    now, today = timezone.now(), timezone.localdate()
    rules = DevelopmentRule.values_for(branch)
    creates = [p for p in result.rows if p.action == CREATE]
    updates = [p for p in result.rows if p.action == UPDATE]

    for plan in creates:
        member = plan.member
        member.derive_protected()
        done = {1: member.applied_on} if member.status == MemberStatus.APPLICANT and member.applied_on else {}
        _set_schedule(member, schedule_for(member, done, rules))
    Member.objects.bulk_create([p.member for p in creates], batch_size=500)
    StatusChange.objects.bulk_create(
        [
            StatusChange(
                member=p.member,
                from_status="",
                to_status=p.member.status,
                changed_on=today,
                reason=_("建档"),
                changed_by=user,
            )
            for p in creates
        ],
        batch_size=1000,
    )
    DevelopmentStep.objects.bulk_create(
        [
            DevelopmentStep(
                member=p.member,
                step_no=1,
                done_on=p.member.applied_on,
                recorded_by=user,
                note=_("建档时登记"),
            )
            for p in creates
            if p.member.status == MemberStatus.APPLICANT and p.member.applied_on
        ],
        batch_size=1000,
    )

    if updates:
        members = [p.member for p in updates]
        ids = [m.pk for m in members]
        done = defaultdict(dict)
        for member_id, step_no, done_on in DevelopmentStep.objects.filter(member_id__in=ids).values_list(
            "member_id", "step_no", "done_on"
        ):
            done[member_id][step_no] = done_on
        assessed = dict(
            Assessment.objects.filter(member_id__in=ids, kind=Assessment.Kind.ASSESSMENT)
            .values("member_id")
            .annotate(last=Max("done_on"))
            .values_list("member_id", "last")
        )
        fields = {"updated_at", "next_step_no", "next_step_due", "next_step_earliest"}
        derived = {
            "name": ("name_initials", "name_search"),
            "id_number": ("id_hash", "id_masked"),
            "phone": ("phone_hash", "phone_masked"),
        }
        for plan in updates:
            for attname in plan.changed:
                fields.add(attname)
                fields.update(derived.get(attname, ()))
            member = plan.member
            member.derive_protected()
            member.updated_at = now
            _set_schedule(member, schedule_for(member, done[member.pk], rules, assessed.get(member.pk)))
        _update_rows(members, sorted(fields))

    _audit(user, roster_import, creates, updates)
    if creates or updates:
        log_action(
            "members.rosterimport.imported",
            roster_import,
            actor=user,
            data={
                "branch": branch.pk,
                "filename": roster_import.filename,
                "create": len(creates),
                "update": len(updates),
                "unchanged": result.counts[UNCHANGED],
            },
        )


def _update_rows(members, names):
    """One prepared UPDATE run for every row (executemany). QuerySet.bulk_update builds a CASE
    expression per field and row in Python — about 25 s for 5,000 people — where this takes well
    under one. Values go through each field's own preparation (so protected fields are encrypted)."""
    fields = [Member._meta.get_field(name) for name in names]
    quote = connection.ops.quote_name
    sql = "UPDATE {table} SET {assignments} WHERE {pk} = %s".format(
        table=quote(Member._meta.db_table),
        assignments=", ".join(f"{quote(f.column)} = %s" for f in fields),
        pk=quote(Member._meta.pk.column),
    )
    params = [
        [f.get_db_prep_save(getattr(m, f.attname), connection) for f in fields] + [m.pk] for m in members
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _set_schedule(member, schedule):
    member.next_step_no = schedule.next_no
    member.next_step_due = schedule.deadline
    member.next_step_earliest = schedule.earliest


def _plain(value):
    return value.isoformat() if isinstance(value, datetime.date) else value


def _audit(user, roster_import, creates, updates):
    """One entry per person created or updated, as the model audit would write it — bulk writes
    send no signals. Only masked 身份证号/phone values enter the trail."""
    content_type = ContentType.objects.get_for_model(Member)

    def entry(member, verb, changes):
        # Names for the foreign keys, from objects already loaded: the trail shows "甲第一党小组".
        labels = {}
        if "party_group_id" in changes and member.party_group_id:
            labels["party_group_id"] = {str(member.party_group_id): member.party_group.name}
        if "branch_id" in changes:
            labels["branch_id"] = {str(member.branch_id): roster_import.branch.name}
        return AuditEntry(
            actor=user,
            actor_repr=str(user),
            action=f"members.member.{verb}",
            content_type=content_type,
            object_id=str(member.pk),
            object_repr=str(member)[:255],
            changes=changes,
            data={"import": roster_import.pk, "labels": labels},
        )

    entries = []
    for plan in creates:
        after = {name: _plain(getattr(plan.member, name)) for name in AUDITED}
        entries.append(
            entry(plan.member, "created", {k: [None, v] for k, v in after.items() if v not in (None, "")})
        )
    for plan in updates:
        changes = {}
        for attname in plan.changed:
            name = {"id_number": "id_masked", "phone": "phone_masked"}.get(attname, attname)
            changes[name] = [_plain(plan.before[name]), _plain(getattr(plan.member, name))]
        entries.append(entry(plan.member, "updated", changes))
    AuditEntry.objects.bulk_create(entries, batch_size=1000)


# --- The error workbook ---------------------------------------------------------------------------


def error_workbook(roster_import):
    """The uploaded rows that have errors, as they were, with a 错误说明 column: fix them there and
    upload the workbook again (the 错误说明 column is ignored on upload)."""
    by_row = defaultdict(list)
    general = []
    for error in roster_import.errors:
        if error.get("row"):
            by_row[error["row"]].append(error)
        else:
            general.append(error["message"])
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_TITLE
    ws.append([*HEADERS, ERROR_HEADER])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    red = Font(color="C00000")
    for message in general:
        ws.append([*([None] * len(HEADERS)), message])
    with roster_import.file.open("rb") as fh:
        records = _read(fh) if by_row else []
    for number, cells in records:
        if number not in by_row:
            continue
        explanation = "\n".join(
            _("第%(row)s行 %(column)s：%(message)s")
            % {"row": number, "column": e["column"] or _("整行"), "message": e["message"]}
            for e in by_row[number]
        )
        ws.append([cells.get(h) for h in HEADERS] + [explanation])
        last = ws.cell(row=ws.max_row, column=len(HEADERS) + 1)
        last.font = red
        last.alignment = Alignment(wrap_text=True, vertical="top")
    for index, column in enumerate(COLUMNS, start=1):
        dimension = ws.column_dimensions[get_column_letter(index)]
        dimension.width = column.width
        if column.kind in ("id", "phone"):
            dimension.number_format = "@"
            for (cell,) in ws.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = "@"
        elif column.kind == "date":
            for (cell,) in ws.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = "yyyy-mm-dd"
    ws.column_dimensions[get_column_letter(len(HEADERS) + 1)].width = 60
    ws.freeze_panes = "B2"
    return wb
