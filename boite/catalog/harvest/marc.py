"""MARC 21 and UNIMARC records, in ISO 2709 or MARCXML, read with pymarc.

UNIMARC is read by its own tags (200 title, 700/701/702 people, 010 ISBN, 330 summary,
856 link, 101 language, 210/214 date, 606 subjects); MARC 21 by its tags (245, 100/700,
020, 520, 856, 041/008, 260/264, 650). The flavour is the resource's option `flavour`
(`marc21` or `unimarc`), guessed from each record otherwise.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator

import pymarc
from django.utils.translation import gettext as _
from lxml import etree

from boite.catalog.harvest import charsets, xmlstream
from boite.catalog.harvest.base import (
    AUTHOR,
    CONTRIBUTOR,
    Format,
    Item,
    Options,
    Rejection,
    SourceError,
    audience_of,
    clean_isbn,
    kind_of,
    reason_of,
    role_of,
    validated,
    without_isbd,
    year_of,
)
from boite.catalog.harvest.sources import open_binary
from boite.catalog.models import Audience, RecordType

MARCXML_NS = "http://www.loc.gov/MARC21/slim"

# A damaged subfield code makes pymarc warn and go on: the record is still read, and
# what is unusable in it is rejected with a reason; the warning adds nothing.
warnings.filterwarnings("ignore", category=pymarc.exceptions.BadSubfieldCodeWarning)


class _Fields:
    """The fields of one record by tag, gathered once (pymarc's get_fields scans them all
    at each call, and a record is asked for about twenty tags)."""

    __slots__ = ("by_tag",)

    def __init__(self, record: pymarc.Record) -> None:
        self.by_tag: dict[str, list] = {}
        for field in record.fields:
            self.by_tag.setdefault(field.tag, []).append(field)

    def get(self, tag: str) -> list:
        return self.by_tag.get(tag, [])

    def first(self, tag: str, code: str) -> str:
        for field in self.by_tag.get(tag, ()):
            values = field.get_subfields(code)
            if values:
                return values[0].strip(" /:;,.") if code in "ab" else values[0].strip()
        return ""

    def all(self, tag: str, code: str) -> list[str]:
        return [v.strip(" .") for f in self.by_tag.get(tag, ()) for v in f.get_subfields(code)]

    def control(self, tag: str) -> str:
        fields = self.by_tag.get(tag)
        return (fields[0].data or "") if fields and fields[0].is_control_field() else ""


def is_unimarc(record: pymarc.Record) -> bool:
    return bool(record.get_fields("200")) and not record.get_fields("245")


def _control(record: pymarc.Record, tag: str) -> str:
    return _Fields(record).control(tag)


def _clean(values) -> list[str]:
    return [v for v in (without_isbd(x) for x in values) if v]


_COVER_WORDS = ("couverture", "cover", "vignette", "jaquette", "thumbnail", "imagette")
_IMAGE_PATH = re.compile(r"\.(?:jpe?g|png|gif|webp)(?:$|\?)", re.I)


def _covers_and_links(fields: _Fields) -> tuple[list[str], list[str]]:
    """856 fields: a cover only where the field says it is an image (its $q media type,
    a cover label in $3/$y/$z, or an image file); the others are links, the resource
    itself (second indicator 0, 1 or blank) before a related one (2)."""
    covers, links, related = [], [], []
    for f in fields.get("856"):
        urls = [u for u in f.get_subfields("u") if u.strip()]
        label = " ".join(f.get_subfields("3", "y", "z")).lower()
        media = " ".join(f.get_subfields("q")).lower()
        for url in urls:
            if (
                "image" in media
                or media.strip(". ") in ("jpg", "jpeg", "png", "gif")
                or any(w in label for w in _COVER_WORDS)
                or _IMAGE_PATH.search(url.strip())
            ):
                covers.append(url)
            elif f.indicator2 == "2":
                related.append(url)
            else:
                links.append(url)
    return covers, links + related


def _identifier(fields: _Fields, isbn: str, links: list[str]) -> str:
    """001, else the first system number (035 $a), else the ISBN, else the link."""
    return (
        fields.control("001").strip()
        or next(iter(_clean(fields.all("035", "a"))), "")
        or isbn
        or (links[0].strip() if links else "")
    )


def _year_of_100(fields: _Fields) -> int | None:
    data = fields.first("100", "a")
    return year_of(data[9:13]) if len(data) >= 13 else None


def unimarc_to_item(record: pymarc.Record) -> Item:
    fields = _Fields(record)
    people = []
    for tag, default_role in (
        ("700", AUTHOR), ("701", AUTHOR), ("702", CONTRIBUTOR),
        ("710", AUTHOR), ("711", AUTHOR), ("712", CONTRIBUTOR),
    ):  # fmt: skip
        for f in fields.get(tag):
            if tag.startswith("70"):
                name = " ".join(_clean([f.get("b") or "", f.get("a") or ""]))
            else:
                name = " ".join(_clean(f.get_subfields("a", "b")))
            people.append({"name": name, "role": role_of(f.get("4"), default_role)})
    leader = str(record.leader or "")
    kind = {
        "i": RecordType.AUDIOBOOK, "g": RecordType.FILM, "j": RecordType.MUSIC,
        "c": RecordType.MUSIC, "d": RecordType.MUSIC, "e": RecordType.OTHER,
        "f": RecordType.OTHER, "k": RecordType.OTHER, "r": RecordType.OTHER,
    }.get(leader[6:7], RecordType.EBOOK)  # fmt: skip
    if leader[7:8] == "s":
        serial = (fields.first("110", "a") or " ")[:1]
        kind = RecordType.NEWSPAPER if serial == "c" else RecordType.MAGAZINE
    audience = Audience.ALL
    code = (fields.first("100", "a") or "")[17:18]
    if code in ("a", "b", "c"):
        audience = Audience.YOUTH
    elif code == "d":
        audience = Audience.TEEN
    isbn = fields.first("010", "a")
    covers, links = _covers_and_links(fields)
    identifiers = {}
    if fields.first("011", "a"):
        identifiers["issn"] = fields.first("011", "a")
    ark = fields.control("003") or fields.control("009")
    if "ark:/" in ark:
        identifiers["ark"] = ark.strip()
    titles = _clean(fields.get("200")[0].get_subfields("a")) if fields.get("200") else []
    subtitles = _clean(fields.get("200")[0].get_subfields("e")) if fields.get("200") else []
    return Item(
        provider_id=_identifier(fields, clean_isbn(isbn), links),
        title=titles[0] if titles else "",
        subtitle=subtitles[0] if subtitles else "",
        contributors=people,
        description=fields.first("330", "a"),
        cover_url=covers[0] if covers else "",
        kind=kind,
        audience=audience,
        languages=_languages(fields.all("101", "a")),
        year=year_of(fields.first("210", "d") or fields.first("214", "d")) or _year_of_100(fields),
        subjects=_clean(fields.all("606", "a") + fields.all("610", "a") + fields.all("600", "a")),
        isbn=isbn,
        identifiers=identifiers,
        deep_link=links[0] if links else "",
    )


def _languages(codes: list[str]) -> list[str]:
    """Language codes, old records' run-together ones (« engfre ») split in threes."""
    out = []
    for code in codes:
        code = code.strip()
        if len(code) > 3 and len(code) % 3 == 0 and code.isalpha():
            out += [code[i : i + 3] for i in range(0, len(code), 3)]
        else:
            out.append(code)
    return out


