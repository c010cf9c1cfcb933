"""Access's part of the patron's data export: « Mes ressources » — how many times they
opened each resource in each period (the quota counters), when they last did, and the
last title. Each click itself is in the statistical events (boite.stats)."""

from __future__ import annotations

from boite.access.models import AccessCounter
from boite.patrons.personal_data import iso, section


@section("resources_opened")
def resources_opened(patron) -> list[dict]:
    rows = AccessCounter.objects.filter(patron=patron).select_related("resource", "last_record")
    return [
        {
            "resource": counter.resource.name,
            "period_from": iso(counter.period_start),
            "times_opened": counter.opened,
            "last_opened_at": iso(counter.last_opened_at),
            "last_title": counter.last_record.title if counter.last_record else "",
        }
        for counter in rows.order_by("period_start", "resource__name")
    ]
