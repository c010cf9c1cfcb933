"""Scheduled jobs of the statistics: the nightly roll-up and the monthly SUSHI fetch."""

from datetime import timedelta

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

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


@db_task()
def retry_sushi_fetch(account_id: int, report_id: str, month: str, attempt: int) -> None:
    """A month the provider had queued or refused for now: ask again, and once more later
    (with a longer delay) while it still says so."""
    from datetime import date

    from boite.stats.models import ProviderAccount
    from boite.stats.sushi import fetch_report, schedule_retry

    account = ProviderAccount.objects.filter(pk=account_id).exclude(sushi_url="").first()
    if account is None:
        return
    first = date.fromisoformat(month)
    result = fetch_report(account, report_id, first, first)
    if result.retry_later:
        schedule_retry(account, report_id, first, attempt + 1)
