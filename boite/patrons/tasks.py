"""Daily jobs of the patrons: end of trials, reminders, expiry, anonymisation."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from boite.patrons import services


@db_periodic_task(crontab(hour="2", minute="10"))
def daily_patron_jobs() -> dict[str, int]:
    return {
        "trials_ended": services.end_trials(),
        "reminders": services.send_reminders(),
        "expired": services.expire_accounts(),
        "anonymised": services.anonymise_expired(),
    }
