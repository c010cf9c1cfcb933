"""The one place that decides what a staff member may see and change.

Every staff page, admin class and API endpoint asks `staff_access(user)` and scopes
its queries with `StaffAccess.scope()`; nothing checks roles inline. The rules:

- a superuser sees everything (the consortium's technical administrators);
- a network administrator sees everything of their network(s);
- library staff see the objects of their own library only;
- the finance role and editors see their network's objects of their own domain
  (the apps that hold finance and editorial pages decide which with `has_role`);
- a shared thing (a provider, a resource, a distributor account used by several
  networks) has one owner network, or none for the consortium's: only the owner's
  administrators and the superusers change or delete it (`may_change_shared`); the
  other networks see it read-only and keep their own settings of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet

from boite.networks.models import Library, Network, StaffRole

Kind = StaffRole.Kind


@dataclass(frozen=True)
class StaffAccess:
    user_id: int | None
    is_superuser: bool = False
    roles: frozenset[tuple[str, int, int | None]] = field(default_factory=frozenset)

    # -- what the person is -------------------------------------------------
    @property
    def is_staff(self) -> bool:
        return self.is_superuser or bool(self.roles)

    def network_ids(self, *kinds: str) -> frozenset[int]:
        """Networks where the person holds one of the roles (any role if none given)."""
        return frozenset(n for k, n, _lib in self.roles if not kinds or k in kinds)

    @property
    def admin_network_ids(self) -> frozenset[int]:
        return self.network_ids(Kind.NETWORK_ADMIN)

    @property
    def library_ids(self) -> frozenset[int]:
        return frozenset(lib for k, _n, lib in self.roles if k == Kind.LIBRARY_STAFF and lib)

    def has_role(self, kind: str, network: Network | int | None = None) -> bool:
        if self.is_superuser:
            return True
        network_id = network.pk if isinstance(network, Network) else network
        return any(k == kind and (network_id is None or n == network_id) for k, n, _ in self.roles)

    def is_network_admin(self, network: Network | int | None = None) -> bool:
        return self.has_role(Kind.NETWORK_ADMIN, network)

    # -- what the person may see --------------------------------------------
    def networks(self) -> QuerySet[Network]:
        """Networks the person administers (all for a superuser)."""
        if self.is_superuser:
            return Network.objects.all()
        return Network.objects.filter(pk__in=self.admin_network_ids)

    def networks_worked_on(self) -> QuerySet[Network]:
        """Networks where the person holds any role (all for a superuser)."""
        if self.is_superuser:
            return Network.objects.all()
        return Network.objects.filter(pk__in=self.network_ids())

    def libraries(self) -> QuerySet[Library]:
        """Libraries whose objects the person may manage."""
        return self.scope(Library.objects.all(), library="pk", network="network")

    def scope(
        self,
        queryset: QuerySet,
        *,
        library: str | None = "library",
        network: str | None = "network",
    ) -> QuerySet:
        """Keep the rows the person may see.

        `library` and `network` are the lookups from the queryset's model to the library
        and network that own a row (None when the model has no such owner). A row is
        visible to the administrators of its network and to the staff of its library.
        """
        if self.is_superuser:
            return queryset
        if library is None and network is None:
            # Shared rows (local authorities…): no owner to scope by; the caller has
            # already checked the role.
            return queryset if self.is_staff else queryset.none()
        allowed = Q(pk__in=[])
        if network and self.admin_network_ids:
            allowed |= Q(**{f"{network}__in": self.admin_network_ids})
        if library and self.library_ids:
            allowed |= Q(**{f"{library}__in": self.library_ids})
        return queryset.filter(allowed)

    # -- shared things ------------------------------------------------------------
    def may_change_shared(self, obj, owner: str = "owner") -> bool:
        """May the person change or delete this shared row (a provider, a resource, a
        distributor account…)? Superusers may; network administrators only when their
        network owns it. A row without an owner network is the consortium's."""
        if self.is_superuser:
            return True
        *path, last = owner.split("__")  # "account__owner": a licence's is its account's
        for name in path:
            obj = getattr(obj, name, None)
        owner_id = getattr(obj, f"{last}_id", None)
        return owner_id is not None and owner_id in self.admin_network_ids

    def scope_owned(self, queryset: QuerySet, owner: str = "owner") -> QuerySet:
        """The shared rows the person may change: the query of `may_change_shared`."""
        if self.is_superuser:
            return queryset
        return queryset.filter(**{f"{owner}__in": self.admin_network_ids})

    def assignable_users(self, queryset: QuerySet) -> QuerySet:
        """Accounts a network administrator may pick for a role: staff accounts with no
        role yet (the superuser creates accounts) or with a role in one of their
        networks — never the other network's staff, whose names and e-mails are its own."""
        if self.is_superuser:
            return queryset
        mine = Q(staff_roles__network__in=self.admin_network_ids)
        return queryset.filter(is_staff=True).filter(Q(staff_roles__isnull=True) | mine).distinct()

    def can_manage_library(self, library: Library) -> bool:
        return (
            self.is_superuser
            or library.network_id in self.admin_network_ids
            or library.pk in self.library_ids
        )


def staff_access(user) -> StaffAccess:
    """The access of a user, read once per request and kept on the user object."""
    if user is None or not user.is_authenticated or not user.is_active:
        return StaffAccess(user_id=None)
    cached = getattr(user, "_staff_access", None)
    if cached is None:
        roles = frozenset(user.staff_roles.values_list("kind", "network_id", "library_id"))
        cached = StaffAccess(user_id=user.pk, is_superuser=user.is_superuser, roles=roles)
        user._staff_access = cached
    return cached


def staff_required(*kinds: str):
    """Decorator for staff pages: anonymous visitors go to the login page; logged-in
    people without one of the roles (any role when none is named) get a 403.

    The view still scopes its queries with `staff_access(request.user).scope(...)`:
    holding a role says nothing about *which* library's objects one may touch.
    """

    def may_open(request) -> bool:
        if not request.user.is_authenticated:
            return False
        access = staff_access(request.user)
        return access.is_superuser or any(
            kind in kinds if kinds else True for kind, _n, _l in access.roles
        )

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not may_open(request):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        # The staff menu asks the page's own guard whether to show its link.
        wrapped.may_open = may_open
        return wrapped

    return decorator


def may_open(view, request) -> bool:
    """Whether the guard of a staff page admits this person (False for a page without
    one: the menu never links to a page it cannot vouch for)."""
    check = getattr(view, "may_open", None)
    return bool(check and check(request))
