"""The shared document helper: an ODT that LibreOffice would open, and the one CSV and
XLSX writer of the portal (finance calls, statistics tables, the patrons export)."""

import csv
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
    csv_stream,
    inert,
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


# -- no formula in any export (OWASP CSV injection) ------------------------------------
FORMULA = '=HYPERLINK("http://x","y")'


@pytest.mark.parametrize(
    "typed",
    [FORMULA, "+33 2 31", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1", "=cmd|' /C calc'!A0"],
)
def test_a_text_that_starts_like_a_formula_comes_out_inert(typed):
    assert inert(typed) == "'" + typed
    rows = list(
        csv.reader(io.StringIO(csv_bytes([typed], [[typed]]).decode("utf-8-sig")), delimiter=";")
    )
    assert rows == [["'" + typed], ["'" + typed]]
    sheet = load_workbook(io.BytesIO(xlsx_bytes([typed], [[typed]], sheet="s"))).active
    for cell in (sheet["A1"], sheet["A2"]):
        assert cell.data_type == "s" and cell.value == "'" + typed


def test_numbers_stay_numbers_and_ordinary_text_is_untouched():
    row = [Decimal("-12.50"), -3, 2.5, date(2026, 1, 2), "Bayeux", "", None, "a=b"]
    text = csv_bytes(["x"] * len(row), [row]).decode("utf-8-sig").splitlines()[1]
    assert text == "-12.50;-3;2.5;2026-01-02;Bayeux;;;a=b"
    sheet = load_workbook(io.BytesIO(xlsx_bytes(["x"] * len(row), [row], sheet="s"))).active
    values = [c.value for c in sheet[2]]
    assert values[:3] == [-12.5, -3, 2.5] and sheet["A2"].data_type == "n"
    assert values[4] == "Bayeux" and sheet["E2"].number_format == "@"


def test_a_negative_number_typed_as_text_is_text():
    assert inert("-5") == "'-5"  # a string: the writer cannot know it is not a formula
    assert inert(-5) == -5


def test_the_streamed_csv_is_the_same_as_the_whole_one():
    rows = [[FORMULA, Decimal("-1.00"), None]]
    assert "".join(csv_stream(["h"], rows)).encode() == csv_bytes(["h"], rows)
