"""Scheduled jobs of the statistics: the nightly roll-up and the monthly SUSHI fetch."""

from datetime import timedelta

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from boite.stats.rollup import rollup


@db_periodic_task(crontab(hour="2", minute="15"))
def nightly_rollup() -> None:
    """Yesterday, and the day before in case events arrived late after the last run."""
    yesterday = timezone.localdate() - timedelta(days=1)
    rollup(yesterday - timedelta(days=1), yesterday)


@db_periodic_task(crontab(day="5", hour="4", minute="30"))
def monthly_sushi_fetch() -> None:
    """Last month's reports of every account that has a SUSHI server."""
    from boite.stats.sushi import fetch_last_month_for_all

    fetch_last_month_for_all()
