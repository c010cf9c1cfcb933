"""Periodic job of the lending app: keep every licence true to its distributor."""

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

from boite.lending import sync


@db_periodic_task(crontab(minute=f"*/{settings.LENDING_SYNC_MINUTES}"))
@lock_task("lending-sync")
def sync_licences_periodically() -> None:
    """Offer files of the inbox, counters, expiry — for every active account."""
    sync.sync_all()


@db_task()
def sync_account_now(account_id: int) -> None:
    """« Synchronise now » from the staff page of a network administrator."""
    from boite.lending.models import DistributorAccount

    account = DistributorAccount.objects.filter(pk=account_id, is_active=True).first()
    if account is not None:
        sync.sync_account(account)


@db_periodic_task(crontab(minute="*/15"))
@lock_task("lending-holds")
def expire_ready_holds_periodically() -> None:
    """Holds whose reservation window has passed: the next patron's turn."""
    from boite.lending.loans import expire_ready_holds

    expire_ready_holds()
