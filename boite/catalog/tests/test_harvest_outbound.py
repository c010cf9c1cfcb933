"""The attacks on harvest addresses, replayed through the real harvest path.

Two real servers on 127.0.0.1 on two ports are two origins: the provider, and an
attacker's server that a redirect or a paging link points to."""

import json
from pathlib import Path

import httpx
import pytest

from boite.catalog.harvest import oai, sources
from boite.catalog.harvest.runner import harvest
from boite.catalog.models import HarvestRun, Record
from boite.lib.tests.test_outbound import Server

FIXTURES = Path(__file__).parent.parent / "fixtures"
OPDS = json.loads((FIXTURES / "pnb-livres-audio.opds.json").read_text())
ONIX = (FIXTURES / "pnb-livres.onix.xml").read_bytes()
BASIC = "Basic YmliOnMzY3JldA=="  # bib:s3cret


@pytest.fixture(autouse=True)
def _quick_network(monkeypatch):
    monkeypatch.setattr(sources, "TIMEOUT", httpx.Timeout(1.0))
    monkeypatch.setattr(sources, "RETRY_PAUSE", 0.01)
    monkeypatch.setattr(oai, "TIMEOUT", 1.0)


@pytest.fixture
def provider_server():
    server = Server()
    yield server
    server.close()


@pytest.fixture
def attacker_server():
    server = Server()
    yield server
    server.close()


def _with_basic_auth(make_resource, fmt: str, url: str):
    return make_resource(
        fmt=fmt, source=url, harvest_auth="basic", harvest_username="bib", harvest_secret="s3cret"
    )


def test_staff_harvest_of_an_internal_address_fails_in_french_and_changes_nothing(
    client, login, admin_calvados, make_resource, provider_server, settings
):
    provider_server.routes["/onix.xml"] = (200, {}, ONIX)
    resource = make_resource(slug="interne", fmt="onix", source=provider_server.url + "/onix.xml")
    assert harvest(resource).status == HarvestRun.Status.SUCCEEDED  # loopback allowed here
    before = list(Record.objects.values_list("pk", "title", "withdrawn"))
    requests = len(provider_server.seen)

    settings.OUTBOUND_ALLOWED_NETWORKS = []
    login(client, admin_calvados)
    client.post(f"/gestion/catalogue/{resource.slug}/moissonner/", {"mode": "full"})
    run = resource.runs.order_by("-pk").first()
    assert run.status == HarvestRun.Status.FAILED
    assert run.error == "Source illisible : adresse interne refusée : 127.0.0.1"
    page = client.get(run.get_absolute_url()).content.decode()
    assert "adresse interne refusée : 127.0.0.1" in page
    assert list(Record.objects.values_list("pk", "title", "withdrawn")) == before
    assert len(provider_server.seen) == requests  # not even one request reached it


@pytest.mark.parametrize("fmt", ["onix", "json", "opds", "oai"])
def test_every_format_refuses_an_internal_address(
    db, make_resource, provider_server, settings, fmt
):
    settings.OUTBOUND_ALLOWED_NETWORKS = []
    resource = make_resource(fmt=fmt, source=provider_server.url + "/feed")
    run = harvest(resource)
    assert run.status == HarvestRun.Status.FAILED
    assert run.error == "Source illisible : adresse interne refusée : 127.0.0.1"
    assert provider_server.seen == []


def test_a_redirect_to_a_refused_address_fails_the_harvest(
    db, make_resource, provider_server, settings
):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    provider_server.routes["/onix.xml"] = (
        302,
        {"Location": f"http://127.0.0.2:{provider_server.port}/admin"},
        b"",
    )
    run = harvest(make_resource(fmt="onix", source=provider_server.url + "/onix.xml"))
    assert run.status == HarvestRun.Status.FAILED
    assert run.error == "Source illisible : adresse interne refusée : 127.0.0.2"
    assert len(provider_server.seen) == 1  # refused at once, not retried


