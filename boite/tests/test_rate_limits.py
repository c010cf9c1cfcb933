"""Rate limits on what a script could repeat: password reset (each request sends an
e-mail). Login and registration are limited in boite/patrons (test_login.py,
test_registration.py); the API in test_api_schema.py."""

import pytest
from django.core import mail

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
