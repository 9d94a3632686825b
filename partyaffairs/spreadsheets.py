"""What the apps' Excel importers share (members' roster, dues bases): reading the uploaded workbook
into numbered rows with the file's problems said in Chinese, and the preview's result — which rows
would be created, updated, left unchanged or are in error.

An importer reads with `read_rows(file, ...)`, plans each row as a `RowPlan` subclass, and collects
them in a subclass of `ImportResult` that says what a row to be changed shows in the preview
(`change_details`)."""

import logging
import re
import zipfile
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

logger = logging.getLogger(__name__)

CREATE, UPDATE, UNCHANGED, ERROR = "create", "update", "unchanged", "error"
# What openpyxl raises for a file that is not (or no longer) a readable .xlsx workbook.
UNREADABLE = (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError, SyntaxError)


class FileProblem(Exception):
    """The whole file is unusable (not a workbook, wrong header, no rows, too many rows)."""


def clean_header(value):
    """A header cell as the template spells it: no whitespace, no required-field asterisk."""
    return re.sub(r"\s+", "", str(value or "")).strip("*＊")


def read_rows(file, *, sheet_title, positions, max_rows, what):
    """[(Excel row number, {header: value})] of the non-blank data rows.

    `positions(header_cells)` maps the header row to {header: column index}, raising FileProblem
    when the header is not the template's; `what` names the import in the log."""
    try:
        if hasattr(file, "seek"):
            file.seek(0)
        wb = load_workbook(file, read_only=True, data_only=True)
    except UNREADABLE as exc:
        logger.info("%s import: unreadable upload (%s)", what, exc.__class__.__name__)
        raise FileProblem(
            _("无法读取该文件。请上传用导入模板填写并保存为 Excel 工作簿（.xlsx）的文件。")
        ) from exc
    try:
        ws = wb[sheet_title] if sheet_title in wb.sheetnames else wb.worksheets[0]
        lines = ws.iter_rows(min_row=1, values_only=True)
        columns = positions(next(lines, None) or ())
        records = []
        for number, values in enumerate(lines, start=2):
            cells = {h: values[i] if i < len(values) else None for h, i in columns.items()}
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in cells.values()):
                continue
            if len(records) >= max_rows:
                raise FileProblem(_("单次最多导入%(n)s行，请分批上传。") % {"n": max_rows})
            records.append((number, cells))
    except UNREADABLE as exc:
        logger.info("%s import: unreadable sheet (%s)", what, exc.__class__.__name__)
        raise FileProblem(_("文件内容已损坏，无法读取。请重新保存后上传。")) from exc
    finally:
        wb.close()
    if not records:
        raise FileProblem(_("文件中没有数据行。"))
    return records


@dataclass
class RowPlan:
    row: int  # Excel row number
    action: str  # CREATE / UPDATE / UNCHANGED / ERROR
    member: object = None


@dataclass
class ImportResult:
    file_error: str = ""
    rows: list = field(default_factory=list)  # RowPlan (subclasses)
    errors: list[dict] = field(default_factory=list)  # {row, column, message}

    @property
    def ok(self):
        return not self.file_error and not self.errors

    @property
    def counts(self):
        counts = dict.fromkeys((CREATE, UPDATE, UNCHANGED, ERROR), 0)
        for plan in self.rows:
            counts[plan.action] += 1
        return counts

    def error_list(self):
        if self.file_error:
            return [{"row": None, "column": "", "message": self.file_error}]
        return self.errors

    def change_details(self, plan):
        """What the preview shows of a row to be created or updated, beside its number and name."""
        return {}

    def summary(self):
        """What the import record keeps: the counts and each row to be created or updated."""
        counts = self.counts
        return {
            "total": len(self.rows),
            "create": counts[CREATE],
            "update": counts[UPDATE],
            "unchanged": counts[UNCHANGED],
            "invalid": counts[ERROR],
            "changes": [
                {"row": p.row, "action": p.action, "name": p.member.name, **self.change_details(p)}
                for p in self.rows
                if p.action in (CREATE, UPDATE)
            ],
        }
