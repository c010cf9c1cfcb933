"""What the patrons app puts on the staff desk: registrations to validate, trials ending."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import ngettext

from boite.networks.access import may_open
from boite.networks.desk import Task
from boite.patrons import staff_views
from boite.patrons.models import Patron

ENDING_SOON_DAYS = 7
RENEW_SOON_DAYS = 30


def tasks(request) -> list[Task]:
    if not may_open(staff_views.queue, request):
        return []
    today = timezone.localdate()
    patrons = staff_views.scoped_patrons(request)
    waiting = patrons.awaiting_validation()
    queue = reverse("patrons:staff_queue")
    ending = waiting.filter(trial_ends_on__lte=today + timedelta(days=ENDING_SOON_DAYS)).count()
    total = waiting.count()
    renew = patrons.filter(
        state=Patron.State.ACTIVE,
        expires_on__gte=today,
        expires_on__lte=today + timedelta(days=RENEW_SOON_DAYS),
    ).count()
    return [
        Task(
            ngettext(
                "%(count)d trial ends within a week without validation",
                "%(count)d trials end within a week without validation",
                ending,
            )
            % {"count": ending},
            ending,
            queue,
            urgent=True,
        ),
        Task(
            ngettext(
                "%(count)d registration to validate",
                "%(count)d registrations to validate",
                total,
            )
            % {"count": total},
            total,
            queue,
        ),
        Task(
            ngettext(
                "%(count)d membership expires within 30 days",
                "%(count)d memberships expire within 30 days",
                renew,
            )
            % {"count": renew},
            renew,
            queue,
        ),
    ]
