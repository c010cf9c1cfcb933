"""The shared document helper: an ODT that LibreOffice would open, and the one CSV and
XLSX writer of the portal (finance calls, statistics tables, the patrons export)."""

import io
import zipfile
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from boite.lib.documents import (
    Heading,
    Paragraph,
    Table,
    csv_bytes,
    odt,
    tabular_download,
    xlsx_bytes,
)


def test_odt_is_an_opendocument_with_the_text():
    content = odt(
        [
            Heading("Appel à cotisation 2026"),
            Paragraph("Madame, Monsieur,\nligne deux"),
            Table(["Population", "Montant"], [[12_900, Decimal("1935.00")]]),
        ],
        title="Bayeux",
    )
    archive = zipfile.ZipFile(io.BytesIO(content))
    assert archive.read("mimetype") == b"application/vnd.oasis.opendocument.text"
    body = archive.read("content.xml").decode()
    assert "Appel à cotisation 2026" in body
    assert "ligne deux" in body
    assert "1\u202f935,00" in body


def test_csv_has_a_bom_and_semicolons():
    content = csv_bytes(["a", "b"], [[Decimal("1.50"), date(2026, 1, 2)]]).decode("utf-8")
    assert content.startswith("\ufeffa;b")
    assert "1.50;2026-01-02" in content


def test_xlsx_keeps_amounts_as_numbers():
    content = xlsx_bytes(["Montant"], [[Decimal("1935.00")]], sheet="Cotisations")
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet.title == "Cotisations"
    assert sheet["A2"].value == 1935
    assert sheet["A2"].number_format == "#,##0.00"


def test_csv_writes_none_as_an_empty_cell_and_labels_as_text():
    content = csv_bytes(["x", "b"], [[None, 3], ["« < 5 »", ""]]).decode("utf-8")
    assert content == "\ufeffx;b\r\n;3\r\n« < 5 »;\r\n"


def test_xlsx_header_is_bold_and_frozen_and_none_is_empty():
    content = xlsx_bytes(["Mois", "Prêts"], [["2026-03", None]], sheet="Prêts")
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet["A1"].font.bold and sheet.freeze_panes == "A2"
    assert sheet["B2"].value is None


def test_xlsx_sheet_names_are_made_acceptable_to_excel():
    title = "Ressources : consultations [mars/avril] * ? fin de titre trop long"
    content = xlsx_bytes(["a"], [[1]], sheet=title)
    name = load_workbook(io.BytesIO(content)).active.title
    assert len(name) <= 31 and not set(name) & set("[]:*?/\\")
    assert name.startswith("Ressources  consultations mars")


def test_tabular_download_names_and_types_the_file():
    csv_response = tabular_download(["a"], [[1]], fmt="csv", filename="appels-2026", sheet="2026")
    assert csv_response["Content-Type"] == "text/csv; charset=utf-8"
    assert csv_response["Content-Disposition"] == 'attachment; filename="appels-2026.csv"'
    assert csv_response.content.startswith(b"\xef\xbb\xbfa")
    xlsx = tabular_download(["a"], [[1]], fmt="xlsx", filename="appels-2026", sheet="2026")
    assert xlsx["Content-Disposition"] == 'attachment; filename="appels-2026.xlsx"'
    assert load_workbook(io.BytesIO(xlsx.content)).active.title == "2026"
    with pytest.raises(ValueError, match="pdf"):
        tabular_download(["a"], [[1]], fmt="pdf", filename="x", sheet="x")
