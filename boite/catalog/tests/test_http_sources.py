"""Harvests through real HTTP servers on 127.0.0.1 playing the providers."""

import base64
import json
import time
from pathlib import Path

import httpx
import pytest

from boite.catalog.harvest import oai, sources
from boite.catalog.harvest.runner import harvest
from boite.catalog.models import HarvestRun, Record

FIXTURES = Path(__file__).parent.parent / "fixtures"
OAI_NS = "http://www.openarchives.org/OAI/2.0/"


@pytest.fixture(autouse=True)
def _quick_network(monkeypatch):
    # Short timeouts and pauses so that the failure cases do not slow the suite.
    monkeypatch.setattr(sources, "TIMEOUT", httpx.Timeout(1.0))
    monkeypatch.setattr(sources, "RETRY_PAUSE", 0.01)
    monkeypatch.setattr(oai, "TIMEOUT", 1.0)


def _oai_record(identifier: str, title: str, deleted: bool = False) -> str:
    status = ' status="deleted"' if deleted else ""
    header = (
        f"<header{status}><identifier>{identifier}</identifier>"
        "<datestamp>2025-10-01</datestamp></header>"
    )
    if deleted:
        return f"<record>{header}</record>"
    return (
        f"<record>{header}<metadata>"
        '<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<dc:title>{title}</dc:title><dc:creator>Anne Lebrun</dc:creator>"
        "<dc:type>Livre numérique</dc:type><dc:language>fre</dc:language>"
        "<dc:date>2020</dc:date><dc:subject>Polar</dc:subject>"
        f"<dc:identifier>https://bib.example/notice/{identifier}</dc:identifier>"
        "</oai_dc:dc></metadata></record>"
    )


def _oai_page(records: list[str], token: str | None) -> str:
    resumption = f"<resumptionToken>{token}</resumptionToken>" if token else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><OAI-PMH xmlns="{OAI_NS}">'
        "<responseDate>2025-10-02T00:00:00Z</responseDate>"
        '<request verb="ListRecords">https://bib.example/oai</request>'
        f"<ListRecords>{''.join(records)}{resumption}</ListRecords></OAI-PMH>"
    )


def _oai_error(code: str) -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><OAI-PMH xmlns="{OAI_NS}">'
        "<responseDate>2025-10-02T00:00:00Z</responseDate><request>x</request>"
        f'<error code="{code}">message</error></OAI-PMH>'
    )


@pytest.fixture
def oai_server(fake_provider):
    state = {"deleted": False, "empty_from": None}

    def handler(_h, query):
        xml = {"Content-Type": "text/xml; charset=utf-8"}
        if query.get("verb") != "ListRecords":
            return 200, xml, _oai_error("badVerb")
        if query.get("from") and query["from"] == state["empty_from"]:
            return 200, xml, _oai_error("noRecordsMatch")
        token = query.get("resumptionToken")
        if token is None:
            records = [_oai_record("oai:bib:1", "Le Polar des marais"),
                       _oai_record("oai:bib:2", "Cinémas de Bretagne")]  # fmt: skip
            return 200, xml, _oai_page(records, "page2")
        if token == "page2":
            third = _oai_record("oai:bib:3", "Jardins normands", deleted=state["deleted"])
            return 200, xml, _oai_page([third], None)
        return 200, xml, _oai_error("badResumptionToken")

    fake_provider.routes["/oai"] = handler
    fake_provider.state = state
    return fake_provider


def test_oai_pmh_follows_resumption_tokens(db, make_resource, oai_server):
    resource = make_resource(fmt="oai", source=oai_server.url("/oai"))
    run = harvest(resource)
    assert run.status == HarvestRun.Status.SUCCEEDED, run.error
    assert run.created == 3
    record = Record.objects.get(provider_id="oai:bib:1")
    assert record.title == "Le Polar des marais"
    assert record.kind == "ebook"
    assert record.deep_link == "https://bib.example/notice/oai:bib:1"
    verbs = [q.get("verb") for _p, q, _h in oai_server.requests]
    assert verbs == ["ListMetadataFormats", "ListRecords", "ListRecords"]
    tokens = [q.get("resumptionToken") for _p, q, _h in oai_server.requests[1:]]
    assert tokens == [None, "page2"]


def test_oai_pmh_deleted_records_are_withdrawn_incrementally(db, make_resource, oai_server):
    resource = make_resource(fmt="oai", source=oai_server.url("/oai"))
    harvest(resource)
    oai_server.state["deleted"] = True
    run = harvest(resource, mode=HarvestRun.Mode.INCREMENTAL)
    assert run.status == HarvestRun.Status.SUCCEEDED, run.error
    assert run.withdrawn == 1
    assert Record.objects.get(provider_id="oai:bib:3").withdrawn
    assert "from" in oai_server.requests[-2][1]


def test_oai_pmh_no_records_match_is_not_an_error(db, make_resource, oai_server):
    resource = make_resource(fmt="oai", source=oai_server.url("/oai"))
    harvest(resource)
    run = harvest(resource, mode=HarvestRun.Mode.INCREMENTAL)
    oai_server.state["empty_from"] = oai_server.requests[-1][1].get("from")
    run = harvest(resource, mode=HarvestRun.Mode.INCREMENTAL)
    assert run.status == HarvestRun.Status.SUCCEEDED, run.error
    assert (run.created, run.updated, run.withdrawn) == (0, 0, 0)
    assert Record.objects.filter(withdrawn=False).count() == 3


def test_oai_pmh_error_answer_fails_the_run_and_changes_nothing(db, make_resource, fake_provider):
    fake_provider.routes["/oai"] = lambda _h, _q: (200, {}, _oai_error("badArgument"))
    resource = make_resource(fmt="oai", source=fake_provider.url("/oai"))
    run = harvest(resource)
    assert run.status == HarvestRun.Status.FAILED
    assert run.error.startswith("Source illisible : l’entrepôt a répondu par une erreur OAI-PMH : ")
    assert not Record.objects.exists()


