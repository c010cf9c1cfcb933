"""Paged JSON feeds such as Médiathèque Numérique's catalogue.

Pages are asked with `page_nb` (from 1) and `page_size`; the total number of records
is in the `X-Total-Count` header. Each record has `id`, `title`, `description`,
`productionYear`, `posterUrl`, `url`, `duration`, `directors`, `actors`, `genres`,
`targetAudiences`, and optionally `type`, `originalTitle`, `languages`, `countries`,
`availabilityStartDate`, `availabilityEndDate`. A file holds a JSON array of records
(or an object with `items`).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

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
from boite.catalog.harvest.sources import client, get, is_url, no_such_file_message
from boite.catalog.models import RecordType

PAGE_SIZE = 100
MAX_PAGES = 100_000


def _names(value) -> list[str]:
    if not value:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return [v if isinstance(v, str) else str(v.get("name", "")) for v in value]


def _date(value) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def entry_to_item(entry: dict) -> Item:
    if not isinstance(entry, dict):
        raise RecordError(_("this record is not a JSON object"))
    contributors = [{"name": n, "role": "réalisateur"} for n in _names(entry.get("directors"))]
    contributors += [{"name": n, "role": "acteur"} for n in _names(entry.get("actors"))]
    audiences = " ".join(_names(entry.get("targetAudiences")))
    genres = _names(entry.get("genres"))
    kind = kind_of(str(entry.get("type") or ""), RecordType.FILM)
    if kind == RecordType.FILM and any("documentaire" in g.lower() for g in genres):
        kind = RecordType.DOCUMENTARY
    return Item(
        provider_id=str(entry.get("id") if entry.get("id") is not None else ""),
        title=str(entry.get("title") or ""),
        subtitle=str(entry.get("originalTitle") or ""),
        contributors=contributors,
        description=str(entry.get("description") or ""),
        cover_url=str(entry.get("posterUrl") or ""),
        kind=kind,
        audience=audience_of(audiences),
        languages=_names(entry.get("languages")) or ["fre"],
        year=year_of(entry.get("productionYear")),
        duration_minutes=minutes_of(entry.get("duration")),
        subjects=genres,
        deep_link=str(entry.get("url") or ""),
        available_from=_date(entry.get("availabilityStartDate")),
        available_until=_date(entry.get("availabilityEndDate")),
        source_payload=json.dumps(entry, ensure_ascii=False),
    )


def read_entries(entries, start: int = 0):
    if not isinstance(entries, list):
        raise SourceError(_("the feed is not a list of records"))
    for position, entry in enumerate(entries, start + 1):
        try:
            yield validated(entry_to_item(entry))
        except (ValueError, TypeError, AttributeError) as error:
            yield Rejection(
                position, reason_of(error), excerpt=json.dumps(entry, ensure_ascii=False)[:500]
            )


def _decode(text: str):
    try:
        data = json.loads(text)
    except ValueError as error:
        raise SourceError(_("malformed JSON: %(error)s") % {"error": error}) from None
    if isinstance(data, dict):
        data = data.get("items", data.get("results"))
    return data


class JsonFeed(Format):
    name = "json"
    label = gettext_lazy("JSON (Médiathèque Numérique, paged)")

    def read(self, source: str, options: Options):
        if not is_url(source):
            path = Path(source)
            if not path.is_file():
                raise SourceError(no_such_file_message(source))
            yield from read_entries(_decode(path.read_text(encoding="utf-8")))
            return
        size = int(options.options.get("page_size", PAGE_SIZE))
        position = 0
        total = None
        with client(options) as http:
            for page in range(1, MAX_PAGES):
                params = {"page_nb": page, "page_size": size}
                if options.incremental_since:
                    params["modified_since"] = options.incremental_since.isoformat()
                response = get(http, source, params)
                if total is None and response.headers.get("X-Total-Count", "").isdigit():
                    total = int(response.headers["X-Total-Count"])
                    if options.on_total:
                        options.on_total(total)
                entries = _decode(response.text)
                if not entries:
                    break
                yield from read_entries(entries, position)
                position += len(entries)
                if (total is not None and position >= total) or len(entries) < size:
                    break
