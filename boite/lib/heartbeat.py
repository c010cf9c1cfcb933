"""A long job's sign of life, and what the next worker concludes from its absence.

A job killed with SIGKILL (or whose machine stopped) runs no `except` and no `finally`:
its row would say « running » for ever. So while a long job runs, a thread stamps its
row every `JOBS_HEARTBEAT_SECONDS` (30 s) on a database connection of its own — the
job's own connection may be inside a long transaction nobody else can see into. A row
still « running » whose stamp is older than `STALE_BEATS` beats belongs to a dead job;
the worker marks it failed (at start-up and every minute: boite/catalog/tasks.py).
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

logger = logging.getLogger(__name__)

STALE_BEATS = 10


def beat_seconds() -> float:
    return float(getattr(settings, "JOBS_HEARTBEAT_SECONDS", 30))


def stale_before(now: datetime | None = None) -> datetime:
    """Stamps older than this are a dead job's."""
    return (now or timezone.now()) - timedelta(seconds=beat_seconds() * STALE_BEATS)


class Heartbeat:
    """`with Heartbeat(Model.objects.filter(pk=…)):` stamps `field` every few seconds."""

    def __init__(self, rows, field: str = "heartbeat_at", every: float | None = None) -> None:
        self.rows = rows
        self.field = field
        self.every = every if every is not None else beat_seconds()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="heartbeat", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=self.every + 5)

    def _beat(self) -> None:
        try:
            while not self._stop.wait(self.every):
                try:
                    self.rows.update(**{self.field: timezone.now()})
                except DatabaseError as error:
                    # The database restarting, say: a new connection at the next beat.
                    logger.warning("heartbeat missed: %s", error)
                    connection.close()
        finally:
            connection.close()  # this thread's own connection
