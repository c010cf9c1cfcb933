"""One shape for every statistics table: shown on the dashboard (with its chart),
exported as CSV or XLSX, served by the JSON API — always through `Table`."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.http import HttpResponse
from django.utils.text import slugify

from boite.lib import documents
from boite.stats.privacy import small_figure

FORMATS = documents.TABULAR_FORMATS


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


def export_response(table: Table, fmt: str, suffix: str = "") -> HttpResponse:
    """The table as a CSV or XLSX download (boite.lib.documents: what a French
    spreadsheet expects), with small patron counts masked."""
    name = slugify(f"{table.key}-{suffix}" if suffix else table.key)
    return documents.tabular_download(
        table.headers, table.masked_rows(), fmt=fmt, filename=name, sheet=str(table.title)
    )