def marc21_to_item(record: pymarc.Record) -> Item:
    fields = _Fields(record)
    people = []
    for tag in ("100", "110", "111", "700", "710", "711"):
        for f in fields.get(tag):
            default = AUTHOR if tag.startswith("1") else CONTRIBUTOR
            relators = [role_of(x, "") for x in f.get_subfields("4", "e")]
            relator = next((r for r in relators if r), "") or without_isbd(f.get("e")).lower()
            parts = [f.get("a") or ""] if tag in ("100", "700") else f.get_subfields("a", "b")
            name = " ".join(_clean(parts))
            people.append({"name": name, "role": relator or default})
    f008 = fields.control("008")
    languages = _languages(fields.all("041", "a")) or ([f008[35:38]] if len(f008) >= 38 else [])
    leader = str(record.leader or "")
    kind = {
        "g": RecordType.FILM, "i": RecordType.AUDIOBOOK, "j": RecordType.MUSIC,
        "c": RecordType.MUSIC, "d": RecordType.MUSIC, "r": RecordType.GAME,
        "e": RecordType.OTHER, "f": RecordType.OTHER, "k": RecordType.OTHER,
        "m": RecordType.OTHER,
    }.get(leader[6:7], RecordType.EBOOK)  # fmt: skip
    if leader[7:8] == "s":
        kind = RecordType.NEWSPAPER if f008[21:22] == "n" else RecordType.MAGAZINE
    elif leader[6:7] not in ("a", "t") and fields.get("655"):
        # A genre term refines a film or a recording; it never makes a book a film.
        kind = kind_of(fields.first("655", "a"), kind)
    audience = Audience.ALL
    if len(f008) > 22 and f008[22] in "abcj":
        audience = Audience.YOUTH
    elif len(f008) > 22 and f008[22] == "d":
        audience = Audience.TEEN
    audience = audience_of(fields.first("521", "a"), audience)
    covers, links = _covers_and_links(fields)
    isbn = fields.first("020", "a").split(" ")[0]
    title_field = fields.get("245")[0] if fields.get("245") else None
    titles = _clean(title_field.get_subfields("a")) if title_field else []
    title = titles[0] if titles else ""
    sort_title = ""
    skip = title_field.indicator2 if title_field is not None else ""
    if title and skip and skip.isdigit() and 0 < int(skip) < len(title):
        sort_title = title[int(skip) :]
    identifiers = {}
    for key, tag in (("issn", "022"), ("lccn", "010")):
        value = without_isbd(fields.first(tag, "a"))
        if value:
            identifiers[key] = value
    return Item(
        provider_id=_identifier(fields, clean_isbn(isbn), links),
        title=title,
        subtitle=without_isbd(fields.first("245", "b")),
        contributors=people,
        description=fields.first("520", "a"),
        cover_url=covers[0] if covers else "",
        kind=kind,
        audience=audience,
        languages=languages,
        year=year_of(fields.first("264", "c") or fields.first("260", "c") or f008[7:11]),
        subjects=_clean(fields.all("650", "a") + fields.all("655", "a")),
        isbn=isbn,
        identifiers=identifiers,
        deep_link=links[0] if links else "",
        sort_title=sort_title,
    )


