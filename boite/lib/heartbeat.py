"""A long job's sign of life, and what the next worker concludes from its absence.

A job killed with SIGKILL (or whose machine stopped) runs no `except` and no `finally`:
its row would say « running » for ever. So while a long job runs, a thread stamps its
row every `JOBS_HEARTBEAT_SECONDS` (30 s) on a database connection of its own — the
job's own connection may be inside a long transaction nobody else can see into. A row
still « running » whose stamp is older than `STALE_BEATS` beats belongs to a dead job;
the worker marks it failed (at start-up and every minute: boite/catalog/tasks.py).

Each beat also goes to the cache under the job's `key` (Redis in production, files under
var/cache otherwise). On SQLite the row cannot be stamped while the job's transaction
holds SQLite's single write lock — a harvest's does, from its first record to its
commit — so the thread leaves the row alone there, and the cache says the job is alive.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.utils import timezone

logger = logging.getLogger(__name__)

STALE_BEATS = 10


def beat_seconds() -> float:
    return float(getattr(settings, "JOBS_HEARTBEAT_SECONDS", 30))


def stale_before(now: datetime | None = None) -> datetime:
    """Stamps older than this are a dead job's."""
    return (now or timezone.now()) - timedelta(seconds=beat_seconds() * STALE_BEATS)


def beats_since(key: str, now: datetime | None = None) -> bool:
    """Whether the job beating under `key` gave a sign of life in the cache lately."""
    last = cache.get(key)
    return last is not None and last >= stale_before(now).timestamp()


class Heartbeat:
    """`with Heartbeat(Model.objects.filter(pk=…), key=…):` stamps `field` (and the cache
    under `key`) every few seconds."""

    def __init__(
        self, rows, field: str = "heartbeat_at", every: float | None = None, key: str = ""
    ) -> None:
        self.rows = rows
        self.field = field
        self.key = key
        self.every = every if every is not None else beat_seconds()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="heartbeat", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._stamp_cache()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=self.every + 5)
        if self.key:
            try:
                cache.delete(self.key)
            except Exception as error:
                logger.warning("heartbeat not cleared: %s", error)

    def _stamp_cache(self) -> None:
        if self.key:
            try:
                cache.set(self.key, timezone.now().timestamp(), beat_seconds() * STALE_BEATS * 2)
            except Exception as error:  # the cache down must not stop the job, nor the beats
                logger.warning("heartbeat not cached: %s", error)

    def _beat(self) -> None:
        try:
            while not self._stop.wait(self.every):
                self._stamp_cache()
                if connection.vendor == "sqlite":
                    continue  # the job's transaction may hold the write lock: cache only
                try:
                    self.rows.update(**{self.field: timezone.now()})
                except DatabaseError as error:
                    # The database restarting, say: a new connection at the next beat.
                    logger.warning("heartbeat missed: %s", error)
                    connection.close()
        finally:
            connection.close()  # this thread's own connection
