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
from functools import lru_cache
from typing import ClassVar

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

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
    sort_title: str = ""  # the title without its non-sorting words, when the source marks them
    warnings: list[str] = field(default_factory=list)  # kinds of what was repaired or dropped


# What a record kept can carry, counted by kind in the run's report.
WARNING_LABELS = {
    "charset-declared-wrong": gettext_lazy(
        "character set declared wrong (read from what the bytes are)"
    ),
    "charset-double-encoded": gettext_lazy("text encoded twice in UTF-8 (repaired)"),
    "charset-fallback": gettext_lazy("bytes in no character set (decoded as Windows-1252)"),
    "charset-guessed": gettext_lazy("character set not declared (guessed from the bytes)"),
    "leader-length-wrong": gettext_lazy("record length in the leader wrong (record re-cut)"),
    "templated-link": gettext_lazy("templated link not stored as a link"),
    "dropped-value": gettext_lazy("unusable value dropped"),
}


@dataclass
class Notice:
    """What was repaired or dropped in one record that was kept (counted by kind)."""

    provider_id: str
    kinds: list[str]


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
    """An http(s) address without the whitespace a feed wraps in it (newlines inside
    included); "" for anything else, and for a template (« …{authToken} »): a link to be
    filled in at access time is not a link."""
    if not text:
        return ""
    value = str(text).strip()
    if " " in value or "\n" in value or "\t" in value or "\r" in value:
        value = "".join(value.split())
    if not value.startswith(("http://", "https://")) or "{" in value or "}" in value:
        return ""
    return value[:1000]


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


_KINDS = frozenset(RecordType.values)
_AUDIENCES = frozenset(Audience.values)


def kind_of(text: str | None, default: str = RecordType.OTHER) -> str:
    value = (text or "").strip().lower()
    if not value:
        return default
    if value in _KINDS:
        return value
    for kind, words in _KIND_WORDS:
        if any(w in value for w in words):
            return kind
    return default


def audience_of(text: str | None, default: str = Audience.ALL) -> str:
    value = (text or "").strip().lower()
    if not value:
        return default
    if value in _AUDIENCES:
        return value
    if any(w in value for w in ("jeunesse", "enfant", "children", "kids", "youth", "3-12")):
        return Audience.YOUTH
    if any(w in value for w in ("ado", "teen", "young adult")):
        return Audience.TEEN
    if any(w in value for w in ("adulte", "adult")):
        return Audience.ADULT
    return default


# ISO 639-1 → ISO 639-2/B (the bibliographic codes MARC and UNIMARC use), for the languages
# a French network's catalogues hold; a 639-2/T code is brought to its /B twin.
_ISO639_1 = {
    "fr": "fre", "en": "eng", "de": "ger", "es": "spa", "it": "ita", "pt": "por",
    "nl": "dut", "ar": "ara", "zh": "chi", "ja": "jpn", "ru": "rus", "el": "gre",
    "la": "lat", "pl": "pol", "tr": "tur", "he": "heb", "br": "bre", "oc": "oci",
    "ca": "cat", "eu": "baq", "co": "cos", "sv": "swe", "da": "dan", "no": "nor",
    "nb": "nob", "nn": "nno", "fi": "fin", "cs": "cze", "sk": "slo", "hu": "hun",
    "ro": "rum", "bg": "bul", "uk": "ukr", "sr": "srp", "hr": "hrv", "sl": "slv",
    "ko": "kor", "vi": "vie", "th": "tha", "hi": "hin", "fa": "per", "ur": "urd",
    "sq": "alb", "hy": "arm", "ka": "geo", "is": "ice", "ga": "gle", "cy": "wel",
    "gd": "gla", "mk": "mac", "ms": "may", "my": "bur", "bo": "tib", "eo": "epo",
    "lb": "ltz", "wo": "wol", "ln": "lin", "sw": "swa", "yi": "yid", "ht": "hat",
}  # fmt: skip
_TERMINOLOGY = {
    "fra": "fre", "deu": "ger", "nld": "dut", "zho": "chi", "ell": "gre", "ces": "cze",
    "slk": "slo", "ron": "rum", "eus": "baq", "fas": "per", "sqi": "alb", "hye": "arm",
    "kat": "geo", "isl": "ice", "cym": "wel", "mkd": "mac", "msa": "may", "mya": "bur",
    "bod": "tib",
}  # fmt: skip
_LANGUAGE_NAMES = {
    "français": "fre", "francais": "fre", "french": "fre", "anglais": "eng", "english": "eng",
    "allemand": "ger", "german": "ger", "deutsch": "ger", "espagnol": "spa", "spanish": "spa",
    "italien": "ita", "italian": "ita", "arabe": "ara", "arabic": "ara",
}  # fmt: skip


