"""A circuit breaker whose state lives in the Django cache (Redis in production), so that
every thread and every process of every application server sees the same circuit.

After `failures` failures in a row (each within `window` seconds of the previous one),
the circuit opens: calls are refused at once for `cooldown` seconds. Then one call, the
probe, is let through while the others are still refused; if it succeeds the circuit
closes, if it fails the circuit opens for another cool-down. A probe that never reports
(its process killed) frees its place after `probe_timeout` seconds.

The cache backends Boîte uses make `add` and `incr` atomic (Redis: SET NX and INCR;
local memory: a lock), which is all the breaker needs. Without Redis (a developer's
checkout), each process has its own circuit.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.core.cache import cache


@dataclass(frozen=True)
class CircuitBreaker:
    name: str
    failures: int = 3
    cooldown: float = 30.0
    probe_timeout: float = 30.0
    window: float = 600.0

    def _key(self, part: str) -> str:
        return f"breaker:{self.name}:{part}"

    def is_open(self) -> bool:
        """Refusing calls now (cooling down)."""
        until = cache.get(self._key("open_until"))
        return until is not None and until > time.time()

    def allow(self) -> bool:
        """May a call go through now? In the half-open state, True for one caller only."""
        if self.is_open():
            return False
        if (cache.get(self._key("failures")) or 0) < self.failures:
            return True
        return cache.add(self._key("probe"), 1, timeout=self.probe_timeout)

    def record_success(self) -> None:
        cache.delete_many([self._key("failures"), self._key("probe"), self._key("open_until")])

    def record_failure(self) -> bool:
        """Count a failure; True when it opens the circuit."""
        key = self._key("failures")
        # The count must outlive a cool-down and its probe, or the probe would be skipped.
        ttl = max(self.window, self.cooldown + self.probe_timeout + 60)
        cache.add(key, 0, timeout=ttl)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, count := 1, timeout=ttl)
        cache.touch(key, ttl)
        if count < self.failures:
            return False
        cache.set(self._key("open_until"), time.time() + self.cooldown, timeout=self.cooldown + 1)
        cache.delete(self._key("probe"))
        return True
