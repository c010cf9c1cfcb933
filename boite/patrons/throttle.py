"""Login protection: failures counted per account and per IP address in the cache;
too many within the window lock that account (or address) for a while.

Keys hold a hash of the identifier, never the identifier itself.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache

from boite.lib.security import client_address


def _limits() -> tuple[int, int, int]:
    return (
        getattr(settings, "PATRONS_LOGIN_FAILURES_PER_ACCOUNT", 5),
        getattr(settings, "PATRONS_LOGIN_FAILURES_PER_IP", 20),
        getattr(settings, "PATRONS_LOGIN_LOCKOUT_SECONDS", 15 * 60),
    )


def client_ip(request) -> str:
    return client_address(request)


def _hash(text: str) -> str:
    return hashlib.sha256(f"{settings.SECRET_KEY}:{text}".encode()).hexdigest()[:32]


def _keys(request, identifier: str) -> tuple[str, str]:
    network = getattr(request, "network", None)
    account = _hash(f"{network.pk if network else 0}:{identifier.strip().casefold()}")
    return f"patrons-login-account:{account}", f"patrons-login-ip:{_hash(client_ip(request))}"


def is_locked(request, identifier: str) -> bool:
    per_account, per_ip, _seconds = _limits()
    account_key, ip_key = _keys(request, identifier)
    return cache.get(account_key, 0) >= per_account or cache.get(ip_key, 0) >= per_ip


def record_failure(request, identifier: str) -> None:
    _per_account, _per_ip, seconds = _limits()
    for key in _keys(request, identifier):
        cache.add(key, 0, seconds)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, seconds)


def record_success(request, identifier: str) -> None:
    cache.delete(_keys(request, identifier)[0])


def rate_limited(request, action: str, limit: int, seconds: int) -> bool:
    """Count one more `action` from this IP; True once the limit is passed."""
    key = f"patrons-rate:{action}:{_hash(client_ip(request))}"
    cache.add(key, 0, seconds)
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, seconds)
        count = 1
    return count > limit
