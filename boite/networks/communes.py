"""Import of communes and their legal population from an INSEE-style CSV file.

The reference format is data/calvados-communes.csv: `insee_code, name, postal_codes,
population_YYYY, lat, lng`, where YYYY is the census year of the legal population.
The import is re-runnable (a commune is matched by its INSEE code), rejects bad rows
with their reason and applies the good ones in one transaction: a file that cannot be
read changes nothing.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from boite.networks.models import Authority, AuthorityPopulation

_INSEE = re.compile(r"^(\d{5}|2[AB]\d{3})$")
_POPULATION_COLUMN = re.compile(r"^population_(\d{4})$")
_REQUIRED = ("insee_code", "name")


class CommuneFileError(ValueError):
    """The file as a whole cannot be imported; nothing was changed."""


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Spreadsheets on Windows save CSV as Windows-1252.
        return raw.decode("cp1252", errors="strict")


def read_rows(raw: bytes) -> tuple[int, list[tuple[int, dict[str, str]]]]:
    """The population year and the data rows (with their line numbers) of a file."""
    try:
        text = _decode(raw)
    except UnicodeDecodeError:
        raise CommuneFileError(_("The file is neither UTF-8 nor Windows-1252 text.")) from None
    if not text.strip():
        raise CommuneFileError(_("The file is empty."))
    first_line = text.splitlines()[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    columns = [c.strip() for c in reader.fieldnames or []]
    missing = [c for c in _REQUIRED if c not in columns]
    years = [int(m.group(1)) for c in columns if (m := _POPULATION_COLUMN.match(c))]
    if missing:
        raise CommuneFileError(_("Missing columns: %(columns)s.") % {"columns": ", ".join(missing)})
    if len(years) != 1:
        raise CommuneFileError(
            _("The file needs exactly one population column named population_YYYY.")
        )
    reader.fieldnames = columns
    rows = []
    try:
        for row in reader:
            rows.append((reader.line_num, row))
    except csv.Error as error:
        raise CommuneFileError(
            _("Line %(line)d cannot be read: %(error)s") % {"line": reader.line_num, "error": error}
        ) from None
    return years[0], rows


def _parse_float(value: str | None) -> float | None:
    value = (value or "").strip().replace(",", ".")
    return float(value) if value else None


def _clean_row(row: dict[str, str], year: int) -> dict:
    """The commune's fields, or ValueError with the reason the row is refused."""
    code = (row.get("insee_code") or "").strip().upper()
    name = (row.get("name") or "").strip()
    if not _INSEE.match(code):
        raise ValueError(_("« %(code)s » is not an INSEE code.") % {"code": code})
    if not name:
        raise ValueError(_("The name is empty."))
    raw_population = (row.get(f"population_{year}") or "").strip().replace(" ", "")
    try:
        population = int(raw_population)
        if population < 0:
            raise ValueError
    except ValueError:
        raise ValueError(
            _("« %(value)s » is not a population.") % {"value": raw_population}
        ) from None
    try:
        latitude, longitude = _parse_float(row.get("lat")), _parse_float(row.get("lng"))
    except ValueError:
        raise ValueError(_("The coordinates are not numbers.")) from None
    postal_codes = " ".join((row.get("postal_codes") or "").split())
    if any(not re.fullmatch(r"\d{5}", p) for p in postal_codes.split()):
        raise ValueError(_("« %(value)s » are not postal codes.") % {"value": postal_codes})
    return {
        "code": code,
        "name": name,
        "postal_codes": postal_codes,
        "latitude": latitude,
        "longitude": longitude,
        "population": population,
    }


@transaction.atomic
def import_communes(path_or_bytes: Path | str | bytes) -> ImportReport:
    raw = path_or_bytes if isinstance(path_or_bytes, bytes) else Path(path_or_bytes).read_bytes()
    year, rows = read_rows(raw)
    report = ImportReport()
    existing = {a.code: a for a in Authority.objects.filter(kind=Authority.Kind.COMMUNE)}
    populations = {p.authority_id: p for p in AuthorityPopulation.objects.filter(year=year)}
    seen: set[str] = set()
    for line, row in rows:
        try:
            data = _clean_row(row, year)
        except ValueError as error:
            report.rejected.append((line, str(error)))
            continue
        if data["code"] in seen:
            report.rejected.append((line, _("This INSEE code appears twice in the file.")))
            continue
        seen.add(data["code"])
        population = data.pop("population")
        authority = existing.get(data["code"])
        is_new = authority is None
        changed = False
        if is_new:
            authority = Authority.objects.create(kind=Authority.Kind.COMMUNE, **data)
        elif any(getattr(authority, k) != v for k, v in data.items()):
            for key, value in data.items():
                setattr(authority, key, value)
            authority.save()
            changed = True
        current = populations.get(authority.pk)
        if current is None:
            AuthorityPopulation.objects.create(
                authority=authority, year=year, population=population
            )
            changed = True
        elif current.population != population:
            current.population = population
            current.save(update_fields=["population"])
            changed = True
        if is_new:
            report.created += 1
        elif changed:
            report.updated += 1
        else:
            report.unchanged += 1
    return report
