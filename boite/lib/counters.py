"""The counters that protect people: login failures and lockouts, registration, password
reset and API rate limits.

They live in the cache alias `counters`, never in the cache that keeps pages: a store
that evicts entries to make room (the file cache culls a third of its files when full,
Redis with an `allkeys-*` policy drops any key) would let a visitor who floods public
pages wipe the count of someone else's failed passwords. The alias is

- Redis (`RedisCounters`) when `REDIS_URL` is set — an instance whose
  `maxmemory-policy` never evicts these keys (docs/deployment.md);
- otherwise a table of the database (`DatabaseCounters`, model `lib.Counter`): one row a
  counter, incremented atomically by one upsert, expiring by its timestamp; the
  `prune_counters` job deletes the expired rows every hour.

Every counter has a window: it starts at the first `hit()` and the count is forgotten
when the window ends, so that no counter outlives the protection it serves.
"""

from __future__ import annotations

import time

from django.core import checks
from django.core.cache import caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.core.cache.backends.redis import RedisCache
from django.db import connections, models, router, transaction

ALIAS = "counters"


def store() -> BaseCache:
    return caches[ALIAS]


def hit(key: str, seconds: int) -> int:
    """Count one more event under `key` and return the count in the current window
    (1 for the first, which opens a window of `seconds`). Atomic across processes."""
    return store().hit(key, seconds)


def value(key: str) -> int:
    """The count (or value put) under `key`, 0 once its window has ended."""
    return int(store().get(key) or 0)


def put(key: str, number: int, seconds: int) -> None:
    """Keep `number` under `key` for `seconds` (a lock's end, as a timestamp)."""
    store().set(key, int(number), seconds)


def forget(*keys: str) -> None:
    store().delete_many(list(keys))


class RedisCounters(RedisCache):
    """Django's Redis cache with an atomic `hit()`: INCR and, on a key that has no
    expiry yet, EXPIRE in one script, so that no counter is ever left without one."""

    _SCRIPT = (
        "local n = redis.call('INCR', KEYS[1]) "
        "if redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end "
        "return n"
    )

    def hit(self, key: str, seconds: int) -> int:
        key = self.make_and_validate_key(key)
        client = self._cache.get_client(key, write=True)
        return int(client.eval(self._SCRIPT, 1, key, max(1, int(seconds))))


class DatabaseCounters(BaseCache):
    """Integer counters in the `lib_counter` table (SQLite or PostgreSQL), for a
    deployment without Redis. Only what the counters need: integer values, an expiry
    per row, `hit()` as one `INSERT … ON CONFLICT DO UPDATE … RETURNING` statement (both
    databases run it atomically, whatever the number of processes)."""

    def __init__(self, location, params):
        super().__init__(params)

    @staticmethod
    def _model():
        from boite.lib.models import Counter

        return Counter

    def _db(self) -> str:
        return router.db_for_write(self._model())

    def _expiry(self, timeout) -> float:
        timeout = self.get_backend_timeout(timeout)
        # "Forever" is ten years: no counter row is meant to outlive its purpose.
        return time.time() + 10 * 365 * 86400 if timeout is None else timeout

    def hit(self, key: str, seconds: int) -> int:
        key = self.make_and_validate_key(key)
        now = time.time()
        db = self._db()
        table = connections[db].ops.quote_name(self._model()._meta.db_table)
        # Only the table's own name is formatted in; every value is a parameter.
        sql = (
            f"INSERT INTO {table} (name, value, expires) VALUES (%s, 1, %s) "  # noqa: S608
            f"ON CONFLICT (name) DO UPDATE SET "
            f"value = CASE WHEN {table}.expires <= %s THEN 1 ELSE {table}.value + 1 END, "
            f"expires = CASE WHEN {table}.expires <= %s THEN %s ELSE {table}.expires END "
            f"RETURNING value"
        )
        until = now + max(1, int(seconds))
        with transaction.atomic(using=db), connections[db].cursor() as cursor:
            cursor.execute(sql, [key, until, now, now, until])
            return int(cursor.fetchone()[0])

    def get(self, key, default=None, version=None):
        key = self.make_and_validate_key(key, version=version)
        row = (
            self._model()
            .objects.filter(name=key, expires__gt=time.time())
            .values_list("value", flat=True)
            .first()
        )
        return default if row is None else row

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        key = self.make_and_validate_key(key, version=version)
        self._model().objects.update_or_create(
            name=key, defaults={"value": int(value), "expires": self._expiry(timeout)}
        )

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        if self.has_key(key, version=version):
            return False
        self.set(key, value, timeout, version)
        return True

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        key = self.make_and_validate_key(key, version=version)
        return bool(
            self._model()
            .objects.filter(name=key, expires__gt=time.time())
            .update(expires=self._expiry(timeout))
        )

    def incr(self, key, delta=1, version=None):
        key = self.make_and_validate_key(key, version=version)
        updated = (
            self._model()
            .objects.filter(name=key, expires__gt=time.time())
            .update(value=models.F("value") + delta)
        )
        if not updated:
            raise ValueError(f"Key '{key}' not found")
        return self._model().objects.get(name=key).value

    def delete(self, key, version=None):
        key = self.make_and_validate_key(key, version=version)
        return bool(self._model().objects.filter(name=key).delete()[0])

    def delete_many(self, keys, version=None):
        names = [self.make_and_validate_key(key, version=version) for key in keys]
        self._model().objects.filter(name__in=names).delete()

    def has_key(self, key, version=None):
        key = self.make_and_validate_key(key, version=version)
        return self._model().objects.filter(name=key, expires__gt=time.time()).exists()

    def clear(self):
        self._model().objects.all().delete()

    def prune(self) -> int:
        """Delete the rows whose window has ended; return how many."""
        return self._model().objects.filter(expires__lte=time.time()).delete()[0]


# -- deployment check -----------------------------------------------------------------------


@checks.register(checks.Tags.caches, deploy=True)
def check_counters_never_evicted(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """`check --deploy` warns when the counters could be evicted: a store that is not
    one of the two above, or a Redis whose policy may drop any key (allkeys-*)."""
    counters_store = store()
    hint = "See « Caches and counters » in docs/deployment.md."
    if isinstance(counters_store, DatabaseCounters):
        return []
    if not isinstance(counters_store, RedisCounters):
        return [
            checks.Warning(
                "The 'counters' cache is neither Redis nor the database: login lockouts and "
                "rate limits may be evicted or kept per process.",
                hint=hint,
                id="boite.W020",
            )
        ]
    try:
        client = counters_store._cache.get_client(write=True)
        policy = client.config_get("maxmemory-policy").get("maxmemory-policy", "")
    except Exception:  # CONFIG refused (managed Redis) or Redis down: nothing to tell
        return []
    if policy.startswith("allkeys"):
        return [
            checks.Warning(
                f"The Redis of the counters evicts any key (maxmemory-policy {policy}): "
                "a flood of kept pages could wipe login lockouts.",
                hint=f"Use noeviction, or a Redis of its own (COUNTERS_REDIS_URL). {hint}",
                id="boite.W020",
            )
        ]
    return []
