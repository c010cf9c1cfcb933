"""JSON API of the statistics (`/api/stats/…`): the dashboard's tables, for staff only
and scoped like the dashboard; small patron counts masked as in every export."""

from __future__ import annotations

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.errors import HttpError
from ninja.responses import codes_4xx
from ninja.security import django_auth

from boite.lib.api import ApiError
from boite.networks.access import StaffAccess, staff_access
from boite.networks.models import StaffRole
from boite.stats.figures import TABLES, Scope, table_for, visible_networks
from boite.stats.forms import DashboardForm

router = Router(tags=["statistics"], auth=django_auth)
_READERS = (StaffRole.Kind.NETWORK_ADMIN, StaffRole.Kind.LIBRARY_STAFF)


class NetworkOut(Schema):
    slug: str
    name: str


class TableOut(Schema):
    key: str
    title: str
    first_month: str
    last_month: str
    network: str | None
    columns: list[str]
    rows: list[list[int | str | None]]


def _reader(request: HttpRequest) -> StaffAccess:
    access = staff_access(request.user)
    if not (access.is_superuser or any(k in _READERS for k, _n, _l in access.roles)):
        raise HttpError(403, _("Statistics are for network and library staff."))
    return access


@router.get("/stats/networks", response={200: list[NetworkOut], codes_4xx: ApiError})
def networks(request: HttpRequest):
    """Networks whose figures you may read."""
    return list(visible_networks(_reader(request)).values("slug", "name"))


@router.get("/stats/tables", response={200: list[str], codes_4xx: ApiError})
def tables(request: HttpRequest):
    """Keys of the tables (some need a whole network: not for library staff)."""
    _reader(request)
    return list(TABLES)


@router.get("/stats/tables/{key}", response={200: TableOut, codes_4xx: ApiError})
def table(
    request: HttpRequest,
    key: str,
    network: str = "",
    start: str = "",
    end: str = "",
):
    """One table over a period (start and end as YYYY-MM; the last twelve months by
    default), for one network (slug) or every network you may read."""
    access = _reader(request)
    form = DashboardForm(
        {"network": network, "start": start, "end": end}, networks=visible_networks(access)
    )
    if not form.is_valid():
        raise HttpError(400, "; ".join(e for errors in form.errors.values() for e in errors))
    first, last = form.period()
    scope = Scope(access, first, last, network=form.picked_network())
    found = table_for(scope, key)
    if found is None:
        raise Http404
    return {
        **found.as_dict(),
        "first_month": f"{first:%Y-%m}",
        "last_month": f"{last:%Y-%m}",
        "network": scope.network.slug if scope.network else None,
    }
