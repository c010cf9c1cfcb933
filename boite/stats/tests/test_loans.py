"""Loans per title and library, holds waiting: the dashboard's figures agree with the
raw LOAN / HOLD / HOLD_FILLED events, and each person sees only their scope."""

from datetime import date

import pytest

from boite.catalog.models import Record
from boite.stats.events import EventKind, record_event
from boite.stats.models import Event
from boite.stats.rollup import rollup

from .conftest import at, pseudo

pytestmark = pytest.mark.django_db
URL = "/gestion/statistiques/?start=2026-03&end=2026-04"


@pytest.fixture
def lending(bayeux_library, lisieux_library, caen_library, resources):
    """March–April 2026. « Germinal »: 3 loans (Bayeux ×2, Lisieux), 3 holds, 1 filled
    in April → 2 waiting; « Nana »: 1 loan at Caen (another network); a hold placed in
    February and cancelled in March."""
    pnb = resources["pnb-livres"]
    Record.objects.create(resource=pnb, provider_id="978-1", title="Germinal")
    Record.objects.create(resource=pnb, provider_id="978-2", title="Nana")

    def ev(kind, day, patron, library, key):
        record_event(
            kind,
            occurred_at=at(day),
            patron=pseudo(patron),
            network=library.network,
            library=library,
            resource="pnb-livres",
            record=f"pnb-livres:{key}",
        )

    ev(EventKind.LOAN, "2026-03-02", 1, bayeux_library, "978-1")
    ev(EventKind.LOAN, "2026-03-03", 2, bayeux_library, "978-1")
    ev(EventKind.LOAN, "2026-04-03", 3, lisieux_library, "978-1")
    for patron, day in ((4, "2026-03-05"), (5, "2026-03-06"), (6, "2026-04-01")):
        ev(EventKind.HOLD, day, patron, bayeux_library, "978-1")
    ev(EventKind.HOLD_FILLED, "2026-04-20", 4, bayeux_library, "978-1")
    ev(EventKind.HOLD, "2026-02-10", 7, lisieux_library, "978-2")
    ev(EventKind.HOLD_CANCELLED, "2026-03-10", 7, lisieux_library, "978-2")
    ev(EventKind.LOAN, "2026-03-04", 8, caen_library, "978-2")
    rollup(date(2026, 2, 1), date(2026, 4, 30))


def _table(response, key):
    return next(t for t in response.context["tables"] if t.key == key)


def test_loans_per_title_and_holds_waiting(client, login, admin_calvados, lending, calvados):
    login(client, admin_calvados)
    response = client.get(URL)
    titles = _table(response, "loans-titles")
    assert titles.rows == [["Germinal", "Livres numériques (PNB)", 3, 3, 2]]
    raw = Event.objects.filter(network=calvados, kind=EventKind.LOAN, record="pnb-livres:978-1")
    assert titles.rows[0][2] == raw.count()
    libraries = _table(response, "loans-libraries")
    assert libraries.rows == [
        ["Médiathèque de Bayeux", 2, 0, 3, 1],
        ["Médiathèque André Malraux", 1, 0, 0, 0],
    ]
    holds = _table(response, "holds")
    # March: 2 placed, the February hold cancelled → 2 waiting; April: 1 placed, 1 filled.
    assert [row[1:] for row in holds.rows] == [[2, 0, 2], [1, 1, 2]]
    page = response.content.decode()
    assert '<table id="table-loans-titles"' in page and '<table id="table-holds"' in page


def test_library_staff_see_their_library_only(client, login, librarian_lisieux, lending):
    login(client, librarian_lisieux)
    response = client.get(URL)
    assert _table(response, "loans-libraries").rows == [["Médiathèque André Malraux", 1, 0, 0, 0]]
    assert _table(response, "loans-titles").rows == [
        ["Germinal", "Livres numériques (PNB)", 1, 0, 0]
    ]
    assert "cost-per-use" not in {t.key for t in response.context["tables"]}


def test_the_other_network(client, login, admin_caen, lending):
    login(client, admin_caen)
    response = client.get(URL)
    assert _table(response, "loans-titles").rows == [["Nana", "Livres numériques (PNB)", 1, 0, 0]]
    assert _table(response, "holds").rows == []


def test_exports_of_the_new_tables(client, login, admin_calvados, lending):
    login(client, admin_calvados)
    response = client.get("/gestion/statistiques/export/loans-titles.csv?start=2026-03&end=2026-04")
    assert response.status_code == 200
    assert "Germinal;Livres numériques (PNB);3;3;2" in response.content.decode("utf-8-sig")
