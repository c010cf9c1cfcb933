"""Harvests in the worker: launched from the back office, and scheduled every day."""

from __future__ import annotations

from datetime import timedelta

from django.db import close_old_connections
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task, on_startup

from boite.catalog.harvest.runner import execute, mark_interrupted_runs, start_run
from boite.catalog.models import HarvestRun, Resource
from boite.catalog.search import get_backend


@db_task()
def run_harvest(run_id: int) -> None:
    run = HarvestRun.objects.select_related("resource").get(pk=run_id)
    if run.status == HarvestRun.Status.QUEUED:
        execute(run)


def due_resources(now=None):
    """Resources whose scheduled harvest is due: daily ones, and weekly ones on Mondays."""
    now = now or timezone.now()
    qs = (
        Resource.objects.filter(in_service=True)
        .exclude(harvest_source="", harvest_file="", harvest_drop_file="")
        .exclude(harvest_format="")
    )
    schedules = [Resource.Schedule.DAILY]
    if timezone.localtime(now).weekday() == 0:
        schedules.append(Resource.Schedule.WEEKLY)
    qs = qs.filter(harvest_schedule__in=schedules)
    busy = HarvestRun.objects.filter(
        status__in=[HarvestRun.Status.QUEUED, HarvestRun.Status.RUNNING],
        queued_at__gte=now - timedelta(hours=12),
    ).values("resource")
    return qs.exclude(pk__in=busy)


@db_periodic_task(crontab(hour="3", minute="15"))
def scheduled_harvests() -> None:
    """Every night: a full harvest of each resource that is due, one after the other."""
    for resource in due_resources():
        execute(start_run(resource, mode=HarvestRun.Mode.FULL))


@db_periodic_task(crontab(minute="*/10"))
def refresh_search_index() -> None:
    """Bring this server's index replica up to date with harvests run elsewhere."""
    get_backend().refresh()


@db_periodic_task(crontab(minute="*"))
def interrupted_harvests() -> None:
    """Runs whose worker died with them (no sign of life for ten beats) are marked failed."""
    mark_interrupted_runs()


@on_startup()
def interrupted_harvests_at_start() -> None:
    """A worker starting after a crash marks the dead runs at once, without waiting for the
    next minute (a run killed moments ago still looks alive: the periodic task finds it)."""
    try:
        mark_interrupted_runs()
    finally:
        if not HUEY.immediate:  # as huey's db_task does: tests share one connection
            close_old_connections()
