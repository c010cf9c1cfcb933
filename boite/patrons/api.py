"""JSON API of the patrons: the logged-in patron's own state, and the patrons a staff
member may see (scoped by the same access rule as the staff pages)."""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from ninja.responses import codes_4xx
from ninja.security import django_auth

from boite.lib.api import ApiError
from boite.networks.access import staff_access
from boite.networks.models import StaffRole
from boite.patrons.models import Patron

router = Router(tags=["patrons"])
PAGE_SIZE = 100


class MyAccount(Schema):
    pseudonym: str
    state: str
    is_active: bool
    reason: str | None
    trial_ends_on: date | None
    expires_on: date | None
    home_library: str


class PatronRow(Schema):
    id: int
    card_number: str
    last_name: str
    first_name: str
    email: str
    home_library: str
    state: str
    expires_on: date | None


@router.get("/patrons/me", response={200: MyAccount, codes_4xx: ApiError}, auth=django_auth)
def my_account(request: HttpRequest):
    patron = (
        Patron.objects.select_related("home_library", "network")
        .filter(user=request.user, network=request.network)
        .first()
    )
    if patron is None:
        raise HttpError(404, "Not a patron of this portal.")
    return {
        "pseudonym": patron.pseudonym,
        "state": patron.state,
        "is_active": patron.is_active_on(),
        "reason": patron.refusal_reason(),
        "trial_ends_on": patron.trial_ends_on,
        "expires_on": patron.expires_on,
        "home_library": patron.home_library.name,
    }


@router.get("/patrons/", response={200: list[PatronRow], codes_4xx: ApiError}, auth=django_auth)
def list_patrons(request: HttpRequest, page: int = Query(1, ge=1, le=1_000_000)):
    access = staff_access(request.user)
    if not (
        access.is_superuser
        or access.has_role(StaffRole.Kind.LIBRARY_STAFF)
        or access.has_role(StaffRole.Kind.NETWORK_ADMIN)
    ):
        raise HttpError(403, "Staff only.")
    patrons = access.scope(
        Patron.objects.exclude(state=Patron.State.ERASED),
        library="home_library",
        network="network",
    ).select_related("user", "home_library")
    start = max(page - 1, 0) * PAGE_SIZE
    return [
        {
            "id": p.pk,
            "card_number": p.card_number,
            "last_name": p.user.last_name if p.user else "",
            "first_name": p.user.first_name if p.user else "",
            "email": p.email,
            "home_library": p.home_library.name,
            "state": p.state,
            "expires_on": p.expires_on,
        }
        for p in patrons.order_by("pk")[start : start + PAGE_SIZE]
    ]
