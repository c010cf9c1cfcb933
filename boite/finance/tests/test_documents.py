"""The shared document helper: an ODT that LibreOffice would open, CSV and XLSX."""

import io
import zipfile
from datetime import date
from decimal import Decimal

from openpyxl import load_workbook

from boite.lib.documents import Heading, Paragraph, Table, csv_bytes, odt, xlsx_bytes


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