def record_to_item(record: pymarc.Record, flavour: str = "") -> Item:
    unimarc = flavour == "unimarc" or (flavour != "marc21" and is_unimarc(record))
    item = unimarc_to_item(record) if unimarc else marc21_to_item(record)
    if unimarc:
        # BnF's conversions left a spacing cedilla where the record had quotation marks.
        item.title, item.subtitle, item.description = (
            x.replace("\xb8", '"') for x in (item.title, item.subtitle, item.description)
        )
    # The record in MARC's line format (=245  10$aTitre…): readable, and cheap to write.
    item.source_payload = str(record)
    return validated(item)


_TERMINATOR = b"\x1d"
_FILLER = b" \t\r\n\x00\x1a"  # between records: newlines, NUL padding, DOS end of file


def split_records(stream, chunk_size: int = 1 << 20) -> Iterator[bytes]:
    """The records of an ISO 2709 stream, cut at each record terminator (0x1D) whatever
    their leaders say: a wrong record length costs that record only. What lies between
    records (newlines, NUL filler) is not a record."""
    rest = b""
    while True:
        chunk = stream.read(chunk_size)
        if not chunk:
            break
        rest += chunk
        pieces = rest.split(_TERMINATOR)
        rest = pieces.pop()
        for piece in pieces:
            piece = piece.lstrip(_FILLER)
            if piece:
                yield piece
    rest = rest.strip(_FILLER)
    if rest:
        yield rest  # the last record, without its terminator: read it if it holds up


class _Damaged(ValueError):
    pass


def _leader_of(raw: bytes) -> str:
    leader = raw[:24].decode("ascii", "replace").replace("^", " ")
    if len(leader) < 24 or not leader[:5].isdigit() or leader[20:22] != "45":
        raise _Damaged(_("damaged leader (%(leader)s)") % {"leader": leader[:24]})
    return leader


def _fields_of(raw: bytes) -> list[tuple[str, bytes]]:
    """(tag, bytes) of each field, paired with the directory in order. The directory's
    lengths and offsets are used only when the field terminators do not match it (some
    systems count characters there, not bytes)."""
    end = raw.find(b"\x1e", 24)
    if end < 0:
        raise _Damaged(_("no end of directory"))
    directory = raw[24:end]
    if len(directory) % 12 or not directory:
        raise _Damaged(_("damaged directory"))
    entries = [directory[i : i + 12] for i in range(0, len(directory), 12)]
    data = raw[end + 1 :]
    pieces = data.split(b"\x1e")
    if pieces and not pieces[-1]:
        pieces.pop()
    if len(pieces) == len(entries):
        return [(e[:3].decode("ascii", "replace"), p) for e, p in zip(entries, pieces, strict=True)]
    fields = []
    for entry in entries:
        if not entry[3:12].isdigit():
            raise _Damaged(_("damaged directory"))
        length, offset = int(entry[3:7]), int(entry[7:12])
        if offset + length > len(data) + 1:
            raise _Damaged(_("the directory points past the end of the record"))
        fields.append((entry[:3].decode("ascii", "replace"), data[offset : offset + length - 1]))
    return fields


