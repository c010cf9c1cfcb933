"""Small office documents for letters and exports: ODT (odfpy), CSV and XLSX (openpyxl).

A document is a list of blocks — `Heading`, `Paragraph`, `Table` — written once and
rendered to ODT. Tabular exports (finance calls, statistics tables) take a header row
and rows and all go through `csv_bytes()` / `xlsx_bytes()` (or `tabular_download()`),
so every CSV and spreadsheet of the portal looks the same. Amounts are Decimal and stay
numbers in XLSX (not text), so the finance software can sum them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.http import HttpResponse
from odf.opendocument import OpenDocumentText
from odf.style import ParagraphProperties, Style, TableColumnProperties, TextProperties
from odf.table import Table as OdfTable
from odf.table import TableCell, TableColumn, TableRow
from odf.text import H, P

ODT_TYPE = "application/vnd.oasis.opendocument.text"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 1


@dataclass(frozen=True)
class Paragraph:
    text: str
    align: str = "start"  # start, end or center


@dataclass(frozen=True)
class Table:
    header: Sequence[str]
    rows: Sequence[Sequence[object]] = field(default_factory=list)


Block = Heading | Paragraph | Table


def _text(value: object) -> str:
    if isinstance(value, Decimal):
        return f"{value:,.2f}".replace(",", "\u202f").replace(".", ",")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return "" if value is None else str(value)


def odt(blocks: Iterable[Block], *, title: str = "") -> bytes:
    """An OpenDocument text with the blocks in order (lines of a paragraph kept)."""
    document = OpenDocumentText()
    if title:
        from odf.dc import Title

        document.meta.addElement(Title(text=title))
    styles = {}
    for align in ("start", "end", "center"):
        style = Style(name=f"P-{align}", family="paragraph")
        style.addElement(ParagraphProperties(textalign=align, marginbottom="0.2cm"))
        document.automaticstyles.addElement(style)
        styles[align] = style
    headings = {}
    for level in (1, 2, 3):
        style = Style(
            name=f"Heading_20_{level}", displayname=f"Heading {level}", family="paragraph"
        )
        style.addElement(TextProperties(fontsize=f"{18 - 2 * level}pt", fontweight="bold"))
        style.addElement(ParagraphProperties(margintop="0.4cm", marginbottom="0.2cm"))
        document.styles.addElement(style)
        headings[level] = style
    bold = Style(name="Th", family="paragraph")
    bold.addElement(TextProperties(fontweight="bold"))
    document.automaticstyles.addElement(bold)
    column = Style(name="Col", family="table-column")
    column.addElement(TableColumnProperties(columnwidth="4cm"))
    document.automaticstyles.addElement(column)

    for number, block in enumerate(blocks):
        if isinstance(block, Heading):
            document.text.addElement(
                H(outlinelevel=block.level, stylename=headings[block.level], text=block.text)
            )
        elif isinstance(block, Paragraph):
            for line in block.text.split("\n"):
                document.text.addElement(P(stylename=styles[block.align], text=line))
        else:
            table = OdfTable(name=f"Table{number}")
            table.addElement(TableColumn(numbercolumnsrepeated=len(block.header), stylename=column))
            for cells, style in [(block.header, bold)] + [(r, None) for r in block.rows]:
                row = TableRow()
                for value in cells:
                    cell = TableCell(valuetype="string")
                    cell.addElement(P(text=_text(value), **({"stylename": style} if style else {})))
                    row.addElement(cell)
                table.addElement(row)
            document.text.addElement(table)
    buffer = io.BytesIO()
    document.write(buffer)
    return buffer.getvalue()


TABULAR_FORMATS = ("csv", "xlsx")
CSV_TYPE = "text/csv; charset=utf-8"
# Characters Excel refuses in a sheet's name (openpyxl raises on them).
_NOT_IN_SHEET_NAMES = str.maketrans("", "", "[]:*?/\\")


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """CSV for French spreadsheets and finance software: UTF-8 with BOM, semicolons,
    decimal point kept as a dot (machine-readable amounts), dates as YYYY-MM-DD, an
    empty cell for None."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow([str(label) for label in header])
    for row in rows:
        writer.writerow(
            [v.isoformat() if isinstance(v, date) else ("" if v is None else v) for v in row]
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def xlsx_bytes(header: Sequence[str], rows: Iterable[Sequence[object]], *, sheet: str) -> bytes:
    """One sheet: a bold, frozen header row, then the rows. Numbers stay numbers (Decimal
    amounts shown with two decimals), None is an empty cell; the sheet's name is cut to
    Excel's 31 characters and rid of the characters Excel refuses."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    worksheet = workbook.active
    worksheet.title = str(sheet).translate(_NOT_IN_SHEET_NAMES)[:31] or "Sheet"
    worksheet.append([str(label) for label in header])
    for cell in worksheet[1]:
        cell.font = Font(bold=True)
    worksheet.freeze_panes = "A2"
    for row in rows:
        worksheet.append(list(row))
        for cell in worksheet[worksheet.max_row]:
            if isinstance(cell.value, Decimal):
                cell.number_format = "#,##0.00"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def tabular_download(
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    fmt: str,
    filename: str,
    sheet: str,
) -> HttpResponse:
    """A table as a CSV or XLSX attachment named `<filename>.<fmt>`."""
    if fmt == "csv":
        return download(csv_bytes(header, rows), f"{filename}.csv", CSV_TYPE)
    if fmt == "xlsx":
        return download(xlsx_bytes(header, rows, sheet=sheet), f"{filename}.xlsx", XLSX_TYPE)
    raise ValueError(f"unknown tabular format {fmt!r}")


def download(content: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
