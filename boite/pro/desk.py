"""What the professional space puts on the staff desk: the network's next events."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import ngettext

from boite.networks.access import may_open
from boite.networks.desk import Task
from boite.pro import views
from boite.pro.models import Event

SOON_DAYS = 30


def tasks(request) -> list[Task]:
    if not may_open(views.index, request):
        return []
    now = timezone.now()
    soon = Event.objects.filter(
        network=request.network, starts_at__gte=now, starts_at__lte=now + timedelta(SOON_DAYS)
    ).count()
    return [
        Task(
            ngettext(
                "professional event within 30 days",
                "professional events within 30 days",
                soon,
            ),
            soon,
            reverse("pro:index"),
        )
    ]
