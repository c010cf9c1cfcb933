"""One shape for every statistics table: shown on the dashboard (with its chart),
exported as CSV or XLSX, served by the JSON API — always through `Table`."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.http import HttpResponse
from django.utils.text import slugify
from openpyxl import Workbook
from openpyxl.styles import Font

from boite.stats.privacy import small_figure

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("csv", "xlsx")


@dataclass
class Column:
    label: str
    numeric: bool = True
    patrons: bool = False  # counts people: masked below the threshold in exports


@dataclass
class Table:
    key: str
    title: str
    columns: list[Column]
    rows: list[list] = field(default_factory=list)
    chart: str = "bar"  # "bar", "line", or "" for none
    note: str = ""

    @property
    def headers(self) -> list[str]:
        return [str(c.label) for c in self.columns]

    def masked_rows(self) -> list[list]:
        """Rows for whoever is outside the network: small patron counts hidden."""
        return [
            [small_figure(v) if c.patrons else v for c, v in zip(self.columns, row, strict=True)]
            for row in self.rows
        ]

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "title": str(self.title),
            "columns": self.headers,
            "rows": [
                [str(v) if isinstance(v, Decimal) else v for v in row] for row in self.masked_rows()
            ],
        }


def _cell(value) -> object:
    return "" if value is None else value


def export_response(table: Table, fmt: str, suffix: str = "") -> HttpResponse:
    """The table as a CSV (UTF-8 with BOM, semicolons: what a French spreadsheet
    expects) or XLSX download, with small patron counts masked."""
    name = slugify(f"{table.key}-{suffix}" if suffix else table.key)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";")
        writer.writerow(table.headers)
        writer.writerows([[_cell(v) for v in row] for row in table.masked_rows()])
        response = HttpResponse(
            "\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8"
        )
    elif fmt == "xlsx":
        workbook = Workbook()
        sheet = workbook.active
        sheet.title = str(table.title)[:31].translate(str.maketrans("", "", "[]:*?/\\"))
        sheet.append(table.headers)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in table.masked_rows():
            sheet.append([_cell(v) for v in row])
        sheet.freeze_panes = "A2"
        out = io.BytesIO()
        workbook.save(out)
        response = HttpResponse(out.getvalue(), content_type=XLSX)
    else:
        raise ValueError(f"unknown export format {fmt!r}")
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response
