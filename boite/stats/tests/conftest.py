"""Fixtures of the statistics tests: a few events written through record_event()."""

from datetime import datetime
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
