"""Request bodies are bounded before anything reads them (boite.lib.security
RequestBodyLimitMiddleware): 64 KB for visitors who are not logged in, the largest
upload for staff."""

import pytest
from django.test import Client

from boite.patrons.models import Patron

pytestmark = pytest.mark.django_db


def test_a_50_mb_anonymous_post_is_refused_with_413(client, calvados, caplog):
    body = b"email=x%40example.org&first_name=" + b"A" * (50 * 1024 * 1024)
    response = client.post("/inscription/", body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
    page = response.content.decode()
    assert "Trop de données envoyées" in page and "64" in page
    assert not Patron.objects.exists()
    assert "request body refused" in caplog.text


def test_the_body_is_refused_from_its_announced_length_without_reading_it(calvados):
    class Unreadable:
        def read(self, *args):
            raise AssertionError("the body was read")

        readline = read

    client = Client(HTTP_HOST="localhost")
    response = client.generic(
        "POST",
        "/connexion/",
        b"",
        content_type="application/x-www-form-urlencoded",
        CONTENT_LENGTH=str(10 * 1024 * 1024),
        **{"wsgi.input": Unreadable()},
    )
    assert response.status_code == 413


def test_an_ordinary_anonymous_form_passes(client, calvados):
    response = client.post("/connexion/", {"identifier": "a@example.org", "secret": "x"})
    assert response.status_code == 200  # refused for the password, not for the size


def test_an_anonymous_body_of_unknown_length_is_refused(calvados):
    response = Client(HTTP_HOST="localhost").generic(
        "POST", "/connexion/", b"", HTTP_TRANSFER_ENCODING="chunked", CONTENT_LENGTH=""
    )
    assert response.status_code == 411


def test_staff_may_send_more_but_not_without_bound(client, login, admin_calvados, settings):
    login(client, admin_calvados)
    settings.REQUEST_BODY_MAX_BYTES = 1024 * 1024
    small = client.post("/admin/", {"pad": "A" * 200_000})
    assert small.status_code != 413
    big = client.post("/admin/", {"pad": "A" * 2_000_000})
    assert big.status_code == 413
    assert "envoyez un fichier plus petit" in big.content.decode()
