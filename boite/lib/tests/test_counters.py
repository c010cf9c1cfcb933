"""The counters store (boite.lib.counters): atomic, windowed, never culled by the page
cache, pruned by its job; the database store on SQLite and on PostgreSQL."""

import os
import threading
import uuid
from datetime import timedelta

import pytest
import redis
import time_machine
from django.core.cache import caches
from django.db import connection
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import timezone

from boite.lib import counters, lockout
from boite.lib.counters import DatabaseCounters, RedisCounters
from boite.lib.models import Counter
from boite.lib.pagecache import anonymous_page_cache
from boite.lib.tasks import prune_counters

_DATABASE = "boite.lib.counters.DatabaseCounters"


@pytest.fixture
def database_store(settings):
    """The database store whatever the environment (REDIS_URL would give Redis)."""
    settings.CACHES = {**settings.CACHES, "counters": {"BACKEND": _DATABASE}}


@pytest.fixture
def redis_store(settings):
    url = os.environ.get("BOITE_TEST_REDIS_URL", "redis://127.0.0.1:6379/8")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        # Redis is one of the services the project runs on (and CI starts it).
        pytest.fail(f"no Redis at {url} (BOITE_TEST_REDIS_URL): start it, see the README")
    prefix = f"test-counters-{uuid.uuid4().hex}"
    settings.CACHES = {
        **settings.CACHES,
        "counters": {
            "BACKEND": "boite.lib.counters.RedisCounters",
            "LOCATION": url,
            "KEY_PREFIX": prefix,
        },
    }
    yield redis.Redis.from_url(url)
    client = redis.Redis.from_url(url)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


def test_a_hit_counts_within_its_window_then_starts_again(db, database_store):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        assert [counters.hit("k", 60) for _n in range(3)] == [1, 2, 3]
        traveller.shift(timedelta(seconds=30))
        assert counters.hit("k", 60) == 4  # the window opened at the first hit
        traveller.shift(timedelta(seconds=31))
        assert counters.value("k") == 0
        assert counters.hit("k", 60) == 1


@pytest.mark.parametrize("store", ["database_store", "redis_store"])
def test_put_value_and_forget(db, store, request):
    request.getfixturevalue(store)
    counters.put("lock", 1234, 60)
    assert counters.value("lock") == 1234
    counters.forget("lock")
    assert counters.value("lock") == 0


def test_in_redis_every_counter_gets_its_expiry(redis_store):
    assert [counters.hit("k", 60) for _n in range(3)] == [1, 2, 3]
    key = counters.store().make_key("k")
    assert 0 < redis_store.ttl(key) <= 60  # set by the first hit, kept by the others
    redis_store.persist(key)  # a key left without expiry (by hand) gets one again
    assert counters.hit("k", 60) == 4 and 0 < redis_store.ttl(key) <= 60


def test_the_prune_job_deletes_only_ended_windows(db, database_store):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        counters.hit("short", 10)
        counters.hit("long", 3600)
        traveller.shift(timedelta(seconds=11))
        prune_counters.call_local()
    assert list(Counter.objects.values_list("name", flat=True)) == [":1:long"]


def test_the_counters_are_a_store_of_their_own_apart_from_pages(settings):
    expected = RedisCounters if settings.REDIS_URL else DatabaseCounters
    assert isinstance(caches["counters"], expected)
    assert caches["pages"] is not caches["default"]


def _page(request):
    return HttpResponse(f"<p>{request.GET['n']}</p>", content_type="text/html")


def test_a_flood_of_kept_pages_does_not_remove_a_lockout(
    db, settings, tmp_path, patron_bayeux, rf: RequestFactory
):
    # The stores of a deployment without Redis: files for the pages (which cull a third
    # of their entries when full), the database for the counters.
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "pages": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path / "pages"),
            "OPTIONS": {"MAX_ENTRIES": 300},
        },
        "counters": {"BACKEND": _DATABASE},
    }
    settings.PAGE_CACHE_SECONDS = 60
    settings.PATRONS_LOGIN_FAILURES_PER_ACCOUNT = 3
    attacker = rf.post("/connexion/", REMOTE_ADDR="203.0.113.5")
    attacker.network = patron_bayeux.network
    for _n in range(3):
        lockout.record_failure(attacker, lockout.PATRONS, patron_bayeux.email, attacker.network.pk)
    kept = anonymous_page_cache(_page)
    for n in range(2000):
        kept(rf.get("/", {"n": n}))
    assert len(list((tmp_path / "pages").iterdir())) <= 300  # the pages were culled
    until = lockout.locked_until(
        attacker, lockout.PATRONS, patron_bayeux.email, attacker.network.pk
    )
    assert until is not None and until > timezone.now()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("store", ["database_store", "redis_store"])
def test_two_threads_counting_at_once_lose_no_hit(store, request):
    request.getfixturevalue(store)
    per_thread = 150
    start = threading.Barrier(2)

    def count() -> None:
        try:
            start.wait()
            for _n in range(per_thread):
                counters.hit("race", 600)
        finally:
            connection.close()

    threads = [threading.Thread(target=count) for _n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert counters.value("race") == 2 * per_thread


def test_the_deployment_check_warns_of_a_redis_that_evicts_any_key(redis_store, monkeypatch):
    from boite.lib.counters import check_counters_never_evicted

    client = counters.store()._cache.get_client(write=True)
    monkeypatch.setattr(
        type(client), "config_get", lambda self, name: {name: "allkeys-lru"}, raising=True
    )
    assert [w.id for w in check_counters_never_evicted()] == ["boite.W020"]
    monkeypatch.setattr(type(client), "config_get", lambda self, name: {name: "noeviction"})
    assert check_counters_never_evicted() == []


def test_the_deployment_check_warns_of_counters_in_a_culling_cache(settings):
    from boite.lib.counters import check_counters_never_evicted

    settings.CACHES = {
        **settings.CACHES,
        "counters": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    }
    assert [w.id for w in check_counters_never_evicted()] == ["boite.W020"]
    settings.CACHES = {**settings.CACHES, "counters": {"BACKEND": _DATABASE}}
    assert check_counters_never_evicted() == []
