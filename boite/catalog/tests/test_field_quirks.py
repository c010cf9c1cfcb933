"""Each quirk of real catalogue files, reproduced by a small fixture written here (the
real files are in the field corpus, run by `make conformance`)."""

from __future__ import annotations

import io
import json
from types import SimpleNamespace

import pytest

from boite.catalog.harvest import charsets
from boite.catalog.harvest.base import (
    Item,
    Rejection,
    clean_description,
    clean_url,
    language_of,
    role_of,
    split_non_sort,
    without_isbd,
)
from boite.catalog.harvest.marc import read_iso2709, read_marcxml
from boite.catalog.harvest.oai import _Pages, choose_prefix, dc_kind
from boite.catalog.harvest.onix import read_products
from boite.catalog.harvest.opds import publication_to_item, read_atom
from boite.catalog.harvest.runner import harvest
from boite.catalog.models import HarvestRun, Record

SF, FT, RT = b"\x1f", b"\x1e", b"\x1d"


def iso2709(fields: list[tuple[str, bytes]], leader9: str = " ", kind: str = "am") -> bytes:
    """One ISO 2709 record from (tag, raw bytes of the field) pairs."""
    directory, data = b"", b""
    for tag, value in fields:
        body = value + FT
        directory += tag.encode() + b"%04d%05d" % (len(body), len(data))
        data += body
    base = 24 + len(directory) + 1
    length = base + len(data) + 1
    leader = f"{length:05d}n{kind} {leader9}22{base:05d}   4500".encode()
    return leader + directory + FT + data + RT


def unimarc(title: bytes, charset: bytes, names: bytes = b"") -> bytes:
    f100 = b"  " + SF + b"a" + b"20250101d2025    u  y0frey" + charset + b"    ba"
    fields = [("001", b"um-1"), ("100", f100), ("200", b"1 " + SF + b"a" + title)]
    if names:
        fields.append(("700", b" 1" + names))
    return iso2709(fields)


def marc21(title: bytes, leader9: str, ident: str = "m-1") -> bytes:
    return iso2709([("001", ident.encode()), ("245", b"10" + SF + b"a" + title)], leader9)


def _read(data: bytes, flavour: str = "") -> list:
    return list(read_iso2709(io.BytesIO(data), flavour))


# -- character sets ---------------------------------------------------------------------


def test_unimarc_declares_utf8_in_100_not_in_the_leader():
    [item] = _read(unimarc("Harry Potter et l'ordre du Phénix".encode(), b"50"))
    assert item.title == "Harry Potter et l'ordre du Phénix"
    assert item.warnings == []


def test_unimarc_utf8_bytes_under_an_iso5426_declaration_are_read_as_utf8_and_flagged():
    [item] = _read(unimarc("Jean-François Ménard".encode(), b"0103"))
    assert item.title == "Jean-François Ménard"
    assert item.warnings == [charsets.DECLARED_WRONG]


def test_unimarc_iso5426_bytes_are_decoded_with_their_table():
    # ISO 5426 writes the diacritic before its letter: 0xC2 acute, 0xD0 cedilla.
    [item] = _read(unimarc(b"Ph\xc2enix et Fran\xd0cois \xe8odz", b"0103"))
    assert item.title == "Phénix et François Łodz"
    assert item.warnings == []


def test_marc21_marc8_bytes_under_a_utf8_flag():
    [item] = _read(marc21(b"Orgueil et pr\xe2ejug\xe2e", "a"))
    assert item.title == "Orgueil et préjugé"
    assert item.warnings == [charsets.DECLARED_WRONG]


def test_marc21_utf8_bytes_under_a_marc8_flag():
    [item] = _read(marc21("Orgueil et préjugé".encode(), " "))
    assert item.title == "Orgueil et préjugé"
    assert item.warnings == [charsets.DECLARED_WRONG]


def test_double_encoded_utf8_is_repaired_once():
    twice = "Orgueil et préjugé".encode().decode("cp1252").encode()
    [item] = _read(marc21(twice, "a"))
    assert item.title == "Orgueil et préjugé"
    assert item.warnings == [charsets.DOUBLE_ENCODED]


def test_undeclared_dos_cyrillic_is_guessed():
    [item] = _read(marc21("Война и мир".encode("cp866"), "z"))
    assert item.title == "Война и мир"
    assert item.warnings == [charsets.GUESSED]


