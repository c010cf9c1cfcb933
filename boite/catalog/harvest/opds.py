"""OPDS feeds, 2.0 (JSON) and 1.x (Atom): publications, following `next` page after page.

Tolerant per field, strict per publication: a contributor, a link or a date that cannot
be used is dropped with a warning; a publication is rejected only without an identifier
or a title. A templated link (`{authToken}`, `templated: true`) is filled in only at
access time with the patron's token: it is never stored as the publication's link.
A cover comes only from the links that say they are an image (OPDS image/thumbnail
relations, or an image media type).
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urljoin

from django.utils.translation import gettext as _
from lxml import etree

from boite.catalog.harvest.base import (
    AUTHOR,
    CONTRIBUTOR,
    EDITOR,
    ILLUSTRATOR,
    NARRATOR,
    TRANSLATOR,
    Format,
    Item,
    Options,
    RecordError,
    Rejection,
    SourceError,
    audience_of,
    kind_of,
    reason_of,
    role_of,
    validated,
    year_of,
)
from boite.catalog.harvest.sources import client, get, is_url, no_such_file_message
from boite.catalog.models import RecordType

MAX_PAGES = 100_000
TEMPLATED, DROPPED = "templated-link", "dropped-value"

# OPDS 2.0 / Readium Web Publication Manifest contributor keys → the portal's roles.
_ROLE_KEYS = {
    "author": AUTHOR, "translator": TRANSLATOR, "editor": EDITOR, "artist": ILLUSTRATOR,
    "illustrator": ILLUSTRATOR, "letterer": ILLUSTRATOR, "penciler": ILLUSTRATOR,
    "colorist": ILLUSTRATOR, "inker": ILLUSTRATOR, "narrator": NARRATOR,
    "contributor": CONTRIBUTOR,
}  # fmt: skip
_IMAGE_RELS = ("http://opds-spec.org/image", "x-stanza-cover-image", "http://opds-spec.org/cover")


def _text(value) -> str:
    """A string, or the first value of a language map ({"fr": …, "en": …})."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return next((v for v in value.values() if isinstance(v, str)), "")
    return ""


def _people(value, role: str, warnings: list[str]) -> list[dict]:
    """Contributors of one key: a name, an object, or a list of either; anything else
    is dropped with a warning (never the whole publication)."""
    if value is None:
        return []
    out = []
    for one in value if isinstance(value, list) else [value]:
        if isinstance(one, dict):
            name = _text(one.get("name"))
            roles = one.get("role")
            own = roles[0] if isinstance(roles, list) and roles else roles
            found = {"name": name, "role": role_of(own, role) if isinstance(own, str) else role}
        else:
            found = {"name": _text(one), "role": role}
        if found["name"].strip():
            out.append(found)
        else:
            warnings.append(DROPPED)
    return out


def _names(value) -> list[str]:
    values = value if isinstance(value, list) else [value] if value else []
    return [
        n for n in (_text(v.get("name")) if isinstance(v, dict) else _text(v) for v in values) if n
    ]


def _dicts(value) -> list[dict]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _rels(link: dict) -> list[str]:
    rel = link.get("rel", "")
    return [r for r in (rel if isinstance(rel, list) else [rel]) if isinstance(r, str)]


def _templated(link: dict) -> bool:
    href = link.get("href")
    return bool(link.get("templated")) or (isinstance(href, str) and "{" in href)


def _link(links, warnings: list[str], *rels: str) -> str:
    for link in _dicts(links):
        if any(r in _rels(link) or any(x.startswith(r) for x in _rels(link)) for r in rels):
            if _templated(link):
                warnings.append(TEMPLATED)
                continue
            href = link.get("href", "")
            return href if isinstance(href, str) else ""
    return ""


def _cover(publication: dict) -> str:
    for image in _dicts(publication.get("images")):
        href = image.get("href")
        if isinstance(href, str) and href and not _templated(image):
            return href
    for link in _dicts(publication.get("links")):
        media = str(link.get("type") or "")
        if any(r.startswith(_IMAGE_RELS) for r in _rels(link)) or media.startswith("image/"):
            href = link.get("href")
            if isinstance(href, str) and not _templated(link):
                return href
    return ""


