"""Distributors and ODL feeds through the outbound client: the account's credentials go
only to the account's origin; internal addresses are refused."""

import json

import pytest
from django.utils import translation

from boite.lending.distributors import connect
from boite.lending.distributors.base import (
    Connection,
    DistributorError,
    DistributorRefused,
    LicenceRef,
)
from boite.lending.offers import odl_feed
from boite.lending.offers.base import OfferFileError
from boite.lib.tests.test_outbound import Server

BASIC = "Basic dXNlcjpzM2NyZXQ="  # user:s3cret


@pytest.fixture
def distributor_server():
    server = Server()
    yield server
    server.close()


@pytest.fixture
def attacker_server():
    server = Server()
    yield server
    server.close()


def _adapter(kind: str, server: Server):
    return connect(
        kind, Connection(base_url=server.url + "/", login="user", password="s3cret", timeout=1)
    )


def test_the_odl_password_is_not_sent_to_a_licence_document_elsewhere(
    distributor_server, attacker_server
):
    attacker_server.routes["/licenses/1"] = (200, {}, b"{}")
    with _adapter("odl", distributor_server) as adapter, pytest.raises(DistributorError):
        adapter.licence_status(LicenceRef("1", info_url=attacker_server.url + "/licenses/1"))
    assert attacker_server.authorizations() == [None]


def test_the_password_does_not_follow_a_redirect_to_another_origin(
    distributor_server, attacker_server
):
    distributor_server.routes["/licenses/1"] = (
        302,
        {"Location": attacker_server.url + "/licenses/1"},
        b"",
    )
    attacker_server.routes["/licenses/1"] = (200, {}, b"{}")
    with _adapter("odl", distributor_server) as adapter, pytest.raises(DistributorError):
        adapter.licence_status(LicenceRef("1", info_url=distributor_server.url + "/licenses/1"))
    assert distributor_server.authorizations() == [BASIC]
    assert attacker_server.authorizations() == [None]


@pytest.mark.parametrize("kind", ["dilicom", "odl"])
def test_a_distributor_at_an_internal_address_is_refused_in_french(
    distributor_server, settings, kind
):
    settings.OUTBOUND_ALLOWED_NETWORKS = []
    ref = LicenceRef("1", info_url=distributor_server.url + "/licenses/1")
    with (
        translation.override("fr"),
        _adapter(kind, distributor_server) as adapter,
        pytest.raises(DistributorRefused) as caught,
    ):
        adapter.licence_status(ref)
    assert str(caught.value.message) == "adresse interne refusée : 127.0.0.1"
    assert distributor_server.seen == []


def _feed(next_url: str = "") -> bytes:
    links = [{"rel": "next", "href": next_url}] if next_url else []
    return json.dumps({"metadata": {"title": "ODL"}, "publications": [], "links": links}).encode()


def test_an_odl_feed_next_link_to_another_origin_gets_no_password(
    distributor_server, attacker_server
):
    distributor_server.routes["/feed"] = (200, {}, _feed(attacker_server.url + "/feed2"))
    attacker_server.routes["/feed2"] = (200, {}, _feed())
    with _adapter("odl", distributor_server) as adapter:
        pages = list(odl_feed.read_pages(adapter.client, distributor_server.url + "/feed"))
    assert len(pages) == 2
    assert distributor_server.authorizations() == [BASIC]
    assert attacker_server.authorizations() == [None]


def test_an_odl_feed_next_link_to_an_internal_address_is_refused(distributor_server, settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    distributor_server.routes["/feed"] = (
        200,
        {},
        _feed(f"http://127.0.0.2:{distributor_server.port}/feed2"),
    )
    with (
        translation.override("fr"),
        _adapter("odl", distributor_server) as adapter,
        pytest.raises(OfferFileError) as caught,
    ):
        list(odl_feed.read_pages(adapter.client, distributor_server.url + "/feed"))
    assert "adresse interne refusée : 127.0.0.2" in str(caught.value)
