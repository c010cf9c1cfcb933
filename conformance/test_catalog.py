"""The catalogue's formats on real files: every UNIMARC, MARC 21, ONIX, OAI-PMH and OPDS
file of the corpus imported through the real harvest path (reading process, upsert in
one transaction, search index), with counts and, record by record, what a librarian
would check: title, contributors, identifiers, language, date, type, cover, accents.

Expectations were written after looking at each file. OAI-PMH answers are served by a
repository played on 127.0.0.1: the file as the first page, and the page after it (when
the file has a token) written here.
"""

from __future__ import annotations

import itertools
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from boite.catalog.categories import Category
from boite.catalog.harvest.runner import harvest
from boite.catalog.models import HarvestRun, Provider, Record, Resource
from boite.catalog.search import SearchQuery, _instances, search
from conformance.conftest import sample

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _index(settings, tmp_path):
    settings.CATALOG_INDEX_DIR = tmp_path / "index"
    _settings.append(settings)
    yield
    _settings.clear()
    _instances.clear()


_SLUGS = itertools.count(1)
_settings: list = []  # the test's settings fixture, to point the drop directory at a file


def _resource(fmt: str, source: str, options: dict | None = None, slug: str = "corpus"):
    provider, _ = Provider.objects.get_or_create(slug="corpus", defaults={"name": "Corpus"})
    slug = f"{slug}-{next(_SLUGS)}"
    extra = {"harvest_source": source}
    if not source.startswith(("http://", "https://")):
        # A corpus file is what an operator puts in the drop directory: the real path.
        _settings[-1].CATALOG_DROP_DIR = Path(source).parent
        extra = {"harvest_drop_file": Path(source).name}
    return Resource.objects.create(
        provider=provider,
        name=slug,
        slug=slug,
        category=Category.BOOK,
        harvest_format=fmt,
        harvest_options=options or {},
        **extra,
    )


def _import(kind: str, name: str, fmt: str, options: dict | None = None):
    resource = _resource(fmt, str(sample(kind, name)), options)
    run = harvest(resource)
    records = {r.provider_id: r for r in Record.objects.filter(resource=resource)}
    return run, records, resource


def _found(resource, text: str) -> list[str]:
    results = search(SearchQuery(text=text, resource_ids=[resource.pk], per_page=50))
    found = Record.objects.in_bulk([h.record_id for h in results.hits])
    return [found[h.record_id].provider_id for h in results.hits]


def _no_mojibake(records) -> None:
    for record in records.values():
        text = " ".join(
            [record.title, record.subtitle, record.description]
            + [c["name"] for c in record.contributors]
        )
        assert "\ufffd" not in text, (record.provider_id, text)
        assert "Ã©" not in text and "Ã¨" not in text, (record.provider_id, text)


def _names(record) -> list[tuple[str, str]]:
    return [(c["name"], c["role"]) for c in record.contributors]


# -- UNIMARC ------------------------------------------------------------------------------


def test_unimarc_bnf_utf8_under_an_iso5426_flag():
    run, records, resource = _import("unimarc", "marcjs_bnf_6records.mrc", "marc")
    assert run.status == HarvestRun.Status.SUCCEEDED, run.error
    # Six records; the newline after the last one is not a seventh, rejected.
    assert (run.read, run.created, run.rejected) == (6, 6, 0)
    assert run.details["warnings"] == {"charset-declared-wrong": 6}
    greek = records["FRBNF323046990000009"]
    assert greek.title == "Greek printing types"
    assert greek.subtitle.startswith("1465-1927, facsimiles")  # no ISBD « , » in front
    assert _names(greek) == [("Frederic George Kenyon", "préfacier")]  # 702 $4 080
    assert greek.languages == ["eng"] and greek.year == 1927 and greek.kind == "ebook"
    assert greek.identifiers["ark"] == "http://catalogue.bnf.fr/ark:/12148/cb32304699p"
    fell = records["FRBNF331056970000005"]
    assert '"Fell"' in fell.subtitle  # BnF's spacing cedillas were quotation marks
    assert _names(fell) == [("Stanley Morison", "auteur")]
    claudin = records["FRBNF323346280000008"]
    assert ("Michel-Hilaire Clément-Janin", "auteur") in _names(claudin)
    papier = records["FRBNF323617380000007"]
    assert "depuis le quatorzième siècle" in papier.title
    _no_mojibake(records)
    assert "FRBNF323617380000007" in _found(resource, "quatorzième")