@lru_cache(maxsize=1024)
def language_of(text: str | None) -> str:
    """One ISO 639-2/B code from « fr », « fre », « fra », « fr-FR », « en_US »,
    « zh-Hant-TW », « French »…; "" when it is none of those."""
    value = (text or "").strip().lower().replace("_", "-")
    if not value:
        return ""
    if value in _LANGUAGE_NAMES:
        return _LANGUAGE_NAMES[value]
    primary = value.split("-", 1)[0]
    if not primary.isascii() or not primary.isalpha():
        return ""
    if len(primary) == 2:
        return _ISO639_1.get(primary, "")
    if len(primary) == 3:
        return _TERMINOLOGY.get(primary, primary)
    return ""


# -- contributors' roles ------------------------------------------------------------------
# The portal's roles (French words, shown as they are) and the codes and words of each
# format that mean them: MARC relator codes and terms, UNIMARC relator codes, ONIX
# ContributorRole codes, OPDS/schema.org keys.
AUTHOR, EDITOR, TRANSLATOR, ILLUSTRATOR = (
    "auteur",
    "éditeur scientifique",
    "traducteur",
    "illustrateur",
)
NARRATOR, DIRECTOR, PERFORMER, COMPOSER = "narrateur", "réalisateur", "interprète", "compositeur"
PREFACE, CONTRIBUTOR = "préfacier", "contributeur"
_ROLE_WORDS = {
    AUTHOR: ("aut", "author", "auteur", "070", "writer", "creator", "cre", "a01", "a38"),
    EDITOR: ("edt", "editor", "éditeur scientifique", "éd.", "ed.", "dir.", "340", "651",
             "b01", "b11", "compiler", "com", "220", "b09"),
    TRANSLATOR: ("trl", "translator", "traducteur", "trad.", "730", "b06"),
    ILLUSTRATOR: ("ill", "illustrator", "illustrateur", "ill.", "440", "a12", "art", "artist",
                  "photographer", "pht", "600", "a13", "penciler", "colorist", "inker"),
    NARRATOR: ("nrr", "narrator", "narrateur", "lecteur", "reader", "550", "e07", "e03"),
    DIRECTOR: ("drt", "director", "réalisateur", "300", "d02", "film director", "fmd"),
    PERFORMER: ("prf", "performer", "interprète", "actor", "act", "acteur", "590", "e01",
                "singer", "sng", "721", "musician", "mus", "545", "e05", "e08", "cnd",
                "conductor", "250", "d03"),
    COMPOSER: ("cmp", "composer", "compositeur", "230", "a06"),
    PREFACE: ("aui", "author of introduction", "writer of introduction", "wpr", "preface",
              "préfacier", "080", "a23", "a15", "a24", "aft", "075", "a19"),
}  # fmt: skip
_ROLES = {word: role for role, words in _ROLE_WORDS.items() for word in words}


@lru_cache(maxsize=1024)
def role_of(code: str | None, default: str = CONTRIBUTOR) -> str:
    """The portal's role for a format's relator code or term (« trl », « 730 »,
    « translator. », « B06 »); `default` when it names none."""
    value = (code or "").rsplit("/", 1)[-1].strip(" .,;:()[]").lower()
    if not value:
        return default
    return _ROLES.get(value) or _ROLES.get(value + ".") or default


# -- punctuation and markers of library records ------------------------------------------
_NON_SORT = re.compile("\x98(.*?)\x9c|<<(.*?)>>|\x1bH(.*?)\x1bI", re.S)
_ISBD_EDGES = " /:;,=+"


def without_isbd(text: str | None) -> str:
    """A subfield without the ISBD punctuation around it (« , Isaac » → « Isaac »,
    « Titre / » → « Titre »)."""
    value = " ".join(str(text or "").split()).strip(_ISBD_EDGES)
    if value.endswith(".") and not value.endswith(".."):
        # A full stop closing the field (MARC 21 puts one there), not an abbreviation's
        # (« John F. », « éd. »).
        last = value.rsplit(" ", 1)[-1]
        if len(last) > 3 and last.count(".") == 1:
            value = value[:-1]
    return value


