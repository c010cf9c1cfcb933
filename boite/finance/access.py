"""Who sees the consortium's finance and governance: the finance role and the network
administrators, each for the networks where they hold the role (all for a superuser).

Built on `boite.networks.access.staff_access`; the finance pages and admin classes
scope every query with these helpers, never by checking roles themselves.
"""

from __future__ import annotations

from django.db.models import QuerySet

from boite.networks.access import staff_access
from boite.networks.models import StaffRole

FINANCE_ROLES = (StaffRole.Kind.FINANCE, StaffRole.Kind.NETWORK_ADMIN)


def finance_network_ids(user) -> frozenset[int] | None:
    """The networks whose finances the user may see; None means every network."""
    access = staff_access(user)
    if access.is_superuser:
        return None
    return access.network_ids(*FINANCE_ROLES)


def may_see_finance(user) -> bool:
    ids = finance_network_ids(user)
    return ids is None or bool(ids)


def scope(user, queryset: QuerySet, network: str) -> QuerySet:
    """Rows of `queryset` whose network (lookup `network`) the user may see."""
    ids = finance_network_ids(user)
    if ids is None:
        return queryset
    return queryset.filter(**{f"{network}__in": ids}).distinct()


# The lookup from each model to the networks that own it: a campaign belongs to its
# network; an agreement to the networks whose partner authority is a party; a contract
# to its agreement's; a committee to its networks.
NETWORK_LOOKUPS = {
    "campaign": "network",
    "membership": "campaign__network",
    "agreement": "parties__networks",
    "amendment": "agreement__parties__networks",
    "sharingkey": "agreement__parties__networks",
    "contract": "agreement__parties__networks",
    "committee": "networks",
    "meeting": "committee__networks",
    "meetingdocument": "meeting__committee__networks",
    "decision": "committee__networks",
}


def scoped(user, model) -> QuerySet:
    return scope(user, model.objects.all(), NETWORK_LOOKUPS[model._meta.model_name])
