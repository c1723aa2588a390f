"""Report tables and their exports: one `Table` feeds the HTML table, the chart, the CSV and the Excel
sheet, so what a manager sees, exports and charts are always the same numbers."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import HttpResponse

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Chart:
    """What charts.js draws (Chart.js config, reduced to what our tables need)."""

    kind: str  # bar / line / doughnut
    labels: list[str]
    datasets: list[dict[str, Any]]  # {"label": str, "data": [numbers]}
    stacked: bool = False
    horizontal: bool = False
    y_title: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "labels": self.labels, "datasets": self.datasets, "stacked": self.stacked,
                "horizontal": self.horizontal, "y_title": self.y_title}


@dataclass
class Table:
    key: str
    title: str
    columns: list[str]
    rows: list[list[Any]]
    chart: Chart | None = None
    note: str = ""
    totals: list[Any] | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def is_wide(self) -> bool:
        """Too many columns to sit beside its chart: the page puts it below."""
        return len(self.columns) > 6

    @property
    def is_empty(self) -> bool:
        return not self.rows

    def column(self, index: int) -> list[Any]:
        return [row[index] for row in self.rows]

    def row_for(self, label: str) -> list[Any] | None:
        return next((row for row in self.rows if str(row[0]) == label), None)


def _plain(value: Any) -> Any:
    """A cell as a spreadsheet wants it: numbers stay numbers, the rest becomes text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float, Decimal, date, datetime)):
        if isinstance(value, datetime) and value.tzinfo is not None:
            return value.replace(tzinfo=None)
        return value
    return str(value)


def _safe_text(value: Any) -> Any:
    """CSV/formula injection: a text cell starting with = + - @ is opened as text, not evaluated."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def filename(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-") or "report"


def csv_bytes(table: Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow([_safe_text(_plain(v)) for v in row])
    if table.totals:
        writer.writerow([_safe_text(_plain(v)) for v in table.totals])
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # BOM: Excel opens UTF-8 CSV correctly


def xlsx_bytes(tables: Iterable[Table], *, title: str = "") -> bytes:
    """One sheet per table, header in bold, columns sized to their content, frozen header row."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    workbook.remove(workbook.active)
    used: set[str] = set()
    for table in tables:
        name = _sheet_name(table.title, used)
        sheet = workbook.create_sheet(name)
        sheet.append([str(c) for c in table.columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append([_safe_text(_plain(v)) for v in row])
        if table.totals:
            sheet.append([_safe_text(_plain(v)) for v in table.totals])
            for cell in sheet[sheet.max_row]:
                cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        for index, _column in enumerate(table.columns, start=1):
            width = max((len(str(c.value)) for c in sheet[get_column_letter(index)] if c.value is not None),
                        default=8)
            sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 8), 60)
    if not workbook.worksheets:
        workbook.create_sheet("Empty")
    if title:
        workbook.properties.title = title
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _sheet_name(title: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", " ", str(title)).strip()[:31] or "Sheet"
    name, n = base, 2
    while name.lower() in used:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(name.lower())
    return name


def csv_response(table: Table, name: str) -> HttpResponse:
    response = HttpResponse(csv_bytes(table), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename(name)}.csv"'
    return response


def xlsx_response(tables: Sequence[Table], name: str) -> HttpResponse:
    response = HttpResponse(xlsx_bytes(tables, title=name), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename(name)}.xlsx"'
    return response
