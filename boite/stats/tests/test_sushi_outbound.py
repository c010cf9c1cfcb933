"""SUSHI through the outbound client: an internal address is refused with the reason,
and a failed fetch stores nothing."""

from datetime import date

import pytest
from django.utils import translation

from boite.lib.tests.test_outbound import Server
from boite.stats.models import CounterReport, ProviderAccount
from boite.stats.sushi import fetch_report


@pytest.fixture
def sushi_server():
    server = Server()
    yield server
    server.close()


@pytest.fixture
def account(calvados, sushi_server):
    return ProviderAccount.objects.create(
        network=calvados,
        provider="cafeyn",
        name="Cafeyn",
        customer_id="BDC-14",
        sushi_url=sushi_server.url + "/r5/",
        requestor_id="req-1",
        api_key="secret",
    )


def _fetch(account):
    with translation.override("fr"):
        return fetch_report(account, "TR", date(2026, 1, 1), date(2026, 3, 1))


def test_a_sushi_server_at_an_internal_address_is_refused(account, sushi_server, settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = []
    result = _fetch(account)
    assert not result.ok
    assert result.message == ("Relevé SUSHI refusé : adresse interne refusée : 127.0.0.1")
    assert sushi_server.seen == []
    assert not CounterReport.objects.exists()
    account.refresh_from_db()
    assert "adresse interne refusée" in account.last_fetch_result


def test_a_redirect_of_the_sushi_server_to_an_internal_address_is_refused(
    account, sushi_server, settings
):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    sushi_server.routes["/r5/reports/tr"] = (
        302,
        {"Location": f"http://127.0.0.2:{sushi_server.port}/metadata"},
        b"",
    )
    result = _fetch(account)
    assert result.message.endswith("adresse interne refusée : 127.0.0.2")
    assert not CounterReport.objects.exists()


def test_a_report_beyond_the_size_cap_is_refused(account, sushi_server, settings):
    settings.OUTBOUND_API_MAX_BYTES = 100
    sushi_server.routes["/r5/reports/tr"] = (200, {}, b"[" + b" " * 500 + b"]")
    result = _fetch(account)
    assert result.message == (
        "Relevé SUSHI refusé : la réponse dépasse la taille maximale de 100\xa0octets"
    )
    assert not CounterReport.objects.exists()