def test_oai_pmh_marcxml(db, make_resource, fake_provider):
    marc = (FIXTURES / "philharmonie.marcxml.xml").read_text()
    start = marc.index("<record")
    first = marc[start : marc.index("</record>") + len("</record>")]
    first = first.replace("<record>", '<record xmlns="http://www.loc.gov/MARC21/slim">', 1)
    record = (
        "<record><header><identifier>oai:phil:1</identifier><datestamp>2025-01-01</datestamp>"
        f"</header><metadata>{first}</metadata></record>"
    )
    fake_provider.routes["/oai"] = lambda _h, _q: (200, {}, _oai_page([record], None))
    resource = make_resource(
        fmt="oai", source=fake_provider.url("/oai"), options={"metadata_prefix": "marcxml"}
    )
    run = harvest(resource)
    assert run.status == HarvestRun.Status.SUCCEEDED, run.error
    assert Record.objects.get(provider_id="oai:phil:1").title == "Symphonie fantastique"
    assert fake_provider.requests[0][1]["metadataPrefix"] == "marcxml"


@pytest.fixture
def json_feed(fake_provider):
    entries = json.loads((FIXTURES / "mediatheque-numerique.json").read_text())

    def handler(_h, query):
        page, size = int(query["page_nb"]), int(query["page_size"])
        chunk = entries[(page - 1) * size : page * size]
        headers = {"Content-Type": "application/json", "X-Total-Count": str(len(entries))}
        return 200, headers, json.dumps(chunk)

    fake_provider.routes["/catalogue"] = handler
    return fake_provider


def test_paged_json_feed_reads_every_page(db, make_resource, json_feed):
    resource = make_resource(
        fmt="json", source=json_feed.url("/catalogue"), options={"page_size": 5}
    )
    run = harvest(resource)
    assert run.status == HarvestRun.Status.SUCCEEDED, run.error
    assert (run.created, run.total) == (12, 12)
    assert [q["page_nb"] for _p, q, _h in json_feed.requests] == ["1", "2", "3"]


def test_basic_auth_and_token_are_sent(db, make_resource, json_feed):
    resource = make_resource(
        fmt="json", source=json_feed.url("/catalogue"), harvest_auth="basic",
        harvest_username="bib", harvest_secret="s3cret",
    )  # fmt: skip
    harvest(resource)
    expected = "Basic " + base64.b64encode(b"bib:s3cret").decode()
    assert json_feed.requests[0][2]["Authorization"] == expected
    resource.harvest_auth = "token"
    resource.harvest_secret = "jeton-42"
    resource.save()
    harvest(resource)
    assert json_feed.requests[-1][2]["Authorization"] == "Bearer jeton-42"


def test_http_500_fails_the_run_after_retries_and_keeps_the_catalogue(db, make_resource, json_feed):
    resource = make_resource(fmt="json", source=json_feed.url("/catalogue"))
    harvest(resource)
    before = list(Record.objects.values_list("pk", "title", "withdrawn"))
    json_feed.routes["/catalogue"] = lambda _h, _q: (500, {}, "oops")
    count = len(json_feed.requests)
    run = harvest(resource)
    assert run.status == HarvestRun.Status.FAILED
    assert run.error == "Source illisible : le fournisseur a répondu par une erreur HTTP 500"
    assert len(json_feed.requests) - count == sources.RETRIES
    assert list(Record.objects.values_list("pk", "title", "withdrawn")) == before


def test_a_provider_that_times_out_fails_the_run(db, make_resource, fake_provider):
    def slow(_h, _q):
        time.sleep(1.5)
        return 200, {}, "[]"

    fake_provider.routes["/lent"] = slow
    resource = make_resource(fmt="json", source=fake_provider.url("/lent"))
    run = harvest(resource)
    assert run.status == HarvestRun.Status.FAILED
    assert run.error == "Source illisible : le fournisseur n’a pas répondu à temps"


def test_opds_follows_next_links(db, make_resource, fake_provider):
    feed = json.loads((FIXTURES / "pnb-livres-audio.opds.json").read_text())
    publications = feed["publications"]
    page1 = {
        **feed,
        "publications": publications[:2],
        "links": [{"rel": "next", "href": "/opds?p=2"}],
    }
    page2 = {**feed, "publications": publications[2:], "links": []}
    fake_provider.routes["/opds"] = lambda _h, q: (
        200, {"Content-Type": "application/opds+json"}, json.dumps(page2 if q.get("p") else page1)
    )  # fmt: skip
    resource = make_resource(fmt="opds", source=fake_provider.url("/opds"))
    run = harvest(resource)
    assert run.status == HarvestRun.Status.SUCCEEDED, run.error
    assert run.created == 4


def test_onix_over_http_is_streamed(db, make_resource, fake_provider):
    body = (FIXTURES / "pnb-livres.onix.xml").read_bytes()
    fake_provider.routes["/onix.xml"] = lambda _h, _q: (200, {}, body)
    resource = make_resource(fmt="onix", source=fake_provider.url("/onix.xml"))
    run = harvest(resource)
    assert run.status == HarvestRun.Status.SUCCEEDED, run.error
    assert run.created == 8


def test_http_404_is_a_clear_error(db, make_resource, fake_provider):
    resource = make_resource(fmt="csv", source=fake_provider.url("/absent.csv"))
    run = harvest(resource)
    assert run.status == HarvestRun.Status.FAILED
    assert run.error == "Source illisible : le fournisseur a répondu par une erreur HTTP 404"
