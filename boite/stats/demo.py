"""A year of invented activity for the demo networks, so that the statistics pages show
something believable before patrons, direct access and lending write real events.

Every patron here is a pseudonym of « demo-<n> »: no person behind it. The next wave
replaces this with events written by the patrons, access and lending apps' demos.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from django.utils import timezone

from boite.networks.models import Library, Network
from boite.stats.counter import ParsedReport, Row, import_report
from boite.stats.events import age_band
from boite.stats.models import AgeBand, Event, EventKind, ProviderAccount
from boite.stats.rollup import month_start, next_month, rollup

RESOURCES = {
    "mediatheque-numerique": 0.25,
    "cafeyn": 0.22,
    "toutapprendre": 0.12,
    "vodeclic": 0.08,
    "skilleos": 0.06,
    "philharmonie": 0.07,
    "digame": 0.05,
    "ma-petite-mediatheque": 0.07,
    "pnb-ebooks": 0.08,
}
PATRONS_PER_LIBRARY = (5, 30)
SEED = 14


def load(stdout) -> None:
    rng = random.Random(SEED)  # noqa: S311 — invented demo activity, not a secret
    today = timezone.localdate()
    first_day = month_start(today) - timedelta(days=365)
    libraries = list(Library.objects.members().select_related("network", "authority"))
    events: list[Event] = []
    patron_number = 0
    names, weights = list(RESOURCES), list(RESOURCES.values())
    for library in libraries:
        for _ in range(rng.randint(*PATRONS_PER_LIBRARY)):
            patron_number += 1
            pseudonym = f"{rng.getrandbits(128):032x}"
            born = today - timedelta(days=rng.randint(5 * 365, 85 * 365))
            band = age_band(born)
            joined = first_day + timedelta(days=rng.randint(0, 360))
            common = {
                "patron": pseudonym,
                "network": library.network,
                "library": library,
                "commune": library.authority,
                "age_band": band if rng.random() > 0.05 else AgeBand.UNKNOWN,
            }
            events.append(_event(EventKind.REGISTRATION, joined, rng, common))
            if rng.random() < 0.8:
                events.append(
                    _event(
                        EventKind.VALIDATION,
                        joined + timedelta(days=rng.randint(1, 20)),
                        rng,
                        common,
                    )
                )
            favourite = rng.choices(names, weights)[0]
            day = joined
            while True:
                day += timedelta(days=rng.expovariate(1 / 14) + 1)
                if day >= today:
                    break
                resource = favourite if rng.random() < 0.6 else rng.choices(names, weights)[0]
                if rng.random() < 0.04:
                    reason = rng.choice(["expired", "quota", "not_validated"])
                    events.append(
                        _event(
                            EventKind.ACCESS_REFUSED,
                            day,
                            rng,
                            common,
                            resource=resource,
                            reason=reason,
                        )
                    )
                else:
                    events.append(
                        _event(EventKind.ACCESS_GRANTED, day, rng, common, resource=resource)
                    )
    Event.objects.bulk_create(events, batch_size=2000)
    run = rollup(first_day, today - timedelta(days=1))
    stdout.write(f"statistics: {len(events)} demo events, {run.events} rolled up")
    _provider_reports(rng, first_day, today)


def _event(kind, day, rng, common, **more) -> Event:
    moment = timezone.make_aware(
        datetime.combine(day, time(rng.randint(8, 22), rng.randint(0, 59)))
    )
    return Event(kind=kind, occurred_at=moment, day=day, **common, **more)


def _provider_reports(rng, first_day, today) -> None:
    """A year of Cafeyn figures per network, as the provider would send them."""
    last = month_start(today) - timedelta(days=1)
    for network in Network.objects.all():
        account, _ = ProviderAccount.objects.get_or_create(
            network=network,
            provider="cafeyn",
            defaults={"name": "Cafeyn", "customer_id": f"DEMO-{network.slug.upper()}"},
        )
        rows, month = [], month_start(first_day)
        while month <= last:
            for title in ("Ouest-France", "Télérama", "Le Monde", "Géo"):
                requests = rng.randint(40, 400)
                rows.append(Row(month, "Total_Item_Requests", requests, item=title))
                rows.append(Row(month, "Unique_Item_Requests", requests // 3, item=title))
            month = next_month(month)
        report = ParsedReport("5", "TR", {account.customer_id}, month_start(first_day), last, rows)
        import_report(account, report, replace=True, filename="demo")
