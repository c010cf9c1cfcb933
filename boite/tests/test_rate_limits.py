"""Rate limits on what a script could repeat: password reset (each request sends an
e-mail), and the address they count by (X-Forwarded-For trusted only as far as the
reverse proxies the settings declare). Login and registration are limited in
boite/patrons (test_login.py, test_registration.py); the API in test_api_schema.py."""

import pytest
from django.core import mail
from django.test import Client

from boite.api import api

pytestmark = pytest.mark.django_db


def test_password_reset_is_limited_per_address(client, settings, patron_bayeux, on_commit):
    settings.PATRONS_PASSWORD_RESETS_PER_IP_PER_HOUR = 3
    for _n in range(3):
        with on_commit(execute=True):
            response = client.post("/mot-de-passe-oublie/", {"email": patron_bayeux.user.email})
        assert response.status_code == 302
    sent = len(mail.outbox)
    assert sent == 3
    with on_commit(execute=True):
        refused = client.post("/mot-de-passe-oublie/", {"email": patron_bayeux.user.email})
    assert refused.status_code == 429
    assert "réessayez dans une heure" in refused.content.decode()
    assert len(mail.outbox) == sent  # nothing sent past the limit


def test_password_reset_limit_counts_per_address_not_globally(client, settings, patron_bayeux):
    from django.test import Client

    settings.PATRONS_PASSWORD_RESETS_PER_IP_PER_HOUR = 1
    client.post("/mot-de-passe-oublie/", {"email": patron_bayeux.user.email})
    other = Client(HTTP_HOST="localhost", REMOTE_ADDR="192.0.2.7")
    response = other.post("/mot-de-passe-oublie/", {"email": patron_bayeux.user.email})
    assert response.status_code == 302


def _api_search(address: str, forwarded: str | None = None) -> int:
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    return (
        Client(HTTP_HOST="localhost", REMOTE_ADDR=address, **extra)
        .get("/api/search", {"q": "polar"})
        .status_code
    )


def test_a_forged_forwarded_header_does_not_escape_the_api_limit(calvados, monkeypatch):
    monkeypatch.setattr(api.throttle[0], "num_requests", 3)
    assert [_api_search("192.0.2.10") for _n in range(3)] == [200] * 3
    assert _api_search("192.0.2.10") == 429
    # No reverse proxy is declared: what the visitor writes there is not an address.
    assert _api_search("192.0.2.10", forwarded="203.0.113.99") == 429
    assert _api_search("192.0.2.11") == 200  # another visitor counts apart


def test_behind_a_reverse_proxy_each_visitor_counts_apart(calvados, monkeypatch, settings):
    settings.TRUSTED_PROXIES = 1
    monkeypatch.setattr(api.throttle[0], "num_requests", 2)
    proxy = "10.0.0.2"
    assert [_api_search(proxy, "198.51.100.1") for _n in range(2)] == [200, 200]
    assert _api_search(proxy, "198.51.100.1") == 429
    # Something the visitor wrote before the proxy's own entry changes nothing.
    assert _api_search(proxy, "203.0.113.5, 198.51.100.1") == 429
    assert _api_search(proxy, "198.51.100.2") == 200


def test_password_reset_counts_the_peer_when_no_proxy_is_declared(settings, patron_bayeux):
    settings.PATRONS_PASSWORD_RESETS_PER_IP_PER_HOUR = 1
    forged = [f"203.0.113.{n}" for n in range(3)]
    statuses = [
        Client(HTTP_HOST="localhost", REMOTE_ADDR="192.0.2.20", HTTP_X_FORWARDED_FOR=address)
        .post("/mot-de-passe-oublie/", {"email": patron_bayeux.user.email})
        .status_code
        for address in forged
    ]
    assert statuses == [302, 429, 429]


def test_a_busy_counters_table_does_not_stop_the_api(calvados, monkeypatch):
    from django.db import OperationalError

    from boite.lib import counters

    def busy(key, seconds):
        raise OperationalError("database is locked")

    monkeypatch.setattr(counters, "hit", busy)
    assert _api_search("192.0.2.30") == 200  # the API limit fails open; logins do not
