"""Scheduled job of the shared helpers: the expired rows of the counters table."""

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from boite.lib import counters

log = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="7"))
def prune_counters() -> None:
    """Delete the counters whose window has ended (only in the database store: Redis
    expires its keys itself)."""
    prune = getattr(counters.store(), "prune", None)
    if prune is not None:
        removed = prune()
        if removed:
            log.info("pruned %d expired counters", removed)
