"""CSV and TSV files, with the column mapping saved on the resource.

Options: `mapping` {record field: column name} (title and id required), `delimiter`
(guessed from the first line otherwise), `encoding` (UTF-8 by default; a file that is
not valid UTF-8 is read as Windows-1252, the usual export of French spreadsheets),
`kind` and `audience` defaults, `list_separator` for multi-valued columns ("|").
"""

from __future__ import annotations

import codecs
import csv
import json

from django.utils.translation import gettext as _

from boite.catalog.harvest.base import (
    Format,
    Item,
    Options,
    RecordError,
    Rejection,
    SourceError,
    audience_of,
    kind_of,
    minutes_of,
    reason_of,
    validated,
    year_of,
)
from boite.catalog.harvest.sources import open_binary

DEFAULT_MAPPING = {
    "provider_id": "id",
    "title": "titre",
    "subtitle": "sous_titre",
    "contributors": "auteurs",
    "description": "resume",
    "cover_url": "couverture",
    "kind": "type",
    "audience": "public",
    "languages": "langue",
    "year": "annee",
    "duration_minutes": "duree",
    "subjects": "sujets",
    "isbn": "isbn",
    "deep_link": "lien",
}
REQUIRED = ("provider_id", "title")


def _decoded(stream, encoding: str):
    head = stream.read(1 << 20)
    stream.seek(0)
    if not encoding:
        try:
            head.decode("utf-8-sig")
            encoding = "utf-8-sig"
        except UnicodeDecodeError as error:
            # A cut in the middle of a multi-byte character at the end of the sample is fine.
            encoding = "utf-8-sig" if error.start >= len(head) - 3 else "cp1252"
    return codecs.getreader(encoding)(stream, errors="replace"), head


def read_rows(stream, options: dict):
    mapping = {**DEFAULT_MAPPING, **(options.get("mapping") or {})}
    text, head = _decoded(stream, options.get("encoding", ""))
    delimiter = options.get("delimiter")
    if not delimiter:
        first = head.split(b"\n", 1)[0]
        delimiter = max(("\t", ";", ","), key=lambda d: first.count(d.encode()))
    reader = csv.DictReader(text, delimiter=delimiter)
    try:
        header = reader.fieldnames or []
    except csv.Error as error:
        raise SourceError(_("unreadable CSV: %(error)s") % {"error": error}) from None
    missing = [mapping[f] for f in REQUIRED if mapping[f] not in header]
    if missing:
        raise SourceError(_("missing columns: %(columns)s") % {"columns": ", ".join(missing)})
    separator = options.get("list_separator", "|")

    def column(row, name):
        col = mapping.get(name)
        return (row.get(col) or "").strip() if col else ""

    position = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            position += 1
            yield Rejection(position, _("unreadable line: %(error)s") % {"error": error})
            continue
        position += 1
        try:
            if None in row:
                raise RecordError(_("more cells than columns"))
            people = [p.strip() for p in column(row, "contributors").split(separator) if p.strip()]
            item = Item(
                provider_id=column(row, "provider_id"),
                title=column(row, "title"),
                subtitle=column(row, "subtitle"),
                contributors=[{"name": p, "role": ""} for p in people],
                description=column(row, "description"),
                cover_url=column(row, "cover_url"),
                kind=kind_of(column(row, "kind") or options.get("kind", "")),
                audience=audience_of(column(row, "audience") or options.get("audience", "")),
                languages=[x for x in column(row, "languages").split(separator) if x],
                year=year_of(column(row, "year")),
                duration_minutes=minutes_of(column(row, "duration_minutes")),
                subjects=[x for x in column(row, "subjects").split(separator) if x],
                isbn=column(row, "isbn"),
                deep_link=column(row, "deep_link"),
                source_payload=json.dumps(row, ensure_ascii=False),
            )
            yield validated(item)
        except ValueError as error:
            yield Rejection(
                position, reason_of(error), column(row, "provider_id"), json.dumps(row)[:500]
            )


class Csv(Format):
    name = "csv"
    label = "CSV / TSV"

    def read(self, source: str, options: Options):
        with open_binary(source, options) as stream:
            yield from read_rows(stream, options.options)
