"""Taking jobs back out of Huey's queue and schedule (an erased patron's e-mails).

Huey can revoke a task — the worker then drops it unrun — but the task's arguments stay
in the storage until the worker reaches it, up to the end of a retry schedule of two
days. So a withdrawn job is removed from the storage too, by its exact serialized value,
for the storages the project runs (SQLite, Redis, the tests' memory), and revoked as
well: a worker that had just taken it still drops it.
"""

from __future__ import annotations

import heapq
import logging
from collections.abc import Callable

from huey.contrib.djhuey import HUEY
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage

logger = logging.getLogger(__name__)


def withdraw(matches: Callable[[object], bool], huey=HUEY) -> int:
    """Remove every queued or scheduled task for which `matches(task)` is true; return
    how many were found."""
    storage = huey.storage
    found = 0
    for where, items in (
        ("queue", storage.enqueued_items()),
        ("schedule", storage.scheduled_items()),
    ):
        for data in items:
            try:
                task = huey.deserialize_task(data)
            except Exception as error:  # a task of code that is gone: not ours to judge
                logger.warning("job storage: a task could not be read (%s)", error)
                continue
            if not matches(task):
                continue
            found += 1
            huey.revoke_by_id(task.id, revoke_once=True)
            _remove(storage, where, data)
    return found


def _remove(storage, where: str, data: bytes) -> None:
    if isinstance(storage, SqliteStorage):
        table = "task" if where == "queue" else "schedule"
        storage.sql(
            f"delete from {table} where queue = ? and data = ?",  # noqa: S608 (fixed names)
            (storage.name, data),
            commit=True,
        )
    elif isinstance(storage, RedisStorage):
        if where == "queue":
            storage.conn.lrem(storage.queue_key, 0, data)
        else:
            storage.conn.zrem(storage.schedule_key, data)
    elif isinstance(storage, MemoryStorage):
        with storage._lock:
            if where == "queue":
                storage._queue = [item for item in storage._queue if item[2] != data]
                heapq.heapify(storage._queue)
            else:
                storage._schedule = [item for item in storage._schedule if item[1] != data]
                heapq.heapify(storage._schedule)
    else:  # revoked only: the worker drops it when it gets there
        logger.warning("job storage %s: a withdrawn task stays until run", type(storage).__name__)
