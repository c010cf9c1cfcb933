"""MARC 21 and UNIMARC records, in ISO 2709 or MARCXML, read with pymarc.

UNIMARC is read by its own tags (200 title, 700/701/702 people, 010 ISBN, 330 summary,
856 link, 101 language, 210/214 date, 606 subjects); MARC 21 by its tags (245, 100/700,
020, 520, 856, 041/008, 260/264, 650). The flavour is the resource's option `flavour`
(`marc21` or `unimarc`), guessed from each record otherwise.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pymarc
from django.utils.translation import gettext as _
from lxml import etree

from boite.catalog.harvest.base import (
    Format,
    Item,
    Options,
    Rejection,
    SourceError,
    audience_of,
    kind_of,
    reason_of,
    validated,
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


def unimarc_to_item(record: pymarc.Record) -> Item:
    fields = _Fields(record)
    people = []
    for tag, default_role in (("700", "auteur"), ("701", "auteur"), ("702", "contributeur")):
        for f in fields.get(tag):
            name = " ".join(x for x in (f.get("b"), f.get("a")) if x).strip()
            people.append({"name": name, "role": default_role})
    kind = RecordType.EBOOK
    leader_type = str(record.leader)[6:7] if record.leader else ""
    if leader_type == "i":
        kind = RecordType.AUDIOBOOK
    elif leader_type == "g":
        kind = RecordType.FILM
    elif leader_type == "j":
        kind = RecordType.MUSIC
    elif str(record.leader)[7:8] == "s":
        kind = RecordType.MAGAZINE
    audience = Audience.ALL
    code = (fields.first("100", "a") or "")[17:18]
    if code in ("a", "b", "c"):
        audience = Audience.YOUTH
    elif code == "d":
        audience = Audience.TEEN
    return Item(
        provider_id=fields.control("001"),
        title=fields.first("200", "a"),
        subtitle=fields.first("200", "e"),
        contributors=people,
        description=fields.first("330", "a"),
        cover_url="",
        kind=kind,
        audience=audience,
        languages=fields.all("101", "a"),
        year=year_of(fields.first("214", "d") or fields.first("210", "d")),
        subjects=fields.all("606", "a") + fields.all("610", "a"),
        isbn=fields.first("010", "a"),
        deep_link=fields.first("856", "u"),
    )


def marc21_to_item(record: pymarc.Record) -> Item:
    fields = _Fields(record)
    people = []
    for tag in ("100", "110", "700", "710"):
        for f in fields.get(tag):
            role = (f.get("e") or ("auteur" if tag in ("100", "110") else "")).strip(" .,")
            people.append({"name": (f.get("a") or "").strip(" ,."), "role": role})
    f008 = fields.control("008")
    languages = fields.all("041", "a") or ([f008[35:38]] if len(f008) >= 38 else [])
    leader = str(record.leader or "")
    kind = {
        "g": RecordType.FILM,
        "i": RecordType.AUDIOBOOK,
        "j": RecordType.MUSIC,
        "r": RecordType.GAME,
    }.get(leader[6:7], RecordType.EBOOK)
    if leader[7:8] == "s":
        kind = RecordType.MAGAZINE
    kind = kind_of(fields.first("655", "a"), kind) if fields.get("655") else kind
    audience = Audience.ALL
    if len(f008) > 22 and f008[22] in "abcj":
        audience = Audience.YOUTH
    elif len(f008) > 22 and f008[22] == "d":
        audience = Audience.TEEN
    audience = audience_of(fields.first("521", "a"), audience)
    covers = [u for f in fields.get("856") if f.indicator2 == "2" for u in f.get_subfields("u")]
    links = [u for f in fields.get("856") if f.indicator2 != "2" for u in f.get_subfields("u")]
    return Item(
        provider_id=fields.control("001"),
        title=fields.first("245", "a"),
        subtitle=fields.first("245", "b"),
        contributors=people,
        description=fields.first("520", "a"),
        cover_url=covers[0] if covers else "",
        kind=kind,
        audience=audience,
        languages=languages,
        year=year_of(fields.first("264", "c") or fields.first("260", "c") or f008[7:11]),
        subjects=fields.all("650", "a") + fields.all("655", "a"),
        isbn=fields.first("020", "a").split(" ")[0],
        deep_link=links[0] if links else "",
    )


def record_to_item(record: pymarc.Record, flavour: str = "") -> Item:
    unimarc = flavour == "unimarc" or (flavour != "marc21" and is_unimarc(record))
    item = unimarc_to_item(record) if unimarc else marc21_to_item(record)
    # The record in MARC's line format (=245  10$aTitre…): readable, and cheap to write.
    item.source_payload = str(record)
    return validated(item)


def read_iso2709(stream, flavour: str = "") -> Iterator[Item | Rejection]:
    reader = pymarc.MARCReader(stream, to_unicode=True, force_utf8=False, utf8_handling="replace")
    position = 0
    good = 0
    for record in reader:
        position += 1
        if record is None:
            error = reader.current_exception
            chunk = reader.current_chunk or b""
            if isinstance(
                error, pymarc.exceptions.TruncatedRecord | pymarc.exceptions.EndOfRecordNotFound
            ) and (position > 1 or not chunk):
                yield Rejection(
                    position,
                    _("truncated record: %(error)s") % {"error": error},
                    excerpt=chunk[:300].decode("latin-1"),
                )
                break
            if (
                position == 1
                and good == 0
                and isinstance(error, pymarc.exceptions.RecordLengthInvalid)
            ):
                raise SourceError(_("this is not an ISO 2709 MARC file"))
            yield Rejection(
                position,
                _("unreadable record: %(error)s") % {"error": error},
                excerpt=chunk[:300].decode("latin-1"),
            )
            continue
        try:
            item = record_to_item(record, flavour)
        except (ValueError, UnicodeError, KeyError, IndexError) as error:
            yield Rejection(position, reason_of(error), _control(record, "001"), str(record)[:500])
            continue
        good += 1
        yield item
    if position == 0:
        raise SourceError(_("empty MARC file"))


def _xml_to_record(element) -> pymarc.Record:
    record = pymarc.Record(leader=" " * 24)
    for child in element:
        if not isinstance(child.tag, str):
            continue
        name = etree.QName(child).localname
        if name == "leader":
            record.leader = pymarc.Leader((child.text or "").ljust(24)[:24])
        elif name == "controlfield":
            record.add_field(pymarc.Field(tag=child.get("tag", ""), data=child.text or ""))
        elif name == "datafield":
            subfields = [
                pymarc.Subfield(code=s.get("code", ""), value=s.text or "")
                for s in child
                if isinstance(s.tag, str) and etree.QName(s).localname == "subfield"
            ]
            record.add_field(
                pymarc.Field(
                    tag=child.get("tag", ""),
                    indicators=pymarc.Indicators(
                        (child.get("ind1") or " ")[:1] or " ", (child.get("ind2") or " ")[:1] or " "
                    ),
                    subfields=subfields,
                )
            )
    return record


def marcxml_records(elements, flavour: str = "", start: int = 0) -> Iterator[Item | Rejection]:
    """Items from MARCXML <record> elements (also used by OAI-PMH)."""
    for position, element in enumerate(elements, start + 1):
        try:
            yield record_to_item(_xml_to_record(element), flavour)
        except (ValueError, KeyError, IndexError) as error:
            yield Rejection(
                position,
                reason_of(error),
                excerpt=etree.tostring(element, encoding="unicode")[:500],
            )


def read_marcxml(stream, flavour: str = "") -> Iterator[Item | Rejection]:
    position = 0
    try:
        for _event, element in etree.iterparse(
            stream,
            events=("end",),
            tag=f"{{{MARCXML_NS}}}record",
            huge_tree=True,
            resolve_entities=False,
            no_network=True,
        ):
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
