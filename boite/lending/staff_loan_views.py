"""Staff pages about loans and holds: purchase suggestions and loans per title.

Figures only, never who borrowed: a librarian sees how much a title is used and waited
for, not by whom (patrons are pseudonymous in lending records shown to staff)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from boite.catalog.models import Record
from boite.lending.access import VIEW_ROLES, network_for_licences
from boite.lending.models import Hold, Licence, Loan
from boite.networks.access import staff_required

_PER_PAGE = 50


def _copies(network):
    """Simultaneous copies of a record in the network's licences still in force."""
    return Subquery(
        Licence.objects.filter(
            networks=network,
            record=OuterRef("pk"),
            state__in=[Licence.State.ACTIVE, Licence.State.EXHAUSTED],
        )
        .values("record")
        .annotate(total=Sum("concurrent_max", filter=Q(state=Licence.State.ACTIVE)))
        .values("total")
    )


def _waiting(network):
    return Subquery(
        Hold.objects.filter(record=OuterRef("pk"), network=network, state__in=Hold.OPEN_STATES)
        .values("record")
        .annotate(n=Count("pk"))
        .values("n")
    )


@require_GET
@staff_required(*VIEW_ROLES)
def suggestions(request: HttpRequest) -> HttpResponse:
    """Titles whose queue is longer than their copies: what to buy again."""
    network = network_for_licences(request.user, request.network)
    records = (
        Record.objects.filter(licences__networks=network)
        .distinct()
        .annotate(copies=Coalesce(_copies(network), 0), waiting=Coalesce(_waiting(network), 0))
        .filter(waiting__gt=0)
        .order_by("-waiting", "title")
    )
    rows = [r for r in records if r.waiting > r.copies]
    return render(request, "lending/staff/suggestions.html", {"rows": rows})


@require_GET
@staff_required(*VIEW_ROLES)
def loans_by_title(request: HttpRequest) -> HttpResponse:
    network = network_for_licences(request.user, request.network)
    loans = Loan.objects.filter(network=network).exclude(state=Loan.State.FAILED)
    rows = (
        loans.exclude(record=None)
        .values("record", "record__title")
        .annotate(
            total=Count("pk"),
            current=Count("pk", filter=Q(state=Loan.State.ACTIVE)),
            returned_early=Count("pk", filter=Q(state=Loan.State.RETURNED)),
            borrowers=Count("patron", distinct=True),
        )
        .order_by("-total", "record__title")
    )
    page = Paginator(rows, _PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "lending/staff/loans_by_title.html", {"page": page})