def test_a_file_redirect_fails_the_harvest(db, make_resource, provider_server):
    provider_server.routes["/onix.xml"] = (302, {"Location": "file:///etc/passwd"}, b"")
    run = harvest(make_resource(fmt="onix", source=provider_server.url + "/onix.xml"))
    assert run.status == HarvestRun.Status.FAILED
    assert run.error.startswith("Source illisible : seules les adresses http et https")
    assert not Record.objects.exists()


def test_the_password_does_not_follow_a_redirect_to_another_origin(
    db, make_resource, provider_server, attacker_server
):
    provider_server.routes["/onix.xml"] = (
        302,
        {"Location": attacker_server.url + "/onix.xml"},
        b"",
    )
    attacker_server.routes["/onix.xml"] = (200, {}, ONIX)
    resource = _with_basic_auth(make_resource, "onix", provider_server.url + "/onix.xml")
    run = harvest(resource)
    assert run.status == HarvestRun.Status.SUCCEEDED, run.error
    assert provider_server.authorizations() == [BASIC]
    assert attacker_server.authorizations() == [None]


def test_the_password_does_not_follow_an_opds_next_link_to_another_origin(
    db, make_resource, provider_server, attacker_server
):
    publications = OPDS["publications"]
    page1 = {**OPDS, "publications": publications[:2]}
    page1["links"] = [{"rel": "next", "href": attacker_server.url + "/opds2"}]
    page2 = {**OPDS, "publications": publications[2:], "links": []}
    opds = {"Content-Type": "application/opds+json"}
    provider_server.routes["/opds"] = (200, opds, json.dumps(page1).encode())
    attacker_server.routes["/opds2"] = (200, opds, json.dumps(page2).encode())
    resource = _with_basic_auth(make_resource, "opds", provider_server.url + "/opds")
    run = harvest(resource)
    assert run.status == HarvestRun.Status.SUCCEEDED, run.error
    assert provider_server.authorizations() == [BASIC]
    assert attacker_server.authorizations() == [None]


def test_the_oai_password_does_not_follow_a_redirect_to_another_origin(
    db, make_resource, provider_server, attacker_server
):
    ns = "http://www.openarchives.org/OAI/2.0/"
    empty = (
        f'<?xml version="1.0" encoding="UTF-8"?><OAI-PMH xmlns="{ns}">'
        "<responseDate>2025-10-02T00:00:00Z</responseDate><request>x</request>"
        '<error code="noRecordsMatch">none</error></OAI-PMH>'
    ).encode()
    provider_server.routes["/oai"] = (302, {"Location": attacker_server.url + "/oai"}, b"")
    attacker_server.routes["/oai"] = (200, {"Content-Type": "text/xml"}, empty)
    resource = _with_basic_auth(make_resource, "oai", provider_server.url + "/oai")
    run = harvest(resource)
    assert run.status == HarvestRun.Status.SUCCEEDED, run.error
    # ListMetadataFormats then ListRecords: each sent to the source with its password,
    # each redirected to the other origin without it.
    assert set(provider_server.authorizations()) == {BASIC}
    assert set(attacker_server.authorizations()) == {None}
    headers = {name.lower(): value for name, value in attacker_server.seen[0][2].items()}
    assert headers["accept"].startswith("text/xml")  # httpx2's headers are passed on


def test_a_harvest_file_larger_than_the_cap_fails_and_changes_nothing(
    db, make_resource, provider_server, settings
):
    provider_server.routes["/onix.xml"] = (200, {}, ONIX)
    resource = make_resource(fmt="onix", source=provider_server.url + "/onix.xml")
    assert harvest(resource).status == HarvestRun.Status.SUCCEEDED
    before = list(Record.objects.values_list("pk", "title", "withdrawn"))
    settings.OUTBOUND_FILE_MAX_BYTES = 1000
    run = harvest(resource)
    assert run.status == HarvestRun.Status.FAILED
    assert run.error == "Source illisible : la réponse dépasse la taille maximale de 1000\xa0octets"
    assert list(Record.objects.values_list("pk", "title", "withdrawn")) == before