def test_bad_bytes_in_utf8_never_become_replacement_characters():
    [item] = _read(marc21("Pâté ".encode() + b"\xff" + " à la crème".encode(), "a"))
    assert "\ufffd" not in item.title and item.title.startswith("Pâté")
    assert item.warnings == [charsets.FALLBACK]


# -- framing ----------------------------------------------------------------------------


def test_a_wrong_record_length_costs_that_record_only():
    good = marc21(b"Premier", "a", "r1")
    wrong = b"99999" + marc21(b"Deuxieme", "a", "r2")[5:]
    damaged = b"0004x" + b"garbage without a leader" + RT
    last = marc21(b"Dernier", "a", "r4")
    found = _read(good + b"\r\n" + wrong + b"\x00\x00" + damaged + b"\n" + last + b"\n\x00\n")
    assert [type(x).__name__ for x in found] == ["Item", "Item", "Rejection", "Item"]
    assert [x.provider_id for x in found if isinstance(x, Item)] == ["r1", "r2", "r4"]
    assert found[1].warnings == ["leader-length-wrong"]
    assert "label endommagé (0004x" in found[2].reason


# -- XML however it comes ------------------------------------------------------------------

_MARCXML = """<{p}record{ns}><{p}leader>00000nam  2200000 i 4500</{p}leader>
<{p}controlfield tag="001">x-1</{p}controlfield>
<{p}datafield tag="200" ind1="1" ind2=" ">
<{p}subfield code="a">&lt;&lt;Le &gt;&gt;Rouge</{p}subfield></{p}datafield>
<{p}datafield tag="700" ind1=" " ind2="1">
<{p}subfield code="a">Stendhal</{p}subfield></{p}datafield>
</{p}record>"""


@pytest.mark.parametrize(
    "document",
    [
        _MARCXML.format(p="", ns=""),
        "<collection>" + _MARCXML.format(p="", ns="") + "</collection>",
        _MARCXML.format(p="marc:", ns=' xmlns:marc="http://www.loc.gov/MARC21/slim"'),
        '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><ListRecords><record><header>'
        "<identifier>oai:x:1</identifier></header><metadata>"
        + _MARCXML.format(p="", ns=' xmlns="http://www.loc.gov/MARC21/slim"')
        + "</metadata></record></ListRecords></OAI-PMH>",
    ],
    ids=["no namespace", "collection", "prefix", "oai envelope"],
)
def test_marcxml_however_it_comes(document):
    [item] = list(read_marcxml(io.BytesIO(document.encode()), "unimarc"))
    assert (item.title, item.sort_title) == ("Le Rouge", "Rouge")


def test_isbd_punctuation_and_non_sort_markers():
    assert without_isbd(", Isaac") == "Isaac"
    assert without_isbd("Fondation /") == "Fondation"
    assert without_isbd("Asimov, Isaac.") == "Asimov, Isaac"
    assert without_isbd("John F.") == "John F."
    assert split_non_sort("<<The >>sweetest fig") == ("The sweetest fig", "sweetest fig")
    assert split_non_sort("\x98Lo \x9cStato") == ("Lo Stato", "Stato")
    names = SF + b"aAsimov" + SF + b"b, Isaac" + SF + b"4730"
    [item] = _read(unimarc(b"<<The >>sweetest fig", b"50", names))
    assert item.title == "The sweetest fig"
    assert item.contributors == [{"name": "Isaac Asimov", "role": "traducteur"}]


def test_covers_only_from_fields_that_designate_an_image():
    fields = [
        ("001", b"c-1"),
        ("245", b"10" + SF + b"aTitre"),
        ("856", b"42" + SF + b"uhttps://editeur.example/page.html"),
        ("856", b"40" + SF + b"uhttps://bib.example/notice/1"),
        ("856", b"42" + SF + b"qimage/jpeg" + SF + b"uhttps://img.example/c.php?id=1"),
    ]
    [item] = _read(iso2709(fields, "a"))
    assert item.cover_url == "https://img.example/c.php?id=1"
    assert item.deep_link == "https://bib.example/notice/1"
    assert clean_url(" https://img.example/\n  c.jpg ") == "https://img.example/c.jpg"
    assert clean_url("https://x.example/loan?token={authToken}") == ""


