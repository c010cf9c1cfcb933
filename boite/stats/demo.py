"""A year of demo activity for both networks, so that the statistics pages, the yearly
report and the cost per use show something believable.

The demo patrons of each library (from the patrons demo) come first, with their own
pseudonym, library and age band; invented pseudonyms (32 random hex characters, no
person behind them) add volume. Every kind of event is there: registration, e-mail
confirmation, validation, renewal, suspension, expiry, access granted and refused (with
the gate's reasons), loans, returns and holds of the demo catalogue's PNB titles.
Demo events carry result « demo »: loading the demo again replaces them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from boite.catalog.models import Provider, Record, Resource
from boite.networks.demo import figure
from boite.networks.models import Library, Network
from boite.patrons.models import Patron
from boite.stats.counter import ParsedReport, Row, import_report
from boite.stats.events import age_band, stats_pseudonym
from boite.stats.models import AgeBand, Event, EventKind, ProviderAccount
from boite.stats.rollup import first_event_day, month_start, next_month, rollup

# Share of the openings of each resource (by short name); PNB titles are borrowed.
OPENED = {
    "mediatheque-numerique": 0.27,
    "cafeyn": 0.24,
    "toutapprendre": 0.13,
    "vodeclic": 0.08,
    "skilleos": 0.07,
    "philharmonie": 0.08,
    "digame": 0.06,
    "ma-petite-mediatheque": 0.07,
}
BORROWED = ("pnb-livres", "pnb-livres-audio")
REFUSALS = {"expired": 5, "quota": 4, "trial_over": 3, "age": 1, "unconfirmed": 1}
PATRONS_PER_LIBRARY = (8, 32)
DEMO = "demo"
SEED = 14


@dataclass
class Person:
    pseudonym: str
    library: Library
    band: str


def load(stdout) -> None:
    rng = random.Random(SEED)  # noqa: S311 — invented demo activity, not a secret
    today = timezone.localdate()
    first_day = month_start(today) - timedelta(days=365)
    earliest = min(first_event_day() or first_day, first_day)  # an earlier demo's days too
    Event.objects.filter(result=DEMO).delete()
    opened = {slug: w for slug, w in OPENED.items() if Resource.objects.filter(slug=slug).exists()}
    opened = opened or OPENED  # without the catalogue demo, the keys alone
    titles = _pnb_titles()
    events: list[Event] = []
    waiting: dict[str, list[tuple[Person, date]]] = {}
    for library in Library.objects.members().select_related("network", "authority"):
        for person in _people(library, rng, today):
            _a_year(person, rng, first_day, today, opened, titles, waiting, events)
    for key, queue in waiting.items():  # some holds are cancelled, the rest still wait
        for person, placed in queue:
            if rng.random() < 0.3:
                day = placed + timedelta(days=rng.randint(3, 40))
                if day < today:
                    events.append(
                        _event(EventKind.HOLD_CANCELLED, day, rng, person, **key_fields(key))
                    )
    Event.objects.bulk_create(events, batch_size=2000)
    run = rollup(earliest, today - timedelta(days=1))
    reports = _provider_reports(rng, first_day, today)
    stdout.write(
        f"{figure(len(events))} demo events over a year, {figure(run.events)} rolled up; "
        f"{figure(reports)} COUNTER reports from Cafeyn"
    )


def key_fields(key: str) -> dict:
    return {"resource": key.split(":", 1)[0], "record": key}


def _pnb_titles() -> list[str]:
    keys = Record.objects.filter(resource__slug__in=BORROWED, withdrawn=False).values_list(
        "resource__slug", "provider_id"
    )
    keys = [f"{slug}:{provider_id}" for slug, provider_id in keys.order_by("pk")[:60]]
    return keys or [f"pnb-livres:demo-{n}" for n in range(20)]


def _people(library: Library, rng: random.Random, today: date) -> list[Person]:
    """The library's demo patrons, then invented ones."""
    people = [
        Person(p.pseudonym, library, age_band(p.birth_date))
        for p in Patron.objects.filter(home_library=library).order_by("pk")
    ]
    for _ in range(rng.randint(*PATRONS_PER_LIBRARY)):
        born = today - timedelta(days=rng.randint(5 * 365, 85 * 365))
        band = age_band(born) if rng.random() > 0.05 else AgeBand.UNKNOWN
        people.append(Person(f"{rng.getrandbits(128):032x}", library, band))
    return people


