"""The one interface every source format implements.

A format reads a source (a file path or an http(s) URL) as a stream and yields, in
order, `Item` (a normalised record), `Deletion` (the source says a record is gone) or
`Rejection` (one record could not be read: the run goes on). A source that cannot be
read at all raises `SourceError`: the run stops and the catalogue is left as it was.

Both are read by librarians on the run's page: their texts are translated, with the
technical detail (the parser's own words) after the translated part.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import ClassVar

from django.utils.translation import gettext as _

from boite.catalog.models import Audience, RecordType


class SourceError(Exception):
    """The source as a whole cannot be read (network, HTTP error, not the right format)."""


class RecordError(ValueError):
    """One record cannot be used; the message is already written for the librarian."""


def reason_of(error: Exception) -> str:
    """The reason a librarian reads for a rejected record: a format's own message as it
    is, any other error (a parser's, Python's) after a translated lead-in."""
    if isinstance(error, RecordError):
        return str(error)
    detail = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    return _("unreadable record: %(error)s") % {"error": detail}


@dataclass
class Item:
    provider_id: str
    title: str
    subtitle: str = ""
    contributors: list[dict] = field(default_factory=list)
    description: str = ""
    cover_url: str = ""
    kind: str = RecordType.OTHER
    audience: str = Audience.ALL
    languages: list[str] = field(default_factory=list)
    year: int | None = None
    duration_minutes: int | None = None
    subjects: list[str] = field(default_factory=list)
    isbn: str = ""
    identifiers: dict = field(default_factory=dict)
    deep_link: str = ""
    available_from: date | None = None
    available_until: date | None = None
    source_payload: str = ""


@dataclass
class Deletion:
    provider_id: str


@dataclass
class Rejection:
    position: int
    reason: str
    provider_id: str = ""
    excerpt: str = ""


@dataclass
class Options:
    """What a format needs to know besides the source itself."""

    incremental_since: date | None = None
    options: dict = field(default_factory=dict)
    auth: tuple[str, str, str] = ("none", "", "")  # (kind, user name, secret)
    on_total: object = None  # callable(int): the source announced how many records


class Format:
    name: ClassVar[str]
    label: ClassVar[str]
    incremental: ClassVar[bool] = False  # whether the source can send only what changed

    def read(self, source: str, options: Options) -> Iterator[Item | Deletion | Rejection]:
        raise NotImplementedError


# -- small normalisation helpers shared by the formats --------------------------------

_YEAR = re.compile(r"(1[5-9]\d\d|20\d\d)")
_ISBN_CHARS = re.compile(r"[^0-9Xx]")


def year_of(text) -> int | None:
    if text is None:
        return None
    match = _YEAR.search(str(text))
    return int(match.group(1)) if match else None


def clean_isbn(text: str | None) -> str:
    digits = _ISBN_CHARS.sub("", text or "").upper()
    return digits if len(digits) in (10, 13) else ""


def clean_text(text, limit: int = 0) -> str:
    value = " ".join(str(text or "").split())
    return value[:limit] if limit else value


def clean_url(text) -> str:
    value = str(text or "").strip()
    return value[:1000] if value.startswith(("http://", "https://")) else ""


def minutes_of(value) -> int | None:
    """Minutes from 95, "95", "1:35:00", "PT1H35M" or seconds written as "5700s"."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        return int(value) if 0 < value < 100_000 else None
    text = str(value).strip()
    iso = re.fullmatch(r"PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?", text)
    if iso and any(iso.groups()):
        h, m, s = (int(g or 0) for g in iso.groups())
        return h * 60 + m + (1 if s >= 30 else 0)
    clock = re.fullmatch(r"(\d+):(\d\d)(?::(\d\d))?", text)
    if clock:
        return int(clock.group(1)) * 60 + int(clock.group(2))
    if text.isdigit():
        return minutes_of(int(text))
    return None


_KIND_WORDS = [
    (RecordType.DOCUMENTARY, ("documentaire", "documentary")),
    (RecordType.SERIES, ("série", "serie", "series")),
    (RecordType.CONCERT, ("concert", "opéra", "opera")),
    (RecordType.MAGAZINE, ("magazine", "revue")),
    (RecordType.NEWSPAPER, ("journal", "quotidien", "newspaper")),
    (RecordType.AUDIOBOOK, ("livre audio", "livre-audio", "audiobook", "audio")),
    (RecordType.EBOOK, ("e-book", "ebook", "livre numérique", "epub", "livre", "book")),
    (RecordType.COURSE, ("cours", "formation", "course", "tutoriel")),
    (RecordType.GAME, ("jeu", "game")),
    (RecordType.FILM, ("film", "movie", "vidéo", "video", "moving image")),
    (RecordType.MUSIC, ("musique", "music", "sound")),
]


def kind_of(text: str | None, default: str = RecordType.OTHER) -> str:
    value = (text or "").strip().lower()
    if value in RecordType.values:
        return value
    for kind, words in _KIND_WORDS:
        if any(w in value for w in words):
            return kind
    return default


def audience_of(text: str | None, default: str = Audience.ALL) -> str:
    value = (text or "").strip().lower()
    if value in Audience.values:
        return value
    if any(w in value for w in ("jeunesse", "enfant", "children", "kids", "youth", "3-12")):
        return Audience.YOUTH
    if any(w in value for w in ("ado", "teen", "young adult")):
        return Audience.TEEN
    if any(w in value for w in ("adulte", "adult")):
        return Audience.ADULT
    return default


_LANGS = {
    "fr": "fre", "fra": "fre", "fre": "fre", "français": "fre", "francais": "fre", "french": "fre",
    "en": "eng", "eng": "eng", "anglais": "eng", "english": "eng",
    "de": "ger", "deu": "ger", "ger": "ger", "allemand": "ger",
    "es": "spa", "spa": "spa", "espagnol": "spa",
    "it": "ita", "ita": "ita", "italien": "ita",
}  # fmt: skip


def language_of(text: str | None) -> str:
    value = (text or "").strip().lower()
    return _LANGS.get(value, value[:3] if value.isalpha() else "")


def validated(item: Item) -> Item:
    """Trim every field to what the database holds; raise RecordError when unusable."""
    item.provider_id = clean_text(item.provider_id, 200)
    item.title = clean_text(item.title, 500)
    if not item.provider_id:
        raise RecordError(_("no identifier"))
    if not item.title:
        raise RecordError(_("no title"))
    item.subtitle = clean_text(item.subtitle, 500)
    item.description = (item.description or "").strip()[:20_000]
    item.cover_url = clean_url(item.cover_url)
    item.deep_link = clean_url(item.deep_link)
    item.isbn = clean_isbn(item.isbn)
    item.languages = [
        lang for lang in dict.fromkeys(language_of(x) for x in item.languages) if lang
    ]
    item.subjects = [s for s in dict.fromkeys(clean_text(x, 100) for x in item.subjects) if s][:30]
    item.contributors = [
        {"name": clean_text(c.get("name"), 200), "role": clean_text(c.get("role"), 50)}
        for c in item.contributors
        if clean_text(c.get("name"))
    ][:30]
    if item.year is not None and not 1000 <= item.year <= 2100:
        item.year = None
    item.source_payload = item.source_payload[:50_000]
    return item