@pytest.mark.parametrize(
    ("value", "code"),
    [("en-US", "eng"), ("en_US", "eng"), ("fr-FR", "fre"), ("fra", "fre"), ("FR", "fre"),
     ("zh-Hant-TW", "chi"), ("deu", "ger"), ("français", "fre"), ("??", "")],
)  # fmt: skip
def test_languages_to_one_code(value, code):
    assert language_of(value) == code


def test_roles_of_each_format():
    assert role_of("trl") == role_of("730") == role_of("B06") == role_of("translator.")
    assert role_of("http://id.loc.gov/vocabulary/relators/edt") == "éditeur scientifique"
    assert role_of("E07") == role_of("nrr") == "narrateur"
    assert role_of("drt") == "réalisateur" and role_of("prf") == "interprète"
    assert role_of("zzz") == "contributeur"


def test_descriptions_sanitised_and_double_escaping_undone_once():
    html = '<P onclick="x()">Un <script>alert(1)</script><B>beau</B> livre</P><img src=x>'
    assert clean_description(html) == "<p>Un <b>beau</b> livre</p>"
    assert clean_description("&lt;h3&gt;Résumé&lt;/h3&gt;") == "<h3>Résumé</h3>"
    assert clean_description("Tom &amp; Jerry") == "Tom & Jerry"
    assert clean_description("Texte brut, sans balise") == "Texte brut, sans balise"


def test_dublin_core_types_in_french_and_english():
    assert dc_kind(["Text"]) == dc_kind(["texte imprimé"]) == "ebook"
    assert dc_kind(["MovingImage"]) == "film"
    assert dc_kind(["info:eu-repo/semantics/article"]) == "ebook"
    assert dc_kind(["Périodique"]) == "magazine"


# -- OPDS and ONIX -----------------------------------------------------------------------


def test_opds2_one_bad_contributor_drops_that_value_not_the_publication():
    publication = {
        "metadata": {
            "identifier": "urn:isbn:9782070000001",
            "title": "Le Grand Meaulnes",
            "author": [{"name": "Alain-Fournier"}, 42],
            "translator": "Frank Davison",
            "editor": {"name": {"fr": "Jean Dupont"}},
            "narrator": [{"name": "Marie Lu"}],
            "language": "fr-FR",
        },
        "links": [
            {"rel": "http://opds-spec.org/acquisition/borrow", "templated": True,
             "href": "https://d.example/loan{?authToken}"},
            {"rel": "http://opds-spec.org/image/thumbnail", "href": "https://d.example/t.jpg"},
        ],
    }  # fmt: skip
    item = publication_to_item(publication)
    assert [(c["name"], c["role"]) for c in item.contributors] == [
        ("Alain-Fournier", "auteur"),
        ("Frank Davison", "traducteur"),
        ("Jean Dupont", "éditeur scientifique"),
        ("Marie Lu", "narrateur"),
    ]
    assert item.deep_link == ""  # the template is not a link
    assert item.cover_url == "https://d.example/t.jpg"
    assert item.warnings == ["dropped-value", "templated-link"]


def test_opds1_atom_entry():
    feed = b"""<feed xmlns="http://www.w3.org/2005/Atom" xmlns:dc="http://purl.org/dc/terms/">
    <entry><title>Les Mis\xc3\xa9rables</title><id>urn:isbn:9782253096344</id>
    <author><name>Victor Hugo</name></author><dc:language>fr</dc:language>
    <dc:issued>1862</dc:issued>
    <link rel="http://opds-spec.org/image" href="/c/mis.jpg" type="image/jpeg"/>
    <link rel="http://opds-spec.org/acquisition" href="/e/mis.epub" type="application/epub+zip"/>
    </entry></feed>"""
    [item], next_url = read_atom(feed, "https://opds.example/cat", 0)
    assert (item.title, item.isbn, item.year, item.languages) == (
        "Les Misérables", "9782253096344", 1862, ["fre"],
    )  # fmt: skip
    assert item.cover_url == "https://opds.example/c/mis.jpg"
    assert item.deep_link == "https://opds.example/e/mis.epub"
    assert next_url == ""


