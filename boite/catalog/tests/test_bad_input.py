"""Bad input: every parser answers with records, rejections or a clear SourceError —
never another exception — and hypothesis throws arbitrary input at each of them."""

import io
import json
from pathlib import Path

import pytest
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from boite.catalog.harvest import csvfile, get_format, jsonfeed, marc, onix, opds
from boite.catalog.harvest.base import Deletion, Item, Rejection, SourceError
from boite.catalog.harvest.oai import dc_to_item

FIXTURES = Path(__file__).parent.parent / "fixtures"
FOUND = (Item, Deletion, Rejection)


def iso2709(leader9: bytes, fields: list[tuple[bytes, bytes]]) -> bytes:
    """A MARC record written by hand, so that its bytes are exactly what a test needs."""
    directory, data, offset = b"", b"", 0
    for tag, body in fields:
        chunk = body + b"\x1e"
        directory += tag + b"%04d%05d" % (len(chunk), offset)
        data += chunk
        offset += len(chunk)
    base = 24 + len(directory) + 1
    length = base + len(data) + 1
    leader = b"%05dnam %s22%05d   4500" % (length, leader9, base)
    return leader + directory + b"\x1e" + data + b"\x1d"


def _all(generator) -> list:
    return list(generator)


def test_marc8_record_is_converted_to_unicode():
    record = iso2709(b" ", [(b"001", b"m8-1"), (b"245", b"10\x1faLes Mis\xe2erables")])
    (item,) = _all(marc.read_iso2709(io.BytesIO(record)))
    assert item.title == "Les Misérables"


def test_truncated_iso2709_keeps_the_good_records_and_rejects_the_rest():
    data = (FIXTURES / "ma-petite-mediatheque.unimarc.mrc").read_bytes()
    cut = data[: len(data) - 200]
    found = _all(marc.read_iso2709(io.BytesIO(cut)))
    items = [f for f in found if isinstance(f, Item)]
    rejections = [f for f in found if isinstance(f, Rejection)]
    assert 0 < len(items) < 6
    assert len(rejections) == 1
    assert rejections[0].reason.startswith(("notice tronquée : ", "notice illisible : "))


def test_not_marc_at_all_is_a_source_error():
    with pytest.raises(SourceError):
        _all(marc.read_iso2709(io.BytesIO(b"Bonjour, ceci n'est pas une notice.")))


def test_malformed_marcxml_is_a_source_error():
    data = (FIXTURES / "philharmonie.marcxml.xml").read_bytes()
    with pytest.raises(SourceError, match=r"^XML mal formé : "):
        _all(marc.read_marcxml(io.BytesIO(data[:-300] + b"<oops")))


def test_malformed_onix_is_a_source_error():
    with pytest.raises(SourceError, match=r"^XML mal formé : "):
        _all(onix.read_products(io.BytesIO(b"<ONIXMessage><Product><RecordReference>1")))


def test_onix_without_products_is_a_source_error():
    with pytest.raises(SourceError):
        _all(onix.read_products(io.BytesIO(b"<html><body>Maintenance</body></html>")))


def test_onix_product_without_title_is_rejected_not_fatal():
    xml = (
        b'<ONIXMessage xmlns="http://ns.editeur.org/onix/3.0/reference">'
        b"<Product><RecordReference>a</RecordReference></Product>"
        b"<Product><RecordReference>b</RecordReference><DescriptiveDetail><TitleDetail>"
        b"<TitleType>01</TitleType><TitleElement><TitleText>Bon</TitleText></TitleElement>"
        b"</TitleDetail></DescriptiveDetail></Product></ONIXMessage>"
    )
    first, second = _all(onix.read_products(io.BytesIO(xml)))
    assert isinstance(first, Rejection) and first.reason == "sans titre"
    assert second.title == "Bon"


