"""Login lockouts, the same for every login door (patrons' `/connexion/` and OPDS feed,
the staff's `/admin/login/`).

Failures are counted in the counters store (`boite.lib.counters`), which never evicts,
under hashes of the account and of the address — never the identifiers themselves:

- per account *and* address: after `per_account` failures within a day that pair is
  locked for `seconds`, and each further failure once the lock has ended doubles it
  (15 min, 30 min, 1 h … at most a day). A stranger typing wrong passwords from their
  address locks only themselves out of that account: the patron or librarian still logs
  in from theirs, and a patron who forgot their password resets it (the reset clears
  the lock of the address it is completed from);
- per address, every account together: after `per_address` failures within `seconds`,
  that address is locked the same progressive way (a script trying many accounts);
- per account, every address together: no lock (it would let anyone shut anyone out),
  a warning in the security log when a burst from several addresses reaches
  `per_address` × 2 within an hour, for the administrators to look at.

While locked, an attempt is refused without checking the password and counts nothing:
it tests nothing, so it need not lengthen anything. Each failure and each lock is
written to the `boite.security` logger with the address and the account's hash.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.utils import timezone

from boite.lib import counters
from boite.lib.security import client_address

log = logging.getLogger("boite.security")

DAY = 24 * 3600


@dataclass(frozen=True)
class Door:
    """One way in with a password, and the settings its limits are read from."""

    name: str
    settings_prefix: str

    def _setting(self, name: str, default: int) -> int:
        return int(getattr(settings, f"{self.settings_prefix}_{name}", default))

    @property
    def per_account(self) -> int:
        return self._setting("LOGIN_FAILURES_PER_ACCOUNT", 5)

    @property
    def per_address(self) -> int:
        return self._setting("LOGIN_FAILURES_PER_IP", 20)

    @property
    def seconds(self) -> int:
        return self._setting("LOGIN_LOCKOUT_SECONDS", 15 * 60)


PATRONS = Door("patrons", "PATRONS")
STAFF = Door("staff", "STAFF")


def hash_of(text: str) -> str:
    return hashlib.sha256(f"{settings.SECRET_KEY}:{text}".encode()).hexdigest()[:32]


@dataclass(frozen=True)
class _Keys:
    account: str  # the account's hash, also shown in the log
    pair_failures: str
    pair_lock: str
    address_failures: str
    address_lock: str
    account_failures: str


def _keys(request, door: Door, identifier: str, scope: object = "") -> _Keys:
    account = hash_of(f"{door.name}:{scope}:{identifier.strip().casefold()}")
    address = hash_of(client_address(request))
    pair = hash_of(f"{account}:{address}")
    base = f"login:{door.name}"
    return _Keys(
        account=account,
        pair_failures=f"{base}:pair:{pair}",
        pair_lock=f"{base}:pair-lock:{pair}",
        address_failures=f"{base}:ip:{address}",
        address_lock=f"{base}:ip-lock:{address}",
        account_failures=f"{base}:account:{account}",
    )


def locked_until(request, door: Door, identifier: str, scope: object = "") -> datetime | None:
    """When this visitor may try this account again, or None if they may now."""
    keys = _keys(request, door, identifier, scope)
    ends = max(counters.value(keys.pair_lock), counters.value(keys.address_lock))
    if ends <= time.time():
        return None
    return datetime.fromtimestamp(ends, tz=UTC)


def _lock(key: str, door: Door, excess: int) -> int:
    seconds = min(door.seconds * 2 ** min(excess, 20), DAY)
    counters.put(key, int(time.time() + seconds) + 1, seconds + 1)
    return seconds


def record_failure(request, door: Door, identifier: str, scope: object = "") -> None:
    keys = _keys(request, door, identifier, scope)
    address = client_address(request)
    pair = counters.hit(keys.pair_failures, DAY)
    from_address = counters.hit(keys.address_failures, door.seconds)
    everywhere = counters.hit(keys.account_failures, 3600)
    log.info(
        "%s login failed: account %s from %s (%d from there today)",
        door.name,
        keys.account[:12],
        address,
        pair,
    )
    if pair >= door.per_account:
        seconds = _lock(keys.pair_lock, door, pair - door.per_account)
        log.warning(
            "%s login locked for %d s: account %s from %s after %d failures",
            door.name,
            seconds,
            keys.account[:12],
            address,
            pair,
        )
    if from_address >= door.per_address:
        seconds = _lock(keys.address_lock, door, from_address - door.per_address)
        log.warning(
            "%s login locked for %d s: address %s after %d failures on any account",
            door.name,
            seconds,
            address,
            from_address,
        )
    if everywhere == 2 * door.per_address:
        log.warning(
            "%s login: account %s failed %d times within an hour, from several addresses",
            door.name,
            keys.account[:12],
            everywhere,
        )


def record_success(request, door: Door, identifier: str, scope: object = "") -> None:
    """The right password: the pair's failures and lock are forgotten (not the
    address's, which counts other accounts too)."""
    keys = _keys(request, door, identifier, scope)
    counters.forget(keys.pair_failures, keys.pair_lock)


def retry_words(until: datetime) -> dict[str, object]:
    """What a refusal message says of when to try again: minutes and local time."""
    minutes = max(1, round((until.timestamp() - time.time()) / 60))
    return {"minutes": minutes, "time": timezone.localtime(until).strftime("%H:%M")}
