"""What finance puts on the staff desk: membership calls not yet paid."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import ngettext

from boite.finance import access, views
from boite.finance.models import Membership
from boite.networks.access import may_open
from boite.networks.desk import Task


def tasks(request) -> list[Task]:
    if not may_open(views.home, request):
        return []
    unpaid = (
        access.scope(request.user, Membership.objects.all(), "campaign__network")
        .filter(state=Membership.State.INVOICED)
        .count()
    )
    return [
        Task(
            ngettext(
                "membership call invoiced and not yet paid",
                "membership calls invoiced and not yet paid",
                unpaid,
            ),
            unpaid,
            reverse("finance:home"),
        )
    ]