def _declared(leader: str, fields: list[tuple[str, bytes]], unimarc: bool) -> str:
    if unimarc:
        for tag, value in fields:
            if tag == "100":
                for sub in value.split(b"\x1f")[1:]:
                    if sub[:1] == b"a":
                        return charsets.unimarc_declared(sub[1:])
        return ""
    return {"a": charsets.UTF8, " ": charsets.MARC8}.get(leader[9], "")


def _texts_of(fields: list[tuple[str, bytes]], declared: str) -> tuple[list[str], list[str]]:
    """Each field's text (subfield delimiters kept), and the warnings counted. Most
    records are UTF-8 as they say, or plain ASCII: one decode per field. The others go
    through `charsets.choose`, which looks at the bytes."""
    values = [value for _tag, value in fields]
    if declared == charsets.UTF8 or declared == "":
        try:
            texts = [value.decode("utf-8") for value in values]
        except UnicodeDecodeError:
            texts = None
        if texts is not None and (declared == charsets.UTF8 or all(map(str.isascii, texts))):
            return texts, []
    elif all(map(bytes.isascii, values)) and not any(b"\x1b" in v for v in values):
        return [value.decode("ascii") for value in values], []
    decode, warning = charsets.choose(declared, b"".join(values))
    if decode is charsets.utf8_decoder or decode is charsets._ascii:
        return [value.decode("utf-8") for value in values], [warning] if warning else []
    texts = []
    for value in values:
        parts = value.split(b"\x1f")
        texts.append(
            "\x1f".join(
                [parts[0].decode("latin-1")]
                + [p[:1].decode("latin-1") + decode(p[1:]) for p in parts[1:]]
            )
        )
    return texts, [warning] if warning else []


def decode_record(raw: bytes, flavour: str = "") -> tuple[pymarc.Record, list[str]]:
    """One ISO 2709 record as a pymarc Record, decoded with the character set its bytes
    are in; the warnings (kinds) that the decoding counted."""
    leader = _leader_of(raw)
    fields = _fields_of(raw)
    tags = {tag for tag, _value in fields}
    unimarc = flavour == "unimarc" or (flavour != "marc21" and "200" in tags and "245" not in tags)
    texts, warnings_ = _texts_of(fields, _declared(leader, fields, unimarc))
    # UTF-8 encoded twice (« Ã© »): looked for once in the whole record, repaired per value.
    repair = not raw.isascii() and charsets.looks_double_encoded("".join(texts))
    if repair:
        warnings_.append(charsets.DOUBLE_ENCODED)
    record = pymarc.Record(leader=pymarc.Leader(leader))
    add, Field, Subfield = record.fields.append, pymarc.Field, pymarc.Subfield
    for (tag, _value), text in zip(fields, texts, strict=True):
        if tag < "010" and tag.isdigit():
            add(Field(tag=tag, data=text))
            continue
        parts = text.split("\x1f")
        indicators = parts[0]
        subfields = []
        for part in parts[1:]:
            if part:
                value = part[1:]
                if repair:
                    value = charsets.undo_double_utf8(value)[0]
                subfields.append(Subfield(part[0], value))
        add(
            Field(
                tag=tag,
                indicators=pymarc.Indicators(indicators[:1] or " ", indicators[1:2] or " "),
                subfields=subfields,
            )
        )
    declared_length = int(leader[:5])
    if declared_length not in (len(raw) + 1, len(raw)):
        warnings_.append(LENGTH_WRONG)
    return record, warnings_


LENGTH_WRONG = "leader-length-wrong"


def read_iso2709(stream, flavour: str = "") -> Iterator[Item | Rejection]:
    position = good = 0
    for raw in split_records(stream):
        position += 1
        try:
            record, notes = decode_record(raw, flavour)
        except (_Damaged, ValueError, UnicodeError) as error:
            if position == 1 and not raw[:5].isdigit():
                raise SourceError(_("this is not an ISO 2709 MARC file")) from None
            reason = str(error) if isinstance(error, _Damaged) else reason_of(error)
            yield Rejection(
                position,
                _("unreadable record: %(error)s") % {"error": reason},
                excerpt=raw[:300].decode("utf-8", "replace").replace("\ufffd", "?"),
            )
            continue
        try:
            item = record_to_item(record, flavour)
        except (ValueError, UnicodeError, KeyError, IndexError) as error:
            yield Rejection(position, reason_of(error), _control(record, "001"), str(record)[:500])
            continue
        item.warnings = notes + item.warnings
        good += 1
        yield item
    if position == 0:
        raise SourceError(_("empty MARC file"))