def test_onix_external_entities_are_not_resolved(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET")
    xml = (
        f'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file://{secret}">]>'
        "<ONIXMessage><Product><RecordReference>1</RecordReference><DescriptiveDetail>"
        "<TitleDetail><TitleType>01</TitleType><TitleElement><TitleText>&e;</TitleText>"
        "</TitleElement></TitleDetail></DescriptiveDetail></Product></ONIXMessage>"
    ).encode()
    found = _all(onix.read_products(io.BytesIO(xml)))
    assert all("SECRET" not in getattr(f, "title", "") for f in found)


def test_latin1_csv_is_decoded():
    data = "id;titre\n1;Été à Cabourg\n2;Noël\n".encode("latin-1")
    titles = [i.title for i in _all(csvfile.read_rows(io.BytesIO(data), {}))]
    assert titles == ["Été à Cabourg", "Noël"]


def test_csv_with_missing_columns_is_a_source_error():
    with pytest.raises(SourceError, match=r"^colonnes manquantes : titre$"):
        _all(csvfile.read_rows(io.BytesIO(b"id;nom\n1;x\n"), {}))


def test_csv_line_with_too_many_cells_is_rejected():
    data = b"id;titre\n1;Bon\n2;Trop;de;cellules\n"
    found = _all(csvfile.read_rows(io.BytesIO(data), {}))
    assert isinstance(found[0], Item)
    assert found[1].reason == "plus de cellules que de colonnes"


def test_messages_follow_the_language_of_the_interface():
    with translation.override("en"), pytest.raises(SourceError, match=r"^missing columns: titre$"):
        _all(csvfile.read_rows(io.BytesIO(b"id;nom\n1;x\n"), {}))


def test_an_unexpected_error_in_one_record_is_a_translated_reason_with_its_detail():
    good, bad = _all(
        jsonfeed.read_entries([{"id": "1", "title": "Bon"}, {"id": "2", "directors": [1]}])
    )
    assert good.title == "Bon"
    assert bad.reason == "notice illisible : AttributeError: 'int' object has no attribute 'get'"


def test_unknown_format_is_a_source_error_naming_the_known_ones():
    with pytest.raises(SourceError, match=r"^format inconnu « zz » \(formats connus : oai, marc,"):
        get_format("zz")


def test_json_feed_that_is_not_a_list_is_a_source_error():
    with pytest.raises(SourceError):
        _all(jsonfeed.read_entries({"error": "maintenance"}))


def test_opds_that_is_not_a_feed_is_a_source_error():
    with pytest.raises(SourceError):
        opds.read_feed(["not", "a", "feed"], "", 0)


# -- hypothesis: arbitrary input never escapes as anything but SourceError ----------------

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _survives(generator_factory) -> list:
    try:
        found = list(generator_factory())
    except SourceError:
        return []
    assert all(isinstance(f, FOUND) for f in found)
    return found


# pytest resets the warning filters per test; harvest/marc.py silences this one in use.
_NO_SUBFIELD_WARNING = pytest.mark.filterwarnings(
    "ignore::pymarc.exceptions.BadSubfieldCodeWarning"
)


@_NO_SUBFIELD_WARNING
@FUZZ
@given(st.binary(max_size=2000))
def test_iso2709_parser_on_arbitrary_bytes(data):
    _survives(lambda: marc.read_iso2709(io.BytesIO(data)))


@_NO_SUBFIELD_WARNING
@FUZZ
@given(st.binary(max_size=400), st.integers(min_value=0, max_value=2700))
def test_iso2709_parser_on_damaged_fixture(noise, position):
    data = bytearray((FIXTURES / "ma-petite-mediatheque.unimarc.mrc").read_bytes())
    data[position : position + len(noise)] = noise
    _survives(lambda: marc.read_iso2709(io.BytesIO(bytes(data))))


@FUZZ
@given(st.binary(max_size=2000))
def test_marcxml_parser_on_arbitrary_bytes(data):
    _survives(lambda: marc.read_marcxml(io.BytesIO(data)))


_xml_text = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=60)


@FUZZ
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["RecordReference", "TitleText", "a001", "b203", "PersonName",
                             "IDValue", "Date", "Text", "NotificationType", "LanguageCode"]),
            _xml_text,
        ),
        max_size=12,
    )
)  # fmt: skip
def test_onix_parser_on_arbitrary_products(fields):
    from xml.sax.saxutils import escape

    inner = "".join(f"<{tag}>{escape(text)}</{tag}>" for tag, text in fields)
    detail = f"<DescriptiveDetail><TitleDetail><TitleElement>{inner}</TitleElement></TitleDetail>"
    xml = f"<ONIXMessage><Product>{inner}{detail}</DescriptiveDetail></Product></ONIXMessage>"
    found = _survives(lambda: onix.read_products(io.BytesIO(xml.encode())))
    assert len(found) == 1


@FUZZ
@given(st.binary(max_size=2000))
def test_onix_parser_on_arbitrary_bytes(data):
    _survives(lambda: onix.read_products(io.BytesIO(data)))


@FUZZ
@given(
    st.binary(max_size=2000),
    st.fixed_dictionaries(
        {},
        optional={
            "delimiter": st.sampled_from([";", ",", "\t"]),
            "encoding": st.sampled_from(["utf-8", "cp1252"]),
        },
    ),
)
def test_csv_parser_on_arbitrary_bytes(data, options):
    _survives(lambda: csvfile.read_rows(io.BytesIO(b"id;titre\n" + data), options))


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
_entry = st.dictionaries(
    st.sampled_from(["id", "title", "description", "productionYear", "posterUrl", "url",
                     "duration", "directors", "actors", "genres", "targetAudiences", "type",
                     "languages", "availabilityStartDate"]),
    _json,
)  # fmt: skip


@FUZZ
@given(st.lists(_entry | _json, max_size=6))
def test_json_feed_parser_on_arbitrary_entries(entries):
    _survives(lambda: jsonfeed.read_entries(entries))


@FUZZ
@given(
    st.dictionaries(
        st.sampled_from(["publications", "links", "metadata"]),
        st.lists(st.fixed_dictionaries({}, optional={"metadata": _json, "links": _json,
                                                      "images": _json}) | _json, max_size=4),
    )
)  # fmt: skip
def test_opds_parser_on_arbitrary_feeds(feed):
    _survives(lambda: opds.read_feed(feed, "https://example.org/", 0)[0])


@FUZZ
@given(st.dictionaries(st.sampled_from(["title", "creator", "identifier", "date", "type",
                                        "language", "subject", "relation", "description"]),
                       st.lists(st.text(max_size=40), max_size=3)),
       st.text(max_size=30))  # fmt: skip
def test_oai_dc_mapping_on_arbitrary_metadata(metadata, identifier):
    from boite.catalog.harvest.base import validated

    try:
        item = validated(dc_to_item(identifier, metadata, json.dumps(metadata)))
    except ValueError:
        return
    assert item.provider_id and item.title
