"""Exports are classes with one generator: `iterate_rows(user, params)` yields rows already scoped
to the user; `render_xlsx` writes them with openpyxl in write-only mode, so memory stays flat."""

import io

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

_registry = {}


class ListExporter:
    code = ""
    label = ""
    sheet_title = ""

    def headers(self):
        raise NotImplementedError

    def queryset(self, user, params):
        raise NotImplementedError

    def iterate_rows(self, user, params):
        raise NotImplementedError

    def filename(self, params):
        return f"{self.code}.xlsx"


def register(cls):
    _registry[cls.code] = cls()
    return cls


def get_exporter(code):
    return _registry.get(code)


def render_xlsx(exporter, user, params, *, on_progress=None, every=500):
    """Write the exporter's rows to an in-memory xlsx; `on_progress(done, total)` every `every` rows."""
    total = exporter.queryset(user, params).count()
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=exporter.sheet_title or exporter.label)
    bold = Font(bold=True)
    header = []
    for text in exporter.headers():
        cell = WriteOnlyCell(ws, value=str(text))
        cell.font = bold
        header.append(cell)
    ws.append(header)
    done = 0
    for row in exporter.iterate_rows(user, params):
        ws.append(row)
        done += 1
        if on_progress and done % every == 0:
            on_progress(done, total)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue(), done
