"""Fifty clicks at once on « Accéder » give exactly the quota, never one more.

Each click is a thread with its own database connection going through the whole gate
(session, rule, handover, counter, log). On PostgreSQL the counter row is locked with
SELECT … FOR UPDATE and incremented by a conditional UPDATE; on SQLite the same
conditional UPDATE runs alone (SQLite serialises writers).
"""

import threading

import pytest
from django.db import OperationalError, connection
from django.test import Client

from boite.access.models import AccessCounter, Connector, Quota
from boite.catalog.models import Provider, Resource
from boite.stats.models import Event, EventKind

pytestmark = pytest.mark.django_db(transaction=True)

CLICKS = 50
LIMIT = 7


@pytest.fixture
def films(calvados) -> Resource:
    provider = Provider.objects.create(name="Films", slug="films")
    resource = Resource.objects.create(
        provider=provider, name="Films", slug="films", category="cinema"
    )
    resource.networks.add(calvados)
    connector = Connector(
        network=calvados,
        resource=resource,
        name="Films",
        kind="open_link",
        settings={"url": "https://films.example/"},
    )
    connector.full_clean()
    connector.save()
    Quota.objects.create(
        network=calvados,
        resource=resource,
        limit=LIMIT,
        period=Quota.Period.MONTH,
        unit_singular="film",
        unit_plural="films",
    )
    return resource


def _race(action) -> list:
    """Run `action()` in CLICKS threads released at once; their results."""
    start = threading.Barrier(CLICKS)
    results: list = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start.wait()
            results.append(action())
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(CLICKS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return results


def test_fifty_simultaneous_clicks_give_exactly_the_quota(films, patron_bayeux):
    """Through the whole gate on PostgreSQL; the SQLite run races the counter alone."""
    if connection.vendor == "sqlite":
        _race_the_counter_on_sqlite(films, patron_bayeux)
    else:
        _click_through_the_gate(films, patron_bayeux)


def _click_through_the_gate(films, patron_bayeux) -> None:
    browser = Client(HTTP_HOST="localhost")
    browser.force_login(patron_bayeux.user)
    session = browser.cookies["sessionid"].value

    def click() -> int:
        client = Client(HTTP_HOST="localhost")
        client.cookies["sessionid"] = session
        return client.get("/acces/films/").status_code

    statuses = _race(click)
    assert sorted(statuses) == [302] * LIMIT + [403] * (CLICKS - LIMIT)
    assert AccessCounter.objects.get(patron=patron_bayeux, resource=films).opened == LIMIT
    assert Event.objects.filter(kind=EventKind.ACCESS_GRANTED).count() == LIMIT
    refused = Event.objects.filter(kind=EventKind.ACCESS_REFUSED)
    assert refused.count() == CLICKS - LIMIT
    assert set(refused.values_list("reason", flat=True)) == {"quota"}


def _race_the_counter_on_sqlite(films, patron_bayeux) -> None:
    """The SQLite variant races the counter itself. The test database lives in memory
    with a shared cache, whose table locks fail at once instead of waiting like a
    database file does (busy timeout): a count that met one is tried again — `take` is
    one transaction, so a failed attempt counted nothing."""
    quota = Quota.objects.get(resource=films)

    def count() -> bool:
        while True:
            try:
                return AccessCounter.take(patron_bayeux, films, quota)
            except OperationalError as error:
                if "locked" not in str(error):
                    raise

    results = _race(count)
    assert sorted(results) == [False] * (CLICKS - LIMIT) + [True] * LIMIT
    assert AccessCounter.objects.get(patron=patron_bayeux, resource=films).opened == LIMIT
