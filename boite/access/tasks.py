"""Jobs of the access app."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from boite.access.models import ServiceTicket


@db_periodic_task(crontab(minute="17"))
def purge_service_tickets() -> int:
    """Spent and expired CAS tickets are kept one hour (for diagnosis), then deleted."""
    return ServiceTicket.objects.purge_expired()