def publication_to_item(publication: dict, base: str = "") -> Item:
    meta = publication.get("metadata")
    if not isinstance(meta, dict):
        raise RecordError(_("this publication has no metadata"))
    warnings: list[str] = []
    contributors = []
    for key, role in _ROLE_KEYS.items():
        contributors += _people(meta.get(key), role, warnings)
    href = _cover(publication)
    identifier = _text(meta.get("identifier")).strip()
    isbn = identifier.removeprefix("urn:isbn:") if identifier.startswith("urn:isbn:") else ""
    media = str(meta.get("@type") or "")
    kind = RecordType.AUDIOBOOK if "Audiobook" in media else kind_of(media, RecordType.EBOOK)
    subjects = _names(meta.get("subject"))
    language = meta.get("language") or []
    languages = [
        x for x in (language if isinstance(language, list) else [language]) if isinstance(x, str)
    ]
    link = _link(publication.get("links"), warnings, "http://opds-spec.org/acquisition", "self")
    duration = meta.get("duration")
    return Item(
        provider_id=identifier,
        title=_text(meta.get("title")),
        subtitle=_text(meta.get("subtitle")),
        contributors=contributors,
        description=_text(meta.get("description")),
        cover_url=urljoin(base, href) if href else "",
        kind=kind,
        audience=audience_of(" ".join(subjects)),
        languages=languages,
        year=year_of(meta.get("published")),
        duration_minutes=int(duration) // 60 if isinstance(duration, int | float) else None,
        subjects=subjects,
        isbn=isbn,
        deep_link=urljoin(base, link) if link else "",
        source_payload=json.dumps(publication, ensure_ascii=False),
        warnings=sorted(set(warnings)),
    )


def read_feed(feed: dict, base: str, start: int):
    """Items of one page (its publications and its groups'), and the URL of the next
    page (or "")."""
    if not isinstance(feed, dict) or not isinstance(feed.get("publications", []), list):
        raise SourceError(_("this is not an OPDS 2.0 feed"))
    publications = list(feed.get("publications") or [])
    for group in _dicts(feed.get("groups")):
        publications += [p for p in group.get("publications") or [] if p is not None]
    if not publications and start == 0:
        if feed.get("navigation") or "metadata" in feed:
            raise SourceError(
                _(
                    "this OPDS feed has no publications (a navigation feed): give the "
                    "address of one of its acquisition feeds"
                )
            )
        raise SourceError(_("this is not an OPDS 2.0 feed"))
    position = start
    items = []
    for publication in publications:
        position += 1
        try:
            if not isinstance(publication, dict):
                raise RecordError(_("this publication is not a JSON object"))
            items.append(validated(publication_to_item(publication, base)))
        except (ValueError, TypeError, AttributeError, KeyError) as error:
            excerpt = json.dumps(publication, ensure_ascii=False, default=str)[:500]
            items.append(Rejection(position, reason_of(error), excerpt=excerpt))
    next_url = _link(feed.get("links"), [], "next")
    return items, (urljoin(base, next_url) if next_url else "")


def _load(text: str) -> dict:
    try:
        return json.loads(text)
    except ValueError as error:
        raise SourceError(_("malformed JSON: %(error)s") % {"error": error}) from None


# -- OPDS 1.x: Atom -----------------------------------------------------------------------
ATOM = "{http://www.w3.org/2005/Atom}"
_DC = ("{http://purl.org/dc/terms/}", "{http://purl.org/dc/elements/1.1/}")
_ACQUISITION = "http://opds-spec.org/acquisition"


def _atom_links(entry) -> list[dict]:
    return [
        {"rel": x.get("rel", ""), "href": x.get("href", ""), "type": x.get("type", "")}
        for x in entry.findall(f"{ATOM}link")
    ]


def _dc(entry, name: str) -> list[str]:
    return [" ".join(x.itertext()).strip() for ns in _DC for x in entry.findall(f"{ns}{name}")]