def test_onix_names_in_parts_header_language_and_21_quirks():
    onix = (
        b'<?xml version="1.0"?><!DOCTYPE ONIXMessage SYSTEM "onix.dtd"><ONIXMessage>'
        b"<Header><DefaultLanguageOfText>fre</DefaultLanguageOfText></Header>"
        b"<Product><RecordReference>p1</RecordReference><NotificationType>03</NotificationType>"
        b"<Title><TitleType>01</TitleType><TitleText>Caf\xe9&ndash;th\xe9\x0b\xe2tre</TitleText></Title>"
        b"<Contributor><ContributorRole>B06</ContributorRole><NamesBeforeKey>Ana</NamesBeforeKey>"
        b"<KeyNames>Lima</KeyNames></Contributor>"
        b"<MediaFile><MediaFileTypeCode>04</MediaFileTypeCode><MediaFileLinkTypeCode>01"
        b"</MediaFileLinkTypeCode><MediaFileLink>https://c.example/p1.jpg</MediaFileLink></MediaFile>"
        b"</Product></ONIXMessage>"
    )
    [item] = list(read_products(io.BytesIO(onix)))
    assert item.title == "Café–théâtre"  # Windows-1252, DTD entity, control character
    assert item.contributors == [{"name": "Ana Lima", "role": "traducteur"}]
    assert item.languages == ["fre"]
    assert item.cover_url == "https://c.example/p1.jpg"
    assert item.warnings == [charsets.GUESSED]


# -- OAI-PMH as repositories answer -------------------------------------------------------


def test_marcxml_format_chosen_by_namespace_whatever_its_prefix():
    formats = [
        SimpleNamespace(metadataPrefix="oai_dc", schema="oai_dc.xsd", metadataNamespace=""),
        SimpleNamespace(
            metadataPrefix=" MARC21-xml ",
            schema="http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd",
            metadataNamespace="http://www.loc.gov/MARC21/slim",
        ),
    ]
    assert choose_prefix(formats) == "MARC21-xml"
    assert choose_prefix(formats[:1]) == "oai_dc"


def test_resumption_tokens_are_trimmed_and_an_empty_one_ends_the_list():
    from lxml import etree

    pages = _Pages.__new__(_Pages)
    pages.scythe = SimpleNamespace(oai_namespace="{http://www.openarchives.org/OAI/2.0/}")
    envelope = '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><ListRecords>{}</ListRecords></OAI-PMH>'
    pages.oai_response = SimpleNamespace(
        xml=etree.fromstring(envelope.format("<resumptionToken>\n\t\tpage-2\n\t</resumptionToken>"))
    )
    assert pages._get_resumption_token().token == "page-2"
    pages.oai_response = SimpleNamespace(
        xml=etree.fromstring(envelope.format('<resumptionToken completeListSize="3"/>'))
    )
    assert pages._get_resumption_token() is None


# -- honest run reports ---------------------------------------------------------------------


def test_duplicates_and_warnings_are_counted_with_their_identifiers(db, make_resource, tmp_path):
    source = tmp_path / "doublons.mrc"
    source.write_bytes(
        marc21(b"Un", "a", "d1")
        + marc21("Deux é".encode(), " ", "d2")
        + marc21(b"Un encore", "a", "d1")
    )
    run = harvest(make_resource(fmt="marc", source=source))
    assert run.status == HarvestRun.Status.SUCCEEDED, run.error
    assert (run.read, run.created, run.duplicates) == (3, 2, 1)
    assert run.duplicate_ids == ["d1"]
    assert Record.objects.get(provider_id="d1").title == "Un encore"
    assert run.details["warnings"] == {charsets.DECLARED_WRONG: 1}


def test_a_source_whose_records_are_all_rejected_fails_with_the_first_reasons(
    db, make_resource, tmp_path
):
    source = tmp_path / "sans-titres.mrc"
    source.write_bytes(b"".join(iso2709([("001", f"t{i}".encode())]) for i in range(3)))
    run = harvest(make_resource(fmt="marc", source=source))
    assert run.status == HarvestRun.Status.FAILED
    assert "3" in run.error and "sans titre" in run.error
    assert not Record.objects.exists()


def test_run_page_shows_duplicates_and_warnings(
    db, make_resource, tmp_path, client, admin_calvados
):
    source = tmp_path / "doublons.mrc"
    source.write_bytes(marc21(b"Un", "a", "d1") + marc21("Deux é".encode(), " ", "d1"))
    run = harvest(make_resource(fmt="marc", source=source))
    client.force_login(admin_calvados)
    page = client.get(run.get_absolute_url()).content.decode()
    assert "d1" in page and "Doublons fusionnés" in page
    assert "jeu de caractères déclaré faux" in page


