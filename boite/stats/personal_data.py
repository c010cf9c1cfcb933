"""Statistics' part of the patron's data export: the events recorded under their
pseudonym — registration steps, each « Accéder » granted or refused (the access log),
loans, returns, holds.

While the account exists its pseudonym, hashed with the statistics' key
(`stats_pseudonym`), still finds these events, so they are personal data and belong in
the export; once the account is erased nothing links them back to anyone. The event
table has no index on `patron` (inserts stay cheap): this is a scan, acceptable for a
download a patron asks for now and then.
"""

from __future__ import annotations

from boite.patrons.personal_data import iso, section
from boite.stats.events import stats_pseudonym
from boite.stats.models import Event, EventKind


@section("statistical_events")
def statistical_events(patron) -> list[dict]:
    labels = dict(EventKind.choices)
    rows = Event.objects.filter(patron=stats_pseudonym(patron.pseudonym)).order_by(
        "occurred_at", "pk"
    )
    return [
        {
            "at": iso(event.occurred_at),
            "event": event.kind,
            "event_in_words": str(labels.get(event.kind, event.kind)),
            "resource": event.resource,
            "record": event.record,
            "result": event.result,
            "reason": event.reason,
        }
        for event in rows.only(
            "occurred_at", "kind", "resource", "record", "result", "reason"
        ).iterator()
    ]