def test_unimarc_bnf_as_marcxml_in_the_marc21_namespace():
    run, records, _res = _import("unimarc", "marcjs_bnf_6records_marcxml.xml", "marc")
    assert (run.status, run.created, run.rejected) == (HarvestRun.Status.SUCCEEDED, 6, 0)
    assert records["FRBNF323046990000009"].title == "Greek printing types"
    assert _names(records["FRBNF323046990000009"]) == [("Frederic George Kenyon", "préfacier")]


def test_unimarc_one_record_utf8_declared_in_100():
    run, records, resource = _import("unimarc", "marcjs_one_record_utf8.mrc", "marc")
    assert (run.status, run.created) == (HarvestRun.Status.SUCCEEDED, 1)
    ici = records["123456789"]
    assert ici.title == "Ici"
    assert _names(ici) == [("Nathalie Sarraute", "auteur")]
    assert (ici.isbn, ici.languages, ici.year) == ("207074244X", ["fre"], 1995)
    assert not run.details["warnings"]
    assert "123456789" in _found(resource, "Sarraute")


def test_unimarc_sbn_records_after_newlines_and_non_sort_markers():
    run, records, resource = _import("unimarc", "sbn_bncf_5records_utf8.mrc", "marc")
    # A newline after each terminator used to shift every following leader.
    assert (run.status, run.read, run.created, run.rejected) == ("succeeded", 5, 5, 0)
    stato = records["CFI0893220"]
    assert stato.title == "Lo Stato innovatore"  # NSB/NSE (U+0098/U+009C) removed
    assert stato.subtitle == "sfatare il mito del pubblico contro il privato"
    assert _names(stato) == [("Mariana Mazzucato", "auteur"), ("Fabio Galimberti", "contributeur")]
    assert (stato.isbn, stato.languages, stato.year) == ("9788858111703", ["ita"], 2014)
    annessione = records["CFI0899224"]
    assert annessione.title == "L'annessione"
    assert _names(annessione) == [("Vladimiro Giacché", "auteur")]
    _no_mojibake(records)
    assert "CFI0899224" in _found(resource, "Giacché")
    # The non-sorting article is left out of the sort: « Stato » sorts under S.
    results = search(SearchQuery(resource_ids=[resource.pk], sort="title", per_page=50))
    order = [h.record_id for h in results.hits]
    assert order.index(stato.pk) > order.index(annessione.pk)


def test_unimarc_slim_short_element_names():
    run, records, _res = _import("unimarc", "sbn_bncf_unimarcslim.xml", "marc")
    assert (run.status, run.created, run.rejected) == ("succeeded", 5, 0)
    assert records["CFI0893220"].title == "Lo Stato innovatore"
    assert _names(records["CFI0899224"]) == [("Vladimiro Giacché", "auteur")]


def test_unimarc_greek_serials_with_dollar_signs_in_the_data():
    run, records, resource = _import(
        "unimarc", "catmandu_greek_serials_dollar_subfields.mrc", "marc"
    )
    assert (run.status, run.created, run.rejected) == ("succeeded", 2, 0)
    conference = records["12162"]
    assert conference.kind == "magazine"  # leader « nas »: a serial, not a TV series
    assert "$f" in conference.title  # a literal « $ » is data, not a subfield
    greek = records["15250"]
    assert greek.title == "Ψειρολογία"
    assert ("ΗΛΙΑΣ ΠΕΤΡΟΠΟΥΛΟΣ", "auteur") in _names(greek)
    assert (greek.languages, greek.year, greek.isbn) == (["gre"], 1991, "9602110821")
    _no_mojibake(records)
    assert "15250" in _found(resource, "Ψειρολογία")


def test_unimarc_named_cp866_irbis_export_is_rejected_with_its_reason():
    run, records, _res = _import("unimarc", "ruby-marc_cp866_russian_irbis.marc", "marc")
    # IRBIS tags (no 200, no 245): the one record has no title; the run fails honestly.
    assert run.status == HarvestRun.Status.FAILED
    assert (run.read, run.rejected, records) == (1, 1, {})
    assert "no title" in run.error or "sans titre" in run.error


# -- MARC 21 ------------------------------------------------------------------------------


