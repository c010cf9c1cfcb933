"""Jobs of the access app."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from boite.access.models import ServiceTicket


@db_periodic_task(crontab(minute="17"))
def purge_service_tickets() -> int:
    """Spent and expired CAS tickets are kept one hour (for diagnosis), then deleted."""
    return ServiceTicket.objects.purge_expired()


@db_periodic_task(crontab(minute="19"))
def purge_used_authorization_codes() -> int:
    """A code lives a minute; its record (to revoke on reuse) is kept one day."""
    from datetime import timedelta

    from django.utils import timezone

    from boite.access.models import UsedAuthorizationCode

    cutoff = timezone.now() - timedelta(days=1)
    return UsedAuthorizationCode.objects.filter(used_at__lt=cutoff).delete()[0]
