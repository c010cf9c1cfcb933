"""What PNB lending puts on the staff desk: licences that run out soon."""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import ngettext

from boite.lending import views
from boite.lending.models import EXPIRING_SOON_DAYS, Licence
from boite.networks.access import may_open
from boite.networks.desk import Task

FEW_LOANS_LEFT = 3


def tasks(request) -> list[Task]:
    if not may_open(views.licence_list, request):
        return []
    licences = Licence.objects.for_network(request.network).active()
    url = reverse("lending:licences")
    expiring = licences.expiring_within(EXPIRING_SOON_DAYS).count()
    running_low = licences.filter(Q(loans_left__lte=FEW_LOANS_LEFT)).count()
    months = EXPIRING_SOON_DAYS // 30
    return [
        Task(
            ngettext(
                "licence expires within %(months)d months",
                "licences expire within %(months)d months",
                expiring,
            )
            % {"months": months},
            expiring,
            url,
        ),
        Task(
            ngettext(
                "licence has %(few)d loans left or fewer",
                "licences have %(few)d loans left or fewer",
                running_low,
            )
            % {"few": FEW_LOANS_LEFT},
            running_low,
            url,
        ),
    ]