def _a_year(person, rng, first_day, today, opened, titles, waiting, events) -> None:
    """One patron's year: joined during it (70 %) or before it (renewal due)."""
    add = events.append
    newcomer = rng.random() < 0.7
    if newcomer:
        joined = first_day + timedelta(days=rng.randint(0, 360))
        add(_event(EventKind.REGISTRATION, joined, rng, person))
        if rng.random() < 0.92:
            add(_event(EventKind.CONFIRMATION, joined, rng, person))
        if rng.random() < 0.75:
            validated = joined + timedelta(days=rng.randint(1, 20))
            if validated < today:
                add(_event(EventKind.VALIDATION, validated, rng, person))
        else:
            return  # a trial that went no further
    else:
        joined = first_day
        due = first_day + timedelta(days=rng.randint(0, 360))
        if due < today:
            if rng.random() < 0.6:
                add(_event(EventKind.RENEWAL, due, rng, person))
            else:
                add(_event(EventKind.EXPIRY, due, rng, person))
                add(_event(EventKind.ACCESS_REFUSED, due + timedelta(days=2), rng, person,
                           resource=rng.choice(list(opened)), reason="expired"))  # fmt: skip
                return
    if rng.random() < 0.01:
        add(_event(EventKind.SUSPENSION, joined + timedelta(days=rng.randint(5, 200)), rng, person))
    names, weights = list(opened), list(opened.values())
    favourite = rng.choices(names, weights)[0]
    reasons, reason_weights = list(REFUSALS), list(REFUSALS.values())
    reader = rng.random() < 0.3
    day = joined
    while True:
        day += timedelta(days=rng.expovariate(1 / 12) + 1)
        if day >= today:
            break
        if reader and rng.random() < 0.35:
            _borrow(person, day, rng, titles, waiting, events, today)
            continue
        resource = favourite if rng.random() < 0.6 else rng.choices(names, weights)[0]
        if rng.random() < 0.04:
            reason = rng.choices(reasons, reason_weights)[0]
            add(
                _event(EventKind.ACCESS_REFUSED, day, rng, person, resource=resource, reason=reason)
            )
        else:
            add(_event(EventKind.ACCESS_GRANTED, day, rng, person, resource=resource))


def _borrow(person, day, rng, titles, waiting, events, today) -> None:
    """A loan of a PNB title, or a hold on a popular one (filled later, with its loan)."""
    popular = titles[: max(1, len(titles) // 6)]
    key = rng.choice(popular) if rng.random() < 0.4 else rng.choice(titles)
    if key in popular and rng.random() < 0.5:
        events.append(_event(EventKind.HOLD, day, rng, person, **key_fields(key)))
        filled = day + timedelta(days=rng.randint(5, 60))
        if filled < today and rng.random() < 0.8:
            events.append(_event(EventKind.HOLD_FILLED, filled, rng, person, **key_fields(key)))
            events.append(_event(EventKind.LOAN, filled, rng, person, **key_fields(key)))
            day = filled
        else:
            waiting.setdefault(key, []).append((person, day))
            return
    else:
        events.append(_event(EventKind.LOAN, day, rng, person, **key_fields(key)))
    back = day + timedelta(days=rng.randint(3, 21))
    if back < today:
        events.append(_event(EventKind.RETURN, back, rng, person, **key_fields(key)))


def _event(kind, day, rng, person: Person, **more) -> Event:
    moment = timezone.make_aware(
        datetime.combine(day, time(rng.randint(8, 22), rng.randint(0, 59)))
    )
    library = person.library
    return Event(
        kind=kind,
        occurred_at=moment,
        day=day,
        patron=stats_pseudonym(person.pseudonym),
        network=library.network,
        library=library,
        commune=library.authority,
        age_band=person.band,
        result=DEMO,
        **more,
    )


def _provider_reports(rng, first_day, today) -> int:
    """A year of Cafeyn figures per network, as the provider would send them."""
    reports = 0
    last = month_start(today) - timedelta(days=1)
    cafeyn = Provider.objects.filter(slug="cafeyn").first()
    for network in Network.objects.all():
        account, _ = ProviderAccount.objects.update_or_create(
            network=network,
            provider="cafeyn",
            defaults={
                "name": "Cafeyn",
                "customer_id": f"DEMO-{network.slug.upper()}",
                "catalog_provider": cafeyn,
            },
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
        reports += 1
    return reports
