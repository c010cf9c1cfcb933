"""The right of access: a patron's data export lists their loans, current and past, and
their holds — made through the pages, against the fake Dilicom."""

from __future__ import annotations

import json

import pytest

from boite.catalog.models import Record
from boite.lending import loans as lending
from boite.patrons.factories import make_patron

pytestmark = pytest.mark.django_db
PASS = "sésame ouvre-toi"


def _export(client) -> dict:
    response = client.get("/compte/mes-donnees.json")
    assert response.status_code == 200
    return json.loads(response.content)


def test_the_export_lists_past_and_current_loans_and_holds(
    client, login, patron_bayeux, bayeux_library, pnb_resource, pnb_record, make_licence
):
    make_licence(pnb_record, key="OL-1")
    other_title = Record.objects.create(
        resource=pnb_resource, provider_id="9782070360024", title="La Peste",
        isbn="9782070360024", kind="ebook",
    )  # fmt: skip
    make_licence(other_title, key="OL-2")
    login(client, patron_bayeux.user)

    # Borrow and return L'Étranger, borrow it again; La Peste is out, so queue for it.
    form = {"days": 14, "passphrase": PASS, "hint": "la formule"}
    client.post(f"/prets/emprunter/{pnb_record.pk}/", form)
    returned = patron_bayeux.loans.get()
    client.post("/compte/prets/rendre/", {"loan": returned.uuid})
    client.post(f"/prets/emprunter/{pnb_record.pk}/", {**form, "hint": "encore elle"})
    neighbour = make_patron(bayeux_library, email="voisine@example.org", card_number="B77")
    lending.borrow(neighbour, other_title, neighbour.network, lending.BorrowRequest(14, PASS, "x"))
    client.post(f"/prets/reserver/{other_title.pk}/")

    data = _export(client)
    first, second = data["loans"]
    assert (first["title"], first["state"], first["passphrase_hint"]) == (
        "L'Étranger",
        "returned",
        "la formule",
    )
    assert first["state_in_words"] == "rendu" and first["ended_at"] is not None
    assert first["ean"] == "9782070368228" and first["format"] == "ebook"
    assert (second["state"], second["passphrase_hint"]) == ("active", "encore elle")
    assert second["ends_at"].startswith(
        patron_bayeux.loans.get(state="active").ends_at.isoformat()[:10]
    )
    assert PASS not in json.dumps(data, ensure_ascii=False)  # the passphrase is never kept
    (hold,) = data["holds"]
    assert (hold["title"], hold["state"], hold["ended_at"]) == ("La Peste", "waiting", None)
    assert hold["placed_at"] is not None
    # The same steps, as the statistics recorded them under the patron's pseudonym.
    kinds = [e["event"] for e in data["statistical_events"]]
    assert kinds == ["loan", "return", "loan", "hold"]
    assert data["statistical_events"][0]["record"] == f"pnb-livres:{pnb_record.provider_id}"


def test_the_export_holds_nothing_of_another_patron(
    client, login, patron_bayeux, bayeux_library, pnb_record, make_licence
):
    make_licence(pnb_record, concurrency=2)
    neighbour = make_patron(bayeux_library, email="voisine@example.org", card_number="B77")
    lending.borrow(neighbour, pnb_record, neighbour.network, lending.BorrowRequest(14, PASS, "x"))
    login(client, patron_bayeux.user)
    data = _export(client)
    assert data["loans"] == [] and data["holds"] == [] and data["statistical_events"] == []
