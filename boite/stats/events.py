"""The one door other apps use to write statistics: `record_event()`.

    from boite.stats.events import EventKind, age_band, record_event

    record_event(
        EventKind.ACCESS_GRANTED,
        patron=patron.pseudonym,
        network=request.network, library=patron.library, commune=patron.commune,
        age_band=age_band(patron.birth_date), resource="cafeyn", connector="signed_link",
    )

Only pseudonyms reach the table: `patron` must be a `Patron.pseudonym` (32 random hex
characters, drawn at registration and kept after erasure). Anything else is refused, so
that a name, an e-mail or a card number cannot slip in. The table does not keep that
value either: it keeps `stats_pseudonym()` of it, an HMAC keyed by STATS_PSEUDONYM_KEY,
so that no column of the statistics joins the patron table. Counting distinct patrons
works the same; finding a patron's events (their data export) needs the key.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import date, datetime

from django.conf import settings
from django.utils import timezone

from boite.stats.models import AgeBand, Event, EventKind

__all__ = ["AgeBand", "EventKind", "age_band", "patron_fields", "record_event", "stats_pseudonym"]

_PSEUDONYM = re.compile(r"^[0-9a-f]{32}$")
_FIELDS = {
    "occurred_at",
    "patron",
    "network",
    "library",
    "commune",
    "age_band",
    "resource",
    "record",
    "connector",
    "result",
    "reason",
}


def stats_pseudonym(patron_pseudonym: str) -> str:
    """What the statistics keep for a patron: HMAC-SHA256 of their pseudonym, keyed by
    STATS_PSEUDONYM_KEY (SECRET_KEY when unset), 32 hexadecimal characters."""
    key = (settings.STATS_PSEUDONYM_KEY or settings.SECRET_KEY).encode()
    message = f"stats:{patron_pseudonym}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def age_band(birth_date: date | None, on: date | None = None) -> str:
    """The age band of a person born on `birth_date` (empty when unknown)."""
    if birth_date is None:
        return AgeBand.UNKNOWN
    on = on or timezone.localdate()
    age = on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))
    if age < 12:
        return AgeBand.CHILD
    if age < 18:
        return AgeBand.TEEN
    if age < 26:
        return AgeBand.YOUNG_ADULT
    if age < 65:
        return AgeBand.ADULT
    return AgeBand.SENIOR


def patron_fields(patron) -> dict:
    """The fields every event about a patron carries: their pseudonym, network, home
    library, its commune and their age band today (`record_event(kind,
    **patron_fields(patron))`)."""
    library = patron.home_library
    return {
        "patron": patron.pseudonym,
        "network": patron.network,
        "library": library,
        "commune": library.authority,
        "age_band": age_band(patron.birth_date),
    }


def record_event(kind: str, **fields) -> Event:
    """Append one event (one INSERT). Unknown fields and non-pseudonymous patrons raise
    ValueError: a programming error, not something to hide."""
    if kind not in EventKind.values:
        raise ValueError(f"unknown event kind {kind!r}")
    unknown = set(fields) - _FIELDS
    if unknown:
        raise ValueError(f"unknown event fields {sorted(unknown)}")
    patron = fields.get("patron") or ""
    if patron and not _PSEUDONYM.match(patron):
        raise ValueError("patron must be a Patron.pseudonym")
    if patron:
        fields["patron"] = stats_pseudonym(patron)
    if fields.get("age_band", "") not in AgeBand.values:
        raise ValueError(f"unknown age band {fields['age_band']!r}")
    occurred_at: datetime = fields.pop("occurred_at", None) or timezone.now()
    for name in ("resource", "record", "connector", "result", "reason"):
        value = fields.get(name)
        if value is not None:
            fields[name] = str(value)[: Event._meta.get_field(name).max_length]
    return Event.objects.create(
        kind=kind, occurred_at=occurred_at, day=timezone.localdate(occurred_at), **fields
    )
