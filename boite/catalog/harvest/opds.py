"""OPDS 2.0 feeds (JSON): publications, following the `next` link page after page."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urljoin

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
    reason_of,
    validated,
    year_of,
)
from boite.catalog.harvest.sources import client, get, is_url, no_such_file_message
from boite.catalog.models import RecordType

MAX_PAGES = 100_000


def _names(value) -> list[str]:
    if value is None:
        return []
    values = value if isinstance(value, list) else [value]
    return [v if isinstance(v, str) else str(v.get("name", "")) for v in values if v]


def _dicts(value) -> list[dict]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _link(links, *rels: str) -> str:
    for link in _dicts(links):
        rel = link.get("rel", "")
        rels_of = rel if isinstance(rel, list) else [rel]
        if any(r in rels_of or any(x.startswith(r) for x in rels_of) for r in rels):
            href = link.get("href", "")
            return href if isinstance(href, str) else ""
    return ""


def publication_to_item(publication: dict, base: str = "") -> Item:
    meta = publication.get("metadata")
    if not isinstance(meta, dict):
        raise RecordError(_("this publication has no metadata"))
    contributors = [{"name": n, "role": "auteur"} for n in _names(meta.get("author"))]
    contributors += [{"name": n, "role": "narrateur"} for n in _names(meta.get("narrator"))]
    contributors += [{"name": n, "role": "illustrateur"} for n in _names(meta.get("illustrator"))]
    contributors += [{"name": n, "role": "traducteur"} for n in _names(meta.get("translator"))]
    images = _dicts(publication.get("images"))
    href = images[0].get("href") if images else ""
    cover = urljoin(base, href) if isinstance(href, str) and href else ""
    identifier = str(meta.get("identifier") or "")
    isbn = identifier.removeprefix("urn:isbn:") if identifier.startswith("urn:isbn:") else ""
    media = str(meta.get("@type") or "")
    kind = RecordType.AUDIOBOOK if "Audiobook" in media else kind_of(media, RecordType.EBOOK)
    subjects = _names(meta.get("subject"))
    language = meta.get("language") or []
    link = _link(publication.get("links"), "self", "http://opds-spec.org/acquisition")
    return Item(
        provider_id=identifier,
        title=str(meta.get("title") or ""),
        subtitle=str(meta.get("subtitle") or ""),
        contributors=contributors,
        description=str(meta.get("description") or ""),
        cover_url=cover,
        kind=kind,
        audience=audience_of(" ".join(subjects)),
        languages=language if isinstance(language, list) else [language],
        year=year_of(meta.get("published")),
        duration_minutes=int(meta["duration"]) // 60
        if isinstance(meta.get("duration"), int | float)
        else None,
        subjects=subjects,
        isbn=isbn,
        deep_link=urljoin(base, link) if link else "",
        source_payload=json.dumps(publication, ensure_ascii=False),
    )


def read_feed(feed: dict, base: str, start: int):
    """Items of one page, and the URL of the next page (or "")."""
    if not isinstance(feed, dict) or not isinstance(feed.get("publications", []), list):
        raise SourceError(_("this is not an OPDS 2.0 feed"))
    position = start
    items = []
    for publication in feed.get("publications", []):
        position += 1
        try:
            if not isinstance(publication, dict):
                raise RecordError(_("this publication is not a JSON object"))
            items.append(validated(publication_to_item(publication, base)))
        except (ValueError, TypeError, AttributeError, KeyError) as error:
            excerpt = json.dumps(publication, ensure_ascii=False, default=str)[:500]
            items.append(Rejection(position, reason_of(error), excerpt=excerpt))
    next_url = _link(feed.get("links"), "next")
    return items, (urljoin(base, next_url) if next_url else "")


def _load(text: str) -> dict:
    try:
        return json.loads(text)
    except ValueError as error:
        raise SourceError(_("malformed JSON: %(error)s") % {"error": error}) from None


class Opds(Format):
    name = "opds"
    label = "OPDS 2.0"

    def read(self, source: str, options: Options):
        position = 0
        if not is_url(source):
            path = Path(source)
            if not path.is_file():
                raise SourceError(no_such_file_message(source))
            items, _next = read_feed(_load(path.read_text(encoding="utf-8")), "", 0)
            yield from items
            return
        seen = set()
        url = source
        with client(options) as http:
            for _page in range(MAX_PAGES):
                if url in seen:
                    break
                seen.add(url)
                response = get(http, url)
                items, url = read_feed(_load(response.text), str(response.url), position)
                position += len(items)
                yield from items
                if not url:
                    break