def test_marc21_alma_lengths_counted_in_characters():
    run, records, _res = _import("marc21", "catmandu_bu_alma_100records.mrc", "marc")
    assert (run.status, run.read, run.created, run.rejected) == ("succeeded", 100, 100, 0)
    first = records["99177355940001161"]
    assert first.title == "America without the death penalty"
    assert first.subtitle == "states leading the way"
    assert (first.isbn, first.languages, first.year) == ("1555535291", ["eng"], 2002)
    assert _names(records["99177591140001161"]) == [("Sears, Stephanie D.", "auteur")]
    assert run.details["warnings"].get("leader-length-wrong") == 16
    _no_mojibake(records)


def test_marc21_marc8_under_a_utf8_flag():
    run, records, resource = _import("marc21", "ruby-marc_french_marc8_accents.mrc", "marc")
    assert (run.status, run.created) == ("succeeded", 1)
    record = records["000004951"]
    assert record.title == 'Histoire du "nouveau théâtre."'
    assert _names(record) == [("Serreau, Geneviève", "auteur")]
    assert (record.languages, record.year) == (["fre"], 1966)
    assert run.details["warnings"] == {"charset-declared-wrong": 1}
    assert "000004951" in _found(resource, "théâtre")


def test_marc21_utf8_with_bad_bytes_is_decoded_with_a_fallback_and_flagged():
    run, records, _res = _import("marc21", "ruby-marc_utf8_with_bad_bytes.mrc", "marc")
    record = records["000039829"]
    assert record.title.startswith("Photčhanānukrom Čhin Klāng")
    assert "\ufffd" not in record.title
    assert run.details["warnings"] == {"charset-fallback": 1}


def test_marc21_lc_voyager_marc8_diacritics():
    run, records, _res = _import("marc21", "yaz_lc_voyager_diacritics_marc8.mrc", "marc")
    record = records["77123332"]
    assert record.title == "Voyager Diacritic test -- New input 001 (SBIE)"
    payload = record.source_payload
    for letter in ("Ł", "Ø", "Đ", "Þ", "Æ", "Œ", "ő", "ǒ"):
        assert letter in payload
    assert not run.details["warnings"]


def test_marc21_leader_with_carets_and_marc8():
    _run, records, _res = _import("marc21", "yaz_leader_carets_marc8.mrc", "marc")
    record = records["UCD-002592301"]
    assert record.title.startswith("Clinton, Purser & Arnold")
    assert record.year == 1583
    assert ("Clinton, Atkinson", "auteur") in _names(record)


def test_marc21_marc8_arabic_and_chinese_scripts():
    run, records, _res = _import("marc21", "yaz_arabic_serial_marc8_066.mrc", "marc")
    serial = records["2005336282"]
    assert (serial.title, serial.kind, serial.languages) == (
        "Qaḍāʼ al-usrah",
        "magazine",
        ["ara", "fre"],
    )
    run, records, _res = _import("marc21", "yaz_oclc_chinese_marc8_880.mrc", "marc")
    book = records["on1183349983"]
    assert (book.title, book.isbn, book.year) == ("Che piao qu na er le", "9787572101014", 2020)
    assert "车票去哪儿了" in book.source_payload  # the 880 field, EACC decoded
    assert not run.details["warnings"]


def test_marc21_utf8_collection_of_19():
    run, records, _res = _import("marc21", "yaz_collection_19records_utf8.mrc", "marc")
    assert (run.status, run.created, run.rejected) == ("succeeded", 19, 0)
    assert records["70813420 /AJ/r86"].title == "Handa shishi"
    assert records["70813420 /AJ/r86"].languages == ["jpn"]
    _no_mojibake(records)


def test_marc21_truncated_leader_is_refused_with_its_reason():
    run, records, _res = _import("marc21", "file_marc_truncated_leader.mrc", "marc")
    assert run.status == HarvestRun.Status.FAILED and records == {}
    assert "015970028922450001000080" in run.error


def test_marcxml_with_prefix_or_ns0_and_an_incomplete_leader():
    run, records, _res = _import("marc21", "file_marc_lc_marcxml_marc_prefix.xml", "marc")
    assert (run.status, run.created) == ("succeeded", 2)
    ray = records["5637241"]
    assert (ray.title, ray.kind, ray.year) == ("The Great Ray Charles", "musique", 1957)
    assert _names(ray) == [("Charles, Ray", "interprète")]
    run, records, _res = _import(
        "marc21", "ruby-marc_marcxml_ns0_prefix_no_declaration.xml", "marc"
    )
    # No 001: identified by its link.
    untamed = records["http://www.gutenberg.org/etext/10886"]
    assert (untamed.title, untamed.year) == ("The Untamed", 2004)
    assert _names(untamed) == [("Brand, Max", "auteur")]


