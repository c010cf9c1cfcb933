"""Login protection and rate limits of the patrons' pages, counted in the counters
store that never evicts (`boite.lib.counters`; the rules in `boite.lib.lockout`).

An account is counted within its network: the same e-mail on the other portal is
another account. Keys hold a hash of the identifier, never the identifier itself.
"""

from __future__ import annotations

from datetime import datetime

from boite.lib import counters, lockout
from boite.lib.security import client_address


def client_ip(request) -> str:
    return client_address(request)


def _scope(request) -> int:
    network = getattr(request, "network", None)
    return network.pk if network else 0


def locked_until(request, identifier: str) -> datetime | None:
    return lockout.locked_until(request, lockout.PATRONS, identifier, _scope(request))


def is_locked(request, identifier: str) -> bool:
    return locked_until(request, identifier) is not None


def record_failure(request, identifier: str) -> None:
    lockout.record_failure(request, lockout.PATRONS, identifier, _scope(request))


def record_success(request, identifier: str) -> None:
    lockout.record_success(request, lockout.PATRONS, identifier, _scope(request))


def rate_limited(request, action: str, limit: int, seconds: int) -> bool:
    """Count one more `action` from this IP; True once the limit is passed."""
    key = f"patrons-rate:{action}:{lockout.hash_of(client_ip(request))}"
    return counters.hit(key, seconds) > limit
