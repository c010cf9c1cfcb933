"""Small office documents for letters and exports: ODT (odfpy), CSV and XLSX (openpyxl).

A document is a list of blocks — `Heading`, `Paragraph`, `Table` — written once and
rendered to ODT. Tabular exports (finance calls, statistics tables) take a header row
and rows and all go through `csv_bytes()` / `xlsx_bytes()` (or `tabular_download()`),
so every CSV and spreadsheet of the portal looks the same. Amounts are Decimal and stay
numbers in XLSX (not text), so the finance software can sum them.

No exported cell is ever a formula. What people typed — a patron's name, a title from a
provider's feed — may start with `=`, `+`, `-`, `@`, a tab or a carriage return, which a
spreadsheet would run (`=HYPERLINK(…)` sending the sheet's data away, `=cmd|…`). Every
text cell goes through `inert()` (OWASP's rule: such a text gets a leading `'`), and in
XLSX every text cell is written as text, with the text format `@`. Numbers, dates and
Decimals are not text: a negative amount stays a number. A streamed CSV uses
`csv_stream()`, the same rule row by row. ODT letters are documents, not sheets: their
tables are never evaluated.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
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
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_TYPE = "text/csv; charset=utf-8"
# Characters Excel refuses in a sheet's name (openpyxl raises on them).
_NOT_IN_SHEET_NAMES = str.maketrans("", "", "[]:*?/\\")


def inert(value: object) -> object:
    """A cell a spreadsheet will not run: a text that starts like a formula gets a
    leading apostrophe; anything that is not text (numbers, dates) is left as it is."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def _csv_cell(value: object) -> object:
    if isinstance(value, date):
        return value.isoformat()
    if value is None:
        return ""
    if isinstance(value, int | float | Decimal):
        return value
    return inert(str(value))


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_stream(header: Sequence[str], rows: Iterable[Sequence[object]]) -> Iterator[str]:
    """The lines of `csv_bytes()` one at a time, for a StreamingHttpResponse."""
    writer = csv.writer(_Echo(), delimiter=";")
    yield "\ufeff" + writer.writerow([inert(str(label)) for label in header])
    for row in rows:
        yield writer.writerow([_csv_cell(v) for v in row])


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """CSV for French spreadsheets and finance software: UTF-8 with BOM, semicolons,
    decimal point kept as a dot (machine-readable amounts), dates as YYYY-MM-DD, an
    empty cell for None, no text a spreadsheet would run (`inert()`)."""
    return "".join(csv_stream(header, rows)).encode("utf-8")


def _as_text(worksheet, row: Sequence[object]) -> list[object]:
    """The row's text values as text cells (openpyxl would take `=…` for a formula),
    made inert; other values as they are, for openpyxl to type."""
    from openpyxl.cell.cell import Cell

    cells: list[object] = []
    for value in row:
        if isinstance(value, str):
            cell = Cell(worksheet, value=inert(value))
            cell.data_type = "s"
            cell.number_format = "@"
            cells.append(cell)
        else:
            cells.append(value)
    return cells


def xlsx_bytes(header: Sequence[str], rows: Iterable[Sequence[object]], *, sheet: str) -> bytes:
    """One sheet: a bold, frozen header row, then the rows. Numbers stay numbers (Decimal
    amounts shown with two decimals), texts are text cells (never formulas), None is an
    empty cell; the sheet's name is cut to
    Excel's 31 characters and rid of the characters Excel refuses."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    worksheet = workbook.active
    worksheet.title = str(sheet).translate(_NOT_IN_SHEET_NAMES)[:31] or "Sheet"
    worksheet.append(_as_text(worksheet, [str(label) for label in header]))
    for cell in worksheet[1]:
        cell.font = Font(bold=True)
    worksheet.freeze_panes = "A2"
    for row in rows:
        worksheet.append(_as_text(worksheet, row))
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
