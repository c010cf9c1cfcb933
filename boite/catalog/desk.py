"""What the catalogue puts on the staff desk: harvests that failed this week."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import ngettext

from boite.catalog import views
from boite.catalog.models import HarvestRun, Resource
from boite.networks.access import may_open, staff_access
from boite.networks.desk import Task

RECENT_DAYS = 7


def tasks(request) -> list[Task]:
    if not may_open(views.harvests, request):
        return []
    since = timezone.now() - timedelta(days=RECENT_DAYS)
    # The administrators who can start a harvest again are the ones told of a failure.
    managed = Resource.objects.for_staff(staff_access(request.user), manage=True)
    runs = HarvestRun.objects.filter(resource__in=managed.values("pk"))
    failed = (
        runs.filter(
            status__in=[HarvestRun.Status.FAILED, HarvestRun.Status.REFUSED], queued_at__gte=since
        )
        .values("resource")
        .distinct()
        .count()
    )
    return [
        Task(
            ngettext(
                "resource whose harvest failed this week",
                "resources whose harvest failed this week",
                failed,
            ),
            failed,
            reverse("catalog:harvests"),
            urgent=True,
        )
    ]