def entry_to_item(entry, base: str = "") -> Item:
    """One Atom <entry> of an OPDS 1.x acquisition feed."""
    warnings: list[str] = []
    contributors = []
    for tag, role in ((f"{ATOM}author", AUTHOR), (f"{ATOM}contributor", CONTRIBUTOR)):
        for person in entry.findall(tag):
            name = (person.findtext(f"{ATOM}name") or "").strip()
            if name:
                contributors.append({"name": name, "role": role})
            else:
                warnings.append(DROPPED)
    links = _atom_links(entry)
    cover = next(
        (
            x["href"]
            for x in links
            if x["rel"].startswith(_IMAGE_RELS) and "thumbnail" not in x["rel"]
        ),
        "",
    ) or next((x["href"] for x in links if x["rel"].startswith(_IMAGE_RELS)), "")
    link = ""
    for x in links:
        if x["rel"].startswith(_ACQUISITION) or x["rel"] in ("alternate", "buynow", ""):
            if "{" in x["href"]:
                warnings.append(TEMPLATED)
                continue
            link = link or x["href"]
    identifiers = [v for v in _dc(entry, "identifier") if v] + [
        (entry.findtext(f"{ATOM}id") or "").strip()
    ]
    isbn = next((v[9:] for v in identifiers if v.lower().startswith("urn:isbn:")), "")
    content = entry.find(f"{ATOM}content")
    if content is None:
        content = entry.find(f"{ATOM}summary")
    description = ""
    if content is not None:
        if content.get("type") == "xhtml":
            description = "".join(
                etree.tostring(child, encoding="unicode", with_tail=True) for child in content
            )
        else:
            description = (content.text or "").strip()
    subjects = [x.get("label") or x.get("term") or "" for x in entry.findall(f"{ATOM}category")]
    return Item(
        provider_id=(entry.findtext(f"{ATOM}id") or "").strip()
        or (identifiers[0] if identifiers else ""),
        title=" ".join((entry.findtext(f"{ATOM}title") or "").split()),
        contributors=contributors,
        description=description,
        cover_url=urljoin(base, cover) if cover else "",
        kind=RecordType.EBOOK,
        audience=audience_of(" ".join(subjects)),
        languages=_dc(entry, "language"),
        year=year_of(
            next(iter(_dc(entry, "issued") + _dc(entry, "date")), "")
            or entry.findtext(f"{ATOM}published")
        ),
        subjects=[x for x in subjects if x],
        isbn=isbn,
        deep_link=urljoin(base, link) if link else "",
        source_payload=etree.tostring(entry, encoding="unicode"),
        warnings=sorted(set(warnings)),
    )


def read_atom(data: bytes, base: str, start: int):
    """Items of one OPDS 1.x page, and the URL of the next page (or "")."""
    try:
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as error:
        raise SourceError(_("malformed XML: %(error)s") % {"error": error}) from None
    if root.tag != f"{ATOM}feed":
        raise SourceError(_("this is not an OPDS feed (neither OPDS 2.0 JSON nor Atom)"))
    entries = root.findall(f"{ATOM}entry")
    acquisition = [
        e
        for e in entries
        if not all(
            x["type"].startswith("application/atom+xml") for x in _atom_links(e) if x["href"]
        )
        or not _atom_links(e)
    ]
    if not acquisition and start == 0:
        raise SourceError(
            _(
                "this OPDS feed has no publications (a navigation feed): give the "
                "address of one of its acquisition feeds"
            )
        )
    items = []
    for position, entry in enumerate(acquisition, start + 1):
        try:
            items.append(validated(entry_to_item(entry, base)))
        except (ValueError, TypeError, AttributeError) as error:
            excerpt = etree.tostring(entry, encoding="unicode")[:500]
            items.append(Rejection(position, reason_of(error), excerpt=excerpt))
    next_url = next((x["href"] for x in _atom_links(root) if x["rel"] == "next"), "")
    return items, (urljoin(base, next_url) if next_url else "")


def _page(data: bytes, base: str, start: int):
    if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return read_atom(data, base, start)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise SourceError(_("malformed JSON: %(error)s") % {"error": error}) from None
    return read_feed(_load(text), base, start)


class Opds(Format):
    name = "opds"
    label = "OPDS (2.0, 1.x)"

    def read(self, source: str, options: Options):
        position = 0
        if not is_url(source):
            path = Path(source)
            if not path.is_file():
                raise SourceError(no_such_file_message(source))
            items, _next = _page(path.read_bytes(), "", 0)
            yield from items
            return
        seen = set()
        url = source
        with client(options) as http:
            for _page_number in range(MAX_PAGES):
                if url in seen:
                    break
                seen.add(url)
                response = get(http, url)
                items, url = _page(response.content, str(response.url), position)
                position += len(items)
                yield from items
                if not url:
                    break
