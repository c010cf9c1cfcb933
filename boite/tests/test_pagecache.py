"""Public pages kept for anonymous visitors (boite.lib.pagecache): what is kept, for whom,
and that the kept page's CSRF token still works."""

import re

import pytest
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from boite.catalog.categories import Category
from boite.catalog.models import Provider, Resource

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture(autouse=True)
def _cache_on(settings):
    settings.PAGE_CACHE_SECONDS = 60


def _visitor(host: str = "localhost", **cookies) -> Client:
    visitor = Client(HTTP_HOST=host, enforce_csrf_checks=True)
    for name, value in cookies.items():
        visitor.cookies[name] = value
    return visitor


def test_the_second_anonymous_visitor_gets_the_kept_page_without_a_query(
    calvados, django_assert_num_queries
):
    first = _visitor().get("/categories/cinema/")
    assert first.status_code == 200
    with django_assert_num_queries(0):
        second = _visitor().get("/categories/cinema/")
    assert second.status_code == 200
    strip = lambda page: TOKEN.sub("", page.content.decode())  # noqa: E731
    assert strip(second) == strip(first)


def test_the_kept_page_gives_each_visitor_a_working_csrf_token(calvados):
    _visitor().get("/")
    visitor = _visitor()
    page = visitor.get("/")
    token = TOKEN.search(page.content.decode()).group(1)
    assert "__boite_csrf_token__" not in page.content.decode()
    assert "csrftoken" in page.cookies  # as an uncached page would set it
    switched = visitor.post("/i18n/setlang/", {"csrfmiddlewaretoken": token, "language": "en"})
    assert switched.status_code == 302
    assert visitor.get("/").content.decode().count('lang="en"') >= 1


def test_logged_in_patrons_never_share_the_anonymous_page(calvados, patron_bayeux):
    anonymous = _visitor().get("/").content.decode()
    assert "Se déconnecter" not in anonymous
    patron = _visitor()
    patron.force_login(patron_bayeux.user)
    assert "Se déconnecter" in patron.get("/").content.decode()
    # and a page first rendered for the patron is not kept for the next anonymous visitor
    assert "Se déconnecter" in patron.get("/categories/presse/").content.decode()
    assert "Se déconnecter" not in _visitor().get("/categories/presse/").content.decode()


def test_each_portal_and_each_language_has_its_own_page(calvados, caen_network):
    calvados_home = _visitor("localhost").get("/").content.decode()
    caen_home = _visitor("caen.localhost").get("/").content.decode()
    assert "La Boîte numérique" in calvados_home
    assert "Caen la Mer" in caen_home and "Caen la Mer" not in calvados_home
    english = _visitor(django_language="en").get("/").content.decode()
    assert '<html lang="en">' in english
    assert '<html lang="fr">' in _visitor().get("/").content.decode()


def _queries(visitor: Client, path: str = "/") -> int:
    with CaptureQueriesContext(connection) as captured:
        assert visitor.get(path).status_code == 200
    return len(captured)


def test_a_visitor_with_a_message_waiting_gets_a_fresh_page(calvados):
    _visitor().get("/")
    assert _queries(_visitor()) == 0
    assert _queries(_visitor(messages="x")) > 0


def test_a_change_shows_to_anonymous_visitors_once_the_page_expires(calvados, patron_bayeux):
    provider = Provider.objects.create(name="Fournisseur", slug="fournisseur")
    resource = Resource.objects.create(
        provider=provider, name="Revue des marées", slug="revue", category=Category.PRESS
    )
    resource.networks.set([calvados])
    assert "Revue des marées" in _visitor().get("/categories/presse/").content.decode()
    resource.in_service = False
    resource.save()
    # Kept: the anonymous page still lists it until the delay runs out ...
    assert "Revue des marées" in _visitor().get("/categories/presse/").content.decode()
    # ... while anyone logged in sees the change at once.
    patron = _visitor()
    patron.force_login(patron_bayeux.user)
    assert "Revue des marées" not in patron.get("/categories/presse/").content.decode()
    caches["pages"].clear()  # the delay ran out
    assert "Revue des marées" not in _visitor().get("/categories/presse/").content.decode()


def test_the_cache_is_off_when_the_delay_is_zero(calvados, settings):
    settings.PAGE_CACHE_SECONDS = 0
    _visitor().get("/")
    assert _queries(_visitor()) > 0


def _record_keys(monkeypatch, alias: str) -> list[str]:
    store, keys = caches[alias], []
    original = store.set

    def recording(key, *args, **kwargs):
        keys.append(key)
        return original(key, *args, **kwargs)

    monkeypatch.setattr(store, "set", recording)
    return keys


def test_pages_are_kept_apart_from_the_default_cache(calvados, monkeypatch):
    pages, default = _record_keys(monkeypatch, "pages"), _record_keys(monkeypatch, "default")
    _visitor().get("/categories/cinema/")
    assert any(key.startswith("page:") for key in pages)
    assert not any(key.startswith("page:") for key in default)


def test_a_store_that_refuses_the_page_still_serves_it(calvados, monkeypatch):
    def full(*args, **kwargs):
        raise OSError("OOM command not allowed when used memory > 'maxmemory'")

    monkeypatch.setattr(caches["pages"], "set", full)
    response = _visitor().get("/categories/cinema/")
    assert response.status_code == 200 and "Cinéma" in response.content.decode()