# -- ONIX ---------------------------------------------------------------------------------


def test_onix30_dilicom_hachette():
    run, records, _res = _import("onix", "dilicom_onix30_hachette_105products.xml", "onix")
    assert (run.status, run.read, run.created, run.rejected) == ("succeeded", 105, 104, 0)
    # One RecordReference comes twice: merged, and said so with its identifier.
    assert (run.duplicates, run.duplicate_ids) == (1, ["9782868180483"])
    corse = records["fr.hachette-livre.onix.1288421"]
    assert corse.title == "Corse Un Grand Week-end"
    assert corse.cover_url.startswith("http://images1.centprod.com/")
    assert corse.year == 2023
    assert "<script" not in corse.description and "<br>" in corse.description
    _no_mojibake(records)


def test_onix30_full_test_and_deletion():
    run, records, _res = _import("onix", "academic_observatory_onix30_full_test.xml", "onix")
    item = records["some.test.data"]
    assert item.title == "TestTitle" and item.subtitle == "Subtitle text"
    # A name given as NamesBeforeKey + KeyNames is kept.
    assert ("BeforeName KeyName", "auteur") in _names(item)
    assert (item.isbn, item.languages, item.year) == ("9780000000000", ["eng"], 2020)
    run, records, _res = _import("onix", "academic_observatory_onix30_delete.xml", "onix")
    assert run.status == "succeeded" and records == {}


def test_onix21_allen_unwin_double_escaped():
    run, records, _res = _import("onix", "yob_onix21_allen_unwin_double_escaped.xml", "onix")
    assert (run.status, run.read, run.rejected) == ("succeeded", 238, 0)
    assert run.created + run.duplicates == 238
    garden = records["1741149983"]
    assert garden.title == "The Forgotten Garden"
    assert _names(garden) == [("Morton Kate", "auteur")]
    assert garden.cover_url.endswith("_224_297_FitSquare.jpg")
    assert (garden.isbn, garden.year) == ("9781741149982", 2008)
    for record in records.values():
        assert "&amp;" not in record.title and "&lt;" not in record.description


def test_onix21_bookwise_with_a_doctype():
    run, records, _res = _import("onix", "yob_onix21_bookwise_346products.xml", "onix")
    assert (run.status, run.read, run.rejected) == ("succeeded", 346, 0)
    assert run.created + run.duplicates == 346
    harry = records["9781844546725"]
    assert harry.title == "Harrys War The True Story Of Prince Harrys Heroism"
    assert harry.year == 2008


def test_onix21_quirks_of_single_files():
    run, records, _res = _import("onix", "yob_onix21_control_chars.xml", "onix")
    assert records["365-9780194351898"].title == "OXFORDPICTURE DICTIONARY CHINESE"
    run, records, _res = _import("onix", "yob_onix21_html_entity_ndash.xml", "onix")
    assert records["9780732287573"].title == "High Noon–in Nimbin"
    run, records, _res = _import("onix", "yob_onix21_iso_8859_1_wiley.xml", "onix")
    wiley = records["1742169341"]
    assert _names(wiley) == [("Küng, Hans", "auteur")]
    assert wiley.languages == ["eng"]  # the header's DefaultLanguageOfText
    run, records, _res = _import("onix", "yob_onix21_no_xml_declaration.xml", "onix")
    assert _names(records["9780747595175"]) == [("Melo,Patrícia", "auteur")]
    assert run.details["warnings"] == {"charset-guessed": 1}
    run, records, _res = _import("onix", "yob_onix21_short_tags_baylor.xml", "onix")
    acts = records["160258186X"]
    assert acts.title == "The Acts of the Apostles"
    assert ("Beth Allison Barr", "éditeur scientifique") in _names(acts)
    assert acts.languages == ["eng"] and acts.description.startswith("<i>The Acts")


# -- OPDS ---------------------------------------------------------------------------------


