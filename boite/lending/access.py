"""Who may see and manage the licences of a network.

Licences belong to networks, not to libraries: every staff member of a network (its
administrators and the staff of its libraries) may see them; only its administrators may
act on them (start a sync, change a licence in the back office).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from boite.networks.access import staff_access
from boite.networks.models import Network, StaffRole

Kind = StaffRole.Kind
VIEW_ROLES = (Kind.NETWORK_ADMIN, Kind.LIBRARY_STAFF)


def may_view_licences(user, network: Network | None) -> bool:
    access = staff_access(user)
    if network is None:
        return False
    return access.is_superuser or network.pk in access.network_ids(*VIEW_ROLES)


def may_manage_licences(user, network: Network | None) -> bool:
    return network is not None and staff_access(user).is_network_admin(network)


def network_for_licences(user, network: Network | None, *, manage: bool = False) -> Network:
    """The portal's network when the person may see (or manage) its licences, else 403."""
    allowed = may_manage_licences if manage else may_view_licences
    if not allowed(user, network):
        raise PermissionDenied
    return network
