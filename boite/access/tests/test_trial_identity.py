"""Patrons in trial have no card number yet: each provider still gets an identifier of
that patron's own, from the first day; a link is never signed with an empty one; and a
connector that requires a validated card says so before « Accéder »."""

from __future__ import annotations

import html
import logging
from urllib.parse import parse_qs, urlsplit

import pytest

from boite.access.connectors import HandoverError
from boite.access.connectors.signed_link import build_url
from boite.access.identity import Identity, identity_from_patron
from boite.access.models import Connector
from boite.patrons.factories import make_patron
from boite.patrons.models import Patron

pytestmark = pytest.mark.django_db
State = Patron.State


def _signed_id(client, path: str = "/acces/vodeclic/") -> str:
    response = client.get(path)
    assert response.status_code == 302, response.content.decode()[:500]
    return parse_qs(urlsplit(response["Location"]).query)["id"][0]


def test_two_trial_patrons_get_different_signed_links(client, login, demo_access, bayeux_library):
    first = make_patron(bayeux_library, state=State.TRIAL)
    second = make_patron(bayeux_library, state=State.TRIAL)
    assert first.card_number == second.card_number == ""
    login(client, first.user)
    one = _signed_id(client)
    login(client, second.user)
    two = _signed_id(client)
    assert one and two and one != two
    assert one.startswith("T") and len(one) == 24


def test_the_same_trial_patron_gets_the_same_id_twice(client, login, demo_access, bayeux_library):
    patron = make_patron(bayeux_library, state=State.TRIAL)
    login(client, patron.user)
    first = _signed_id(client)
    client.logout()
    login(client, patron.user)
    assert _signed_id(client) == first


def test_the_trial_id_is_per_provider(demo_access, bayeux_library):
    patron = make_patron(bayeux_library, state=State.TRIAL)
    vodeclic = identity_from_patron(patron, demo_access["vodeclic"]).card_number
    cafeyn = identity_from_patron(patron, demo_access["cafeyn"]).card_number
    assert vodeclic != cafeyn
    # The pseudonym it derives from never reaches the provider.
    assert patron.pseudonym.upper()[:23] not in (vodeclic, cafeyn)


def test_a_validated_card_replaces_the_trial_id(client, login, demo_access, bayeux_library):
    patron = make_patron(bayeux_library, state=State.ACTIVE, card_number="BAY0777")
    login(client, patron.user)
    assert _signed_id(client) == "BAY0777"


def test_an_empty_identifier_is_never_signed(caplog):
    recipe = {
        "url": "https://provider.example/sso",
        "params": [
            {"name": "id", "parts": ["card_number"], "hash": "", "encoding": "hex"},
            {"name": "h", "parts": ["card_number", "key"], "hash": "sha256", "encoding": "hex"},
        ],
    }
    nobody = Identity(pseudonym="p" * 32, card_number="", library_name="Médiathèque de Bayeux")
    with caplog.at_level(logging.WARNING), pytest.raises(HandoverError) as refused:
        build_url(recipe, "clé", nobody)
    assert "Médiathèque de Bayeux" in str(refused.value)
    assert "empty identifier" in caplog.text
    assert "clé" not in caplog.text
    # A recipe that names the pseudonym needs it too.
    recipe["params"] = [{"name": "id", "parts": ["pseudonym"], "hash": "", "encoding": "hex"}]
    with pytest.raises(HandoverError):
        build_url(recipe, "clé", Identity(pseudonym=""))


def test_the_gate_refuses_rather_than_sign_an_empty_identifier(
    client, login, demo_access, bayeux_library, monkeypatch
):
    from boite.access import identity as identity_module

    monkeypatch.setattr(identity_module, "trial_card_for", lambda pseudonym, connector: "")
    patron = make_patron(bayeux_library, state=State.TRIAL)
    login(client, patron.user)
    response = client.get("/acces/vodeclic/")
    assert response.status_code == 403
    assert "pas encore d'identifiant pour ce fournisseur" in html.unescape(
        response.content.decode()
    )


def test_a_connector_requiring_a_card_tells_trial_patrons_before_the_click(
    client, login, demo_access, bayeux_library, catalogue_record
):
    Connector.objects.filter(pk=demo_access["vodeclic"].pk).update(requires_card=True)
    patron = make_patron(bayeux_library, state=State.TRIAL)
    login(client, patron.user)
    way_out = "Validez votre inscription à la Médiathèque de Bayeux"
    for page in ("/ressources/vodeclic/", catalogue_record.get_absolute_url()):
        body = html.unescape(client.get(page).content.decode())
        assert way_out in body, page
        assert 'href="/acces/vodeclic/' not in body, page
    refused = client.get("/acces/vodeclic/")
    assert refused.status_code == 403
    assert way_out in html.unescape(refused.content.decode())
    # A patron with a card sees « Accéder » and enters.
    validated = make_patron(bayeux_library, state=State.ACTIVE, card_number="BAY0778")
    login(client, validated.user)
    body = client.get("/ressources/vodeclic/").content.decode()
    assert 'href="/acces/vodeclic/"' in body
    assert _signed_id(client) == "BAY0778"


@pytest.fixture
def catalogue_record(demo_access):
    from boite.catalog.models import Record

    return Record.objects.filter(resource__slug="vodeclic", withdrawn=False).first()