def test_rejection_has_a_readable_excerpt():
    [found] = _read(b"00050nam a2200025 4500\x1e" + b"\xe9" * 10 + RT)
    assert isinstance(found, Rejection) and "\ufffd" not in found.excerpt
    assert json.dumps(found.reason)


# -- back-office edits reach the index at once ----------------------------------------------


def _admin_form(record) -> dict:
    from django.forms.models import model_to_dict

    data = {}
    for key, value in model_to_dict(record).items():
        if isinstance(value, list | dict):
            data[key] = json.dumps(value)
        elif isinstance(value, bool):
            if value:
                data[key] = "on"
        elif value is not None:
            data[key] = value
    return data


def _found(record_ids, text):
    from boite.catalog.search import SearchQuery, search

    return [h.record_id for h in search(SearchQuery(text=text, resource_ids=record_ids)).hits]


def test_admin_edit_and_withdrawal_update_search_at_once(
    db, make_resource, tmp_path, client, login, admin_calvados, django_capture_on_commit_callbacks
):
    source = tmp_path / "c.csv"
    source.write_text("id;titre\nc1;Les Marées de Granville\n", "utf-8")
    resource = make_resource(slug="marees", source=source)
    harvest(resource)
    record = Record.objects.get(provider_id="c1")
    assert _found([resource.pk], "granville") == [record.pk]
    login(client, admin_calvados)
    url = f"/admin/catalog/record/{record.pk}/change/"
    data = _admin_form(record) | {"title": "Les Falaises d'Étretat"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert _found([resource.pk], "granville") == []
    assert _found([resource.pk], "etretat") == [record.pk]
    data = _admin_form(Record.objects.get(pk=record.pk)) | {"withdrawn": "on"}
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, data).status_code == 302
    assert _found([resource.pk], "etretat") == []


def test_admin_of_another_network_cannot_edit_a_record(
    db, make_resource, tmp_path, client, login, admin_caen
):
    source = tmp_path / "c.csv"
    source.write_text("id;titre\nc1;Les Marées de Granville\n", "utf-8")
    resource = make_resource(slug="marees", source=source)
    harvest(resource)
    record = Record.objects.get(provider_id="c1")
    login(client, admin_caen)
    url = f"/admin/catalog/record/{record.pk}/change/"
    response = client.post(url, _admin_form(record) | {"title": "Piraté"})
    assert response.status_code in (302, 403, 404)
    assert Record.objects.get(pk=record.pk).title == "Les Marées de Granville"
    assert _found([resource.pk], "granville") == [record.pk]


@pytest.mark.parametrize(
    ("form", "kind"), [("AJ", "livre-audio"), ("VI", "film"), ("JB", "magazine"), ("BC", "ebook")]
)
def test_onix_product_form_gives_the_type(form, kind):
    onix = (
        "<ONIXMessage><Product><RecordReference>p</RecordReference><ProductForm>"
        f"{form}</ProductForm><Title><TitleType>01</TitleType><TitleText>T</TitleText>"
        "</Title></Product></ONIXMessage>"
    )
    [item] = list(read_products(io.BytesIO(onix.encode())))
    assert item.kind == kind


def test_non_sorting_words_stay_out_of_the_sort_after_a_reindex(db, make_resource, tmp_path):
    from boite.catalog.search import SearchQuery, get_backend, search

    def first(ident: str, title: bytes) -> bytes:
        f100 = b"  " + SF + b"a" + b"20250101d2025    u  y0frey50      ba"
        return iso2709([("001", ident.encode()), ("100", f100), ("200", b"1 " + SF + b"a" + title)])

    source = tmp_path / "tri.mrc"
    source.write_bytes(first("z", "<<Le >>Zèbre".encode()) + first("m", b"Maison"))
    resource = make_resource(fmt="marc", source=source)
    harvest(resource)

    def order() -> list[str]:
        hits = search(SearchQuery(resource_ids=[resource.pk], sort="title")).hits
        found = Record.objects.in_bulk([h.record_id for h in hits])
        return [found[h.record_id].title for h in hits]

    assert order() == ["Maison", "Le Zèbre"]
    get_backend().index_resource(resource)
    assert order() == ["Maison", "Le Zèbre"]
    assert Record.objects.get(provider_id="z").sort_title == "Zèbre"
