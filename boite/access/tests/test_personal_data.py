"""The right of access: a patron's data export holds « Mes ressources » (what they opened,
how often, the last title) and every click on « Accéder », granted or refused."""

from __future__ import annotations

import json

import pytest

from boite.catalog.models import Record
from boite.patrons.factories import make_patron
from boite.patrons.models import Patron

pytestmark = pytest.mark.django_db


def _export(client) -> dict:
    return json.loads(client.get("/compte/mes-donnees.json").content)


def test_the_export_lists_the_resources_opened_and_each_access(
    client, login, demo_access, patron_bayeux
):
    record = Record.objects.filter(resource__slug="mediatheque-numerique").first()
    login(client, patron_bayeux.user)
    assert client.get(record.get_access_url()).status_code == 302
    assert client.get("/acces/mediatheque-numerique/").status_code == 302
    assert client.get("/acces/vodeclic/").status_code == 302

    data = _export(client)
    films, courses = sorted(data["resources_opened"], key=lambda r: r["resource"])
    assert (films["resource"], films["times_opened"]) == ("Médiathèque Numérique", 2)
    assert films["last_title"] == ""  # the last click opened the provider's home page
    assert (courses["resource"], courses["times_opened"]) == ("Vodeclic", 1)
    assert films["period_from"].endswith("-01")  # counted per month
    accesses = [e for e in data["statistical_events"] if e["event"] == "access_granted"]
    assert [(e["resource"], e["record"]) for e in accesses] == [
        ("mediatheque-numerique", record.provider_id),
        ("mediatheque-numerique", ""),
        ("vodeclic", ""),
    ]
    assert accesses[0]["event_in_words"] == "accès accordé"


def test_a_refused_access_is_in_the_export_too(client, login, demo_access, bayeux_library):
    suspended = make_patron(
        bayeux_library, state=Patron.State.SUSPENDED, email="s@example.org", card_number="B9"
    )
    login(client, suspended.user)
    assert client.get("/acces/cafeyn/").status_code == 403
    data = _export(client)
    assert data["resources_opened"] == []  # nothing was opened…
    (refusal,) = [e for e in data["statistical_events"] if e["event"] == "access_refused"]
    assert (refusal["resource"], refusal["reason"]) == ("cafeyn", "suspended")  # …but tried