def test_opds2_french_publications():
    run, records, resource = _import(
        "opds", "opds_community_opds2_publications_french.json", "opds"
    )
    # The test catalogue repeats one publication fourteen times: one record, 13 merged.
    assert (run.status, run.read, run.created, run.duplicates) == ("succeeded", 14, 1, 13)
    verne = records["http://fr.feedbooks.com/book/1474/voyage-au-centre-de-la-terre"]
    # Each variant tests one acquisition mode; the last one read is kept.
    assert (verne.title, verne.languages, verne.year) == ("Borrow", ["fre"], 1864)
    assert _names(verne) == [("Jules Verne", "auteur")]
    assert verne.cover_url == "https://test.opds.io/assets/centredelaterre/small.jpg"
    assert verne.deep_link == "https://test.opds.io/assets/centredelaterre/file.epub"
    assert verne.id in [
        r.id for r in Record.objects.filter(provider_id__in=_found(resource, "découvertes"))
    ]


def test_opds2_home_with_groups_counts_duplicates():
    run, records, _res = _import("opds", "opds_community_opds2_home_groups.json", "opds")
    assert run.status == "succeeded"
    assert run.read == 10 and run.created + run.duplicates == 10
    assert "http://www.feedbooks.com/book/54/moby-dick" in records


def test_opds_feeds_without_publications_are_refused_with_a_reason():
    for name in (
        "opds_community_opds2_navigation.json",
        "internetarchive_opds1_index_no_declaration.xml",
        "edrlab_lcp_status_document.json",
        "edrlab_lcp_license_document.lcpl",
    ):
        run, records, _res = _import("opds", name, "opds")
        assert run.status == HarvestRun.Status.FAILED and records == {}, name
        assert run.error, name
        Resource.objects.all().delete()


def test_opds1_atom_feeds():
    run, records, _res = _import("opds", "internetarchive_opds1_most_downloaded.xml", "opds")
    assert (run.status, run.created) == ("succeeded", 50)
    goody = records["urn:x-internet-archive:bookserver:catalog:item:goodytwoshoes00newyiala"]
    assert goody.title == "Goody Two-Shoes" and goody.languages == ["eng"]
    Resource.objects.all().delete()
    run, records, _res = _import("opds", "oreilly_opds1_titles_A_nonrfc3339_dates.xml", "opds")
    assert (run.status, run.created) == ("succeeded", 64)
    nutshell = records["urn:uuid:05a6eba6-c714-3043-a244-253ea3a5b822"]
    assert nutshell.title == "A+, Network+, Security+ Exams in a Nutshell"
    assert _names(nutshell) == [("Pawan K. Bhardwaj", "auteur")]
    assert nutshell.cover_url == "http://covers.oreilly.com/images/9780596102722/cat.gif"
    assert "<img" not in nutshell.description and "<a " not in nutshell.description


# -- OAI-PMH, served on 127.0.0.1 ---------------------------------------------------------

_ENVELOPE = (
    '<?xml version="1.0" encoding="UTF-8"?><OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
    "<responseDate>2026-01-01T00:00:00Z</responseDate><request>x</request>{}</OAI-PMH>"
)
_FORMATS = _ENVELOPE.format(
    "<ListMetadataFormats>"
    "<metadataFormat><metadataPrefix>oai_dc</metadataPrefix>"
    "<schema>http://www.openarchives.org/OAI/2.0/oai_dc.xsd</schema>"
    "<metadataNamespace>http://www.openarchives.org/OAI/2.0/oai_dc/</metadataNamespace>"
    "</metadataFormat>"
    "<metadataFormat><metadataPrefix>MARC21-xml</metadataPrefix>"
    "<schema>http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd</schema>"
    "<metadataNamespace>http://www.loc.gov/MARC21/slim</metadataNamespace>"
    "</metadataFormat></ListMetadataFormats>"
)
_LAST_PAGE = _ENVELOPE.format('<ListRecords><resumptionToken completeListSize="1"/></ListRecords>')


class _Repository:
    def __init__(self) -> None:
        self.pages: dict[str | None, bytes] = {}
        self.requests: list[dict] = []
        repository = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                query = {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}
                repository.requests.append(query)
                if query.get("verb") == "ListMetadataFormats":
                    body = _FORMATS.encode()
                else:
                    body = repository.pages.get(query.get("resumptionToken"), _LAST_PAGE.encode())
                self.send_response(200)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/oai"


@pytest.fixture
def repository():
    repo = _Repository()
    yield repo
    repo.server.shutdown()
    repo.server.server_close()


def _harvest_oai(repository, name: str, options: dict | None = None):
    repository.pages[None] = sample("oai-pmh", name).read_bytes()
    resource = _resource("oai", repository.url, options, slug=name[:40].replace(".", "-"))
    run = harvest(resource)
    return run, {r.provider_id: r for r in Record.objects.filter(resource=resource)}