# MARCXML (slim, in its namespace, in another, or in none) and the short names of
# « UnimarcSlim » (<rec> <lab> <cf t> <df t i1 i2> <sf c>).
_LEADER, _CONTROL, _DATA, _SUB = (
    ("leader", "lab"),
    ("controlfield", "cf"),
    ("datafield", "df"),
    (
        "subfield",
        "sf",
    ),
)
_RECORD_NAMES = ("record", "rec")


def _local(element) -> str:
    tag = element.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def is_marc_record(element) -> bool:
    """A <record> that holds MARC fields (not an OAI-PMH envelope's <record>)."""
    return any(_local(child) in ("leader", "lab", "controlfield", "cf", "datafield", "df")
               for child in element)  # fmt: skip


def _fix(text: str | None, notes: list[str]) -> str:
    value = text or ""
    if not value.isascii():
        value, repaired = charsets.undo_double_utf8(value)
        if repaired and charsets.DOUBLE_ENCODED not in notes:
            notes.append(charsets.DOUBLE_ENCODED)
    return value


def _xml_to_record(element, notes: list[str] | None = None) -> pymarc.Record:
    notes = [] if notes is None else notes
    record = pymarc.Record(leader=" " * 24)
    for child in element:
        name = _local(child)
        if name in _LEADER:
            record.leader = pymarc.Leader((child.text or "").replace("^", " ").ljust(24)[:24])
        elif name in _CONTROL:
            tag = child.get("tag") or child.get("t") or ""
            record.add_field(pymarc.Field(tag=tag, data=_fix(child.text, notes)))
        elif name in _DATA:
            subfields = [
                pymarc.Subfield(code=s.get("code") or s.get("c") or "", value=_fix(s.text, notes))
                for s in child
                if _local(s) in _SUB
            ]
            ind1 = child.get("ind1", child.get("i1")) or " "
            ind2 = child.get("ind2", child.get("i2")) or " "
            record.add_field(
                pymarc.Field(
                    tag=child.get("tag") or child.get("t") or "",
                    indicators=pymarc.Indicators(ind1[:1] or " ", ind2[:1] or " "),
                    subfields=subfields,
                )
            )
    return record


def marcxml_records(elements, flavour: str = "", start: int = 0) -> Iterator[Item | Rejection]:
    """Items from MARCXML <record> elements (also used by OAI-PMH)."""
    for position, element in enumerate(elements, start + 1):
        try:
            notes: list[str] = []
            item = record_to_item(_xml_to_record(element, notes), flavour)
            item.warnings = notes + item.warnings
            yield item
        except (ValueError, KeyError, IndexError) as error:
            yield Rejection(
                position,
                reason_of(error),
                excerpt=etree.tostring(element, encoding="unicode")[:500],
            )


def find_marc_record(element):
    """The MARC record inside an OAI-PMH <metadata>, whatever its namespace or prefix."""
    for candidate in element.iter():
        if _local(candidate) in _RECORD_NAMES and is_marc_record(candidate):
            return candidate
    return None


def read_marcxml(stream, flavour: str = "") -> Iterator[Item | Rejection]:
    position = 0
    cleaned = xmlstream.Cleaned(stream)
    try:
        for _event, element in etree.iterparse(
            cleaned,
            events=("end",),
            encoding=cleaned.encoding,
            tag=("{*}record", "record", "{*}rec", "rec"),
            huge_tree=True,
            resolve_entities=False,
            no_network=True,
        ):
            if not is_marc_record(element):
                continue  # an OAI-PMH envelope's <record>, around the MARC one
            position += 1
            yield from marcxml_records([element], flavour, position - 1)
            element.clear(keep_tail=False)
            parent = element.getparent()
            if parent is not None:
                while element.getprevious() is not None:
                    del parent[0]
    except etree.XMLSyntaxError as error:
        raise SourceError(_("malformed XML: %(error)s") % {"error": error}) from None
    if position == 0:
        raise SourceError(_("no MARCXML <record> in this source"))


class Marc(Format):
    name = "marc"
    label = "MARC 21 / UNIMARC (ISO 2709, MARCXML)"

    def read(self, source: str, options: Options):
        flavour = options.options.get("flavour", "")
        with open_binary(source, options) as stream:
            head = stream.read(512)
            stream.seek(0)
            if head.lstrip(b"\xef\xbb\xbf \r\n\t").startswith(b"<"):
                yield from read_marcxml(stream, flavour)
            else:
                yield from read_iso2709(stream, flavour)
