"""Fixtures of the statistics tests: a few events written through record_event()."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from boite.stats.events import EventKind, record_event

PARIS = ZoneInfo("Europe/Paris")


def pseudo(number: int) -> str:
    """A pseudonym of the shape of `Patron.pseudonym` (32 hex characters)."""
    return f"{number:032x}"


def at(day: str, hour: int = 12) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=PARIS)


@pytest.fixture
def some_events(bayeux_library, lisieux_library, caen_library, communes):
    """March 2026: patrons 1 and 2 of Bayeux, 3 of Lisieux, 4 of Caen."""

    def ev(kind, day, patron, library, **more):
        return record_event(
            kind,
            occurred_at=at(day),
            patron=pseudo(patron),
            network=library.network,
            library=library,
            commune=library.authority,
            **more,
        )

    ev(EventKind.REGISTRATION, "2026-03-01", 1, bayeux_library, age_band="26-64")
    ev(EventKind.REGISTRATION, "2026-03-01", 2, bayeux_library, age_band="0-11")
    ev(EventKind.REGISTRATION, "2026-03-02", 3, lisieux_library, age_band="26-64")
    ev(EventKind.REGISTRATION, "2026-03-02", 4, caen_library, age_band="65+")
    for day in ("2026-03-01", "2026-03-01", "2026-03-02", "2026-03-15"):
        ev(EventKind.ACCESS_GRANTED, day, 1, bayeux_library, resource="cafeyn")
    ev(EventKind.ACCESS_GRANTED, "2026-03-02", 2, bayeux_library, resource="cafeyn")
    ev(EventKind.ACCESS_GRANTED, "2026-03-02", 3, lisieux_library, resource="vodeclic")
    ev(EventKind.ACCESS_GRANTED, "2026-03-02", 4, caen_library, resource="cafeyn")
    ev(
        EventKind.ACCESS_REFUSED,
        "2026-03-15",
        2,
        bayeux_library,
        resource="cafeyn",
        reason="quota",
    )
    ev(EventKind.ACCESS_REFUSED, "2026-04-01", 3, lisieux_library, reason="expired")


@pytest.fixture
def resources(calvados, caen_network):
    """Resources of the catalogue: Cafeyn (opened), PNB e-books (borrowed) and audiobooks."""
    from boite.catalog.models import Provider, Resource

    cafeyn = Provider.objects.create(name="Cafeyn", slug="cafeyn")
    dilicom = Provider.objects.create(name="Dilicom PNB", slug="dilicom-pnb")
    made = {
        "cafeyn": Resource.objects.create(
            provider=cafeyn, name="Cafeyn — la presse", slug="cafeyn", category="presse"
        ),
        "pnb-livres": Resource.objects.create(
            provider=dilicom, name="Livres numériques (PNB)", slug="pnb-livres", category="livre"
        ),
        "pnb-livres-audio": Resource.objects.create(
            provider=dilicom,
            name="Livres audio (PNB)",
            slug="pnb-livres-audio",
            category="livre-audio",
        ),
    }
    for resource in made.values():
        resource.networks.set([calvados, caen_network])
    return made


@pytest.fixture
def year_of_use(bayeux_library, caen_library, resources):
    """2026, worked by hand: Cafeyn opened 6 times by 3 patrons (1 and 2 of Bayeux, 3 of
    Caen); PNB borrowed 3 times by 2 patrons (1 and 4); a refusal and a 2025 access that
    do not count."""

    def ev(kind, day, patron, library, **more):
        record_event(
            kind,
            occurred_at=at(day),
            patron=pseudo(patron),
            network=library.network,
            library=library,
            commune=library.authority,
            **more,
        )

    for day in ("2026-01-05", "2026-01-06", "2026-01-20", "2026-03-02"):
        ev(EventKind.ACCESS_GRANTED, day, 1, bayeux_library, resource="cafeyn")
    ev(EventKind.ACCESS_GRANTED, "2026-02-10", 2, bayeux_library, resource="cafeyn")
    ev(EventKind.ACCESS_GRANTED, "2026-02-11", 3, caen_library, resource="cafeyn")
    ev(EventKind.ACCESS_REFUSED, "2026-02-12", 2, bayeux_library, resource="cafeyn", reason="quota")
    ev(EventKind.ACCESS_GRANTED, "2025-12-31", 2, bayeux_library, resource="cafeyn")
    ev(EventKind.LOAN, "2026-01-07", 1, bayeux_library, resource="pnb-livres", record="pnb:1")
    ev(EventKind.LOAN, "2026-04-07", 1, bayeux_library, resource="pnb-livres", record="pnb:2")
    ev(EventKind.LOAN, "2026-04-08", 4, caen_library, resource="pnb-livres", record="pnb:1")
    from boite.stats.rollup import rollup

    rollup(date(2025, 12, 1), date(2026, 4, 30))
