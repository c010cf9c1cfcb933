"""Signed-link recipes, checked by a fake provider that recomputes every hash."""

import hashlib
from datetime import date

import httpx
import pytest
import time_machine
from django.test import RequestFactory
from hypothesis import given
from hypothesis import strategies as st

from boite.access.connectors import HandoverError
from boite.access.connectors.signed_link import PRESETS, SignedLink, build_url, preset
from boite.access.identity import Identity
from boite.access.models import Connector
from boite.access.tests.conftest import FROZEN, KEY

IDENTITY = Identity(
    pseudonym="p" * 32,
    card_number="14000123456",
    email="camille.martin@example.org",
    first_name="Camille",
    last_name="Martin",
    birth_date=date(1990, 5, 17),
    library_code="BAYEUX",
    library_name="Médiathèque de Bayeux",
    network="boite-numerique",
)


def _connector(network, recipe: dict, key: str = KEY) -> Connector:
    connector = Connector(network=network, name="Fournisseur", kind="signed_link", settings=recipe)
    connector.full_clean()
    connector.set_secret("key", key)
    connector.save()
    return connector


def _follow(connector: Connector, target: str = "") -> httpx.Response:
    request = RequestFactory().get("/acces/")
    response = connector.handover(request, IDENTITY, target)
    assert response.status_code == 302
    return httpx.get(response["Location"], timeout=5)


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_is_recognised_by_the_fake_provider(db, calvados, fake_provider, name):
    _label, scheme, _recipe = PRESETS[name]
    url = fake_provider.add(f"/{name}/sso", scheme, KEY)
    connector = _connector(calvados, preset(name, url=url))
    with time_machine.travel(FROZEN, tick=False):
        answer = _follow(connector)
    assert answer.status_code == 200
    assert answer.text == "recognised as 14000123456"


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_a_wrong_key_is_refused_by_the_fake_provider(db, calvados, fake_provider, name):
    _label, scheme, _recipe = PRESETS[name]
    url = fake_provider.add(f"/{name}/sso", scheme, KEY)
    connector = _connector(calvados, preset(name, url=url), key="not-the-key")
    with time_machine.travel(FROZEN, tick=False):
        answer = _follow(connector)
    assert answer.status_code == 403


def test_a_toutapprendre_link_expires_after_a_few_minutes(db, calvados, fake_provider):
    url = fake_provider.add("/ta/sso", "toutapprendre", KEY)
    connector = _connector(calvados, preset("toutapprendre", url=url))
    request = RequestFactory().get("/acces/")
    with time_machine.travel(FROZEN, tick=False) as traveller:
        location = connector.handover(request, IDENTITY)["Location"]
        assert httpx.get(location, timeout=5).status_code == 200
        traveller.shift(60 * 10)
        assert httpx.get(location, timeout=5).status_code == 403


def test_mediatheque_numerique_sends_the_return_url_of_a_film(db, calvados, fake_provider):
    url = fake_provider.add("/mn/sso_login", "mediatheque_numerique", KEY)
    connector = _connector(calvados, preset("mediatheque_numerique", url=url))
    film = fake_provider.url("/films/12345-les-quatre-cents-coups")
    answer = _follow(connector, film)
    assert answer.status_code == 200
    assert fake_provider.seen[-1]["return_url"] == film
    assert fake_provider.seen[-1]["dnaiss"] == "1990"


def test_the_hashes_are_those_of_the_field_documentation():
    recipe = preset("mediatheque_numerique", url="https://mn.example/sso_login?lang=fr")
    url = build_url(recipe, KEY, IDENTITY, "https://mn.example/film/1", now=FROZEN)
    query = dict(httpx.URL(url).params)
    assert query["lang"] == "fr"
    assert query["id_encrypted"] == hashlib.sha256(b"14000123456" + KEY.encode()).hexdigest()
    assert query["return_url"] == "https://mn.example/film/1"
    assert query["nom"] == "Martin"

    url = build_url(preset("toutapprendre"), KEY, IDENTITY, now=FROZEN)
    query = dict(httpx.URL(url).params)
    assert query["d"] == "202607010030"  # Paris time, not UTC
    expected = hashlib.md5(f"14000123456202607010030{KEY}".encode()).hexdigest()  # noqa: S324
    assert query["hash"] == expected

    url = build_url(preset("vodeclic"), KEY, IDENTITY, now=FROZEN)
    query = dict(httpx.URL(url).params)
    assert query["d"] == hashlib.sha256(f"01072026{KEY}".encode()).hexdigest()


def test_hash_encodings_and_sha1():
    recipe = {
        "url": "https://p.example/in",
        "params": [
            {"name": "a", "parts": ["card_number", "key"], "hash": "sha1", "encoding": "HEX"},
            {"name": "b", "parts": ["text:x", "library_code"], "hash": "md5", "encoding": "base64"},
        ],
    }
    cleaned, errors = SignedLink.validate_settings(recipe)
    assert errors == {}
    query = dict(httpx.URL(build_url(cleaned, "k", IDENTITY)).params)
    assert query["a"] == hashlib.sha1(b"14000123456k").hexdigest().upper()  # noqa: S324
    assert len(query["b"]) == 24  # base64 of 16 bytes


def test_no_open_redirect_to_another_site(db, calvados):
    connector = _connector(calvados, preset("mediatheque_numerique"))
    request = RequestFactory().get("/acces/")
    for target in ("https://evil.example/film", "http://vod.mediatheque-numerique.com/x", "//evil"):
        with pytest.raises(HandoverError):
            connector.handover(request, IDENTITY, target)


def test_a_connector_without_its_key_refuses_to_hand_over(db, calvados):
    connector = _connector(calvados, preset("vodeclic"), key="")
    with pytest.raises(HandoverError, match="clé secrète"):
        connector.handover(RequestFactory().get("/"), IDENTITY)


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"url": "ftp://x.example/", "params": [{"name": "a", "parts": ["email"]}]}, "url"),
        ({"url": "https://x.example/", "params": []}, "params"),
        ({"url": "https://x.example/", "params": [{"name": "a", "parts": ["password"]}]}, "params"),
        (
            {"url": "https://x.example/", "params": [{"name": "a", "parts": ["date:dd/mm"]}]},
            "params",
        ),
        (
            {
                "url": "https://x.example/",
                "params": [{"name": "a", "parts": ["key"], "hash": "crc"}],
            },
            "params",
        ),
        ({"url": "https://x.example/"}, "params"),
    ],
)
def test_bad_recipes_are_refused_with_a_message(settings, field):
    _cleaned, errors = SignedLink.validate_settings(settings)
    assert field in errors
    assert all(message for message in errors[field])


@given(
    st.recursive(
        st.none() | st.booleans() | st.text() | st.integers(),
        lambda c: st.lists(c) | st.dictionaries(st.text(), c),
    )
)
def test_any_json_is_either_a_valid_recipe_or_a_clear_refusal(value):
    cleaned, errors = SignedLink.validate_settings(value)
    assert bool(cleaned) != bool(errors)