def split_non_sort(text: str) -> tuple[str, str]:
    """(display, sort) of a title whose non-sorting words are marked (NSB/NSE controls,
    « <<…>> », ESC H/ESC I): shown, but left out of the sort value."""
    if not text or not ("\x98" in text or "<<" in text or "\x1b" in text):
        return text, ""
    display = _NON_SORT.sub(lambda m: next(g for g in m.groups() if g is not None), text)
    sort = _NON_SORT.sub("", text)
    display = display.replace("\x98", "").replace("\x9c", "")
    return " ".join(display.split()), " ".join(sort.split())


# -- descriptions -------------------------------------------------------------------------
TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(?:\s[^<>]*)?/?>")
_ENTITY = re.compile(r"&(?:[a-zA-Z]+|#\d+|#x[0-9a-fA-F]+);")
ALLOWED_TAGS = {"p", "br", "b", "strong", "i", "em", "u", "ul", "ol", "li", "blockquote",
                "h3", "h4", "h5", "h6", "sub", "sup", "small"}  # fmt: skip


def unescape_once(text: str) -> str:
    """Text whose entities were escaped once more than they should (« Allen &amp; Unwin »
    as read from « Allen &amp;amp; Unwin »), decoded once."""
    import html

    return html.unescape(text) if "&" in text and _ENTITY.search(text) else text


def clean_description(text: str | None) -> str:
    """A description: HTML kept as safe HTML (tags outside a small set dropped: scripts,
    styles, links, images; headings brought to h3), HTML escaped twice (« &lt;p&gt; »)
    decoded once first; plain text stays plain."""
    import nh3

    value = (text or "").strip()
    if not value or ("<" not in value and "&" not in value):
        return value
    if not TAG.search(value):
        value = unescape_once(value)
        if not TAG.search(value):
            return value
    value = re.sub(r"<(/?)h[12]\b", r"<\1h3", value, flags=re.I)
    return nh3.clean(value, tags=ALLOWED_TAGS, attributes={}, link_rel=None).strip()


def text_of_html(text: str) -> str:
    """The words of a description, without its tags (for the search index)."""
    import html

    return html.unescape(TAG.sub(" ", text)) if "<" in text else text


def _display(text: str) -> tuple[str, str]:
    """A title as shown, and its sort value when it marks non-sorting words ("" if not)."""
    if "&" in text:
        text = unescape_once(text)
    if "\x98" in text or "<<" in text or "\x1b" in text:
        return split_non_sort(text)
    return text, ""


def validated(item: Item) -> Item:
    """Trim every field to what the database holds; raise RecordError when unusable.
    (Run once per record of every harvest: the common case takes no detour.)"""
    item.provider_id = clean_text(item.provider_id, 200)
    title, sort = _display(clean_text(item.title))
    item.title = title[:500]
    if item.sort_title or sort:
        item.sort_title = clean_text(item.sort_title or sort, 500)
    if not item.provider_id:
        raise RecordError(_("no identifier"))
    if not item.title:
        raise RecordError(_("no title"))
    if item.subtitle:
        item.subtitle = _display(clean_text(item.subtitle, 500))[0]
    if item.description:
        item.description = clean_description(item.description)[:20_000]
    item.cover_url = clean_url(item.cover_url)
    item.deep_link = clean_url(item.deep_link)
    item.isbn = clean_isbn(item.isbn)
    item.languages = [
        lang for lang in dict.fromkeys(language_of(x) for x in item.languages) if lang
    ]
    item.subjects = [s for s in dict.fromkeys(clean_text(x, 100) for x in item.subjects) if s][:30]
    contributors = []
    for c in item.contributors[:30]:
        name = c.get("name") if type(c) is dict else None
        if type(name) is str:
            name = clean_text(name, 200)
            if "&" in name:
                name = unescape_once(name)
            if name:
                contributors.append({"name": name, "role": clean_text(c.get("role"), 50)})
    item.contributors = contributors
    if item.year is not None and not 1000 <= item.year <= 2100:
        item.year = None
    item.source_payload = item.source_payload[:50_000]
    return item
