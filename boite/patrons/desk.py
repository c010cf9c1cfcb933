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
                "trial ends within a week without validation",
                "trials end within a week without validation",
                ending,
            ),
            ending,
            queue,
            urgent=True,
        ),
        Task(
            ngettext(
                "registration to validate",
                "registrations to validate",
                total,
            ),
            total,
            queue,
        ),
        Task(
            ngettext(
                "membership expires within 30 days",
                "memberships expire within 30 days",
                renew,
            ),
            renew,
            queue,
        ),
    ]
