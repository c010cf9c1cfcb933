"""Who may do what in the professional space, on the network of the current portal.

Built on `boite.networks.access` (no role is checked anywhere else in this app):

- *members* are the staff of the portal's network — any StaffRole there — and
  superusers; they read the blog, comment, register for events, read documents
  meant for their role, and see the directory;
- *writers* are the network's editors and network administrators; they write
  posts, events and documents of their network;
- staff of another network are not members here: on their own portal they read
  their network's content plus what was explicitly shared with every network.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from boite.networks.access import staff_access
from boite.networks.models import Network, StaffRole
from boite.pro.models import Document

Kind = StaffRole.Kind


def is_member(user, network: Network | None) -> bool:
    access = staff_access(user)
    return network is not None and (access.is_superuser or network.pk in access.network_ids())


def can_write(user, network: Network | None) -> bool:
    access = staff_access(user)
    return network is not None and (
        access.has_role(Kind.EDITOR, network) or access.is_network_admin(network)
    )


def readable_audiences(user, network: Network) -> list[str]:
    """Document audiences this person may read on this network."""
    access = staff_access(user)
    audiences = [Document.Audience.STAFF]
    if can_write(user, network):
        audiences.append(Document.Audience.WRITERS)
    if access.is_network_admin(network):
        audiences.append(Document.Audience.ADMINS)
    return audiences


def pro_required(*, write: bool = False):
    """Views of /pro/: anonymous visitors go to the login page; people who are not staff
    of the portal's network (or not writers, with write=True) get a 403."""

    check = can_write if write else is_member

    def may_open(request) -> bool:
        return request.user.is_authenticated and check(
            request.user, getattr(request, "network", None)
        )

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not may_open(request):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.may_open = may_open  # for the staff menu
        return wrapped

    return decorator