def test_oai_marc21_prefix_chosen_by_its_namespace(repository):
    run, records = _harvest_oai(repository, "vufindharvest_ListRecords_marc21_token.xml")
    assert (run.status, run.created, run.rejected) == ("succeeded", 100, 0), run.error
    assert repository.requests[1]["metadataPrefix"] == "MARC21-xml"
    assert repository.requests[2] == {
        "verb": "ListRecords",
        "resumptionToken": "fakeresumptiontoken",
    }
    soldat = next(r for r in records.values() if r.title.startswith("Der Soldat"))
    assert soldat.languages == ["ger"]
    dictionnaire = next(
        r for r in records.values() if r.title.startswith("Dictionnaire historique")
    )
    assert dictionnaire.languages == ["fre"] and "sièges" in dictionnaire.title
    _no_mojibake(records)


def test_oai_marcxml_conference_records_without_title_fail_the_run(repository):
    run, records = _harvest_oai(
        repository, "invenio_inspire_ListRecords_marcxml.xml", {"metadata_prefix": "marcxml"}
    )
    assert run.status == HarvestRun.Status.FAILED and records == {}
    assert "2" in run.error  # every record (2 of 2) rejected, with the reasons


def test_oai_arxiv_own_format_and_doaj(repository):
    run, records = _harvest_oai(
        repository, "invenio_arxiv_ListRecords_46records.xml", {"metadata_prefix": "arXiv"}
    )
    assert (run.status, run.created) == ("succeeded", 46), run.error
    assert any(
        r.title == "Reproducing Kernel Banach Spaces with the l1 Norm" for r in records.values()
    )
    Resource.objects.all().delete()
    run, records = _harvest_oai(
        repository,
        "vufindharvest_doaj_ListRecords_oai_doaj_token.xml",
        {"metadata_prefix": "oai_doaj"},
    )
    assert run.status == "succeeded", run.error
    assert run.created == 100 and "oai:doaj.org/article:84d148928d694848ab183fa142fc18f8" in records
    assert repository.requests[-1]["resumptionToken"] == "eyJtIjogIm9haV9kb2FqIiwgIm4iOiAxMDB9"


def test_oai_answers_that_end_or_fail_a_harvest(repository):
    run, _records = _harvest_oai(
        repository, "invenio_noRecordsMatch.xml", {"metadata_prefix": "oai_dc"}
    )
    assert (run.status, run.created) == ("succeeded", 0)
    Resource.objects.all().delete()
    run, _records = _harvest_oai(
        repository, "vufindharvest_badResumptionToken.xml", {"metadata_prefix": "oai_dc"}
    )
    assert run.status == "failed" and "resumption token" in run.error
    Resource.objects.all().delete()
    run, _records = _harvest_oai(
        repository, "invenio_arxiv_GetRecord_no_namespace.xml", {"metadata_prefix": "arXiv"}
    )
    assert run.status == "failed" and "OAI-PMH" in run.error


def test_oai_list_identifiers_pages_end_without_a_token_or_with_an_empty_one(repository):
    from oaipmh_scythe import Scythe

    from boite.catalog.harvest.oai import _Pages

    for first, second, token, count, deleted in (
        ("paperhive_gulbenkian_ListIdentifiers_page1.xml",
         "paperhive_gulbenkian_ListIdentifiers_page2_deleted_last.xml",
         "oai_dc/2016-01-01T00:00:00Z/2017-01-01T00:00:00Z//100", 154, True),
        ("paperhive_alma_bibsys_ListIdentifiers_page1.xml",
         "paperhive_alma_bibsys_ListIdentifiers_page2_no_token.xml",
         "2017-01-01@2017-01-03@oai_komplett@marc21@15180036410002201", 110, False),
    ):  # fmt: skip
        repository.pages = {
            None: sample("oai-pmh", first).read_bytes(),
            token: sample("oai-pmh", second).read_bytes(),
        }
        repository.requests.clear()
        with Scythe(repository.url) as scythe:
            scythe.iterator = _Pages
            headers = list(scythe.list_identifiers(metadata_prefix="oai_dc"))
        assert len(headers) == count
        assert any(h.deleted for h in headers) is deleted
        assert [q.get("resumptionToken") for q in repository.requests] == [None, token]
