"""How many copies of a title a network may lend now: the one place that says it.

A licence may serve several networks (the department's and the urban community's portals
share what is bought together), and a hold whose turn has come (READY) keeps a copy for its
patron. A READY hold is not tied to a licence: it is kept on *some* licence of its title
that serves its network. So « free copies for this network » is not « free copies of its
licences less its own READY holds »: a copy kept for the other network's patron on a shared
licence is not free here either, and a copy of a licence the other network cannot use is
not kept for it.

The pool answers it as a small assignment problem: every READY hold is placed on a licence
with a free copy that serves its network (moving earlier ones when that makes room, i.e.
augmenting paths of a bipartite matching); what a network may still lend is the number of
extra copies that can be placed for it after all the holds. The title's licences are few
(one to a dozen), so this is a handful of dictionary lookups.

Callers lock the title's licences first (`Licence.objects.lock_title`), read the pool,
then write: borrowing, the queue, the record page and the OPDS feed all ask the same pool.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class CopyPool:
    """The copies of one title, across every network its licences serve.

    `free`: licence id → copies free on it now (the licence's own counters, no holds);
    `serves`: licence id → ids of the networks it serves; `kept`: network id → copies kept
    for READY holds (the asking patron's own hold left out: it counts for them);
    `expiry`/`loans_left`: what `pick` orders licences by."""

    free: dict[int, int]
    serves: dict[int, frozenset[int]]
    kept: Counter = field(default_factory=Counter)
    expiry: dict[int, datetime | None] = field(default_factory=dict)
    loans_left: dict[int, int | None] = field(default_factory=dict)

    def lendable(self, network_id: int) -> int:
        """Copies this network may lend now, every kept copy of every network respected."""
        used, _placed = self._place_holds(self.free)
        extra = 0
        while self._augment(network_id, self.free, used):
            extra += 1
        return extra

    def pick(self, network_id: int) -> int | None:
        """The licence to lend from: the soonest expiring first (use what would be lost),
        then the one with most loans left (unlimited counts as most), then the oldest — among
        those whose copy can be taken without taking a copy kept for someone."""
        if self.lendable(network_id) <= 0:
            return None
        _used, placed = self._place_holds(self.free)
        far = datetime.max
        candidates = sorted(
            (lic for lic, free in self.free.items() if free > 0 and network_id in self.serves[lic]),
            key=lambda lic: (
                _naive(self.expiry.get(lic)) or far,
                -(self.loans_left.get(lic) if self.loans_left.get(lic) is not None else 10**9),
                lic,
            ),
        )
        for lic in candidates:
            less = dict(self.free)
            less[lic] -= 1
            if self._place_holds(less)[1] == placed:
                return lic
        return None

    def take(self, licence_id: int) -> None:
        self.free[licence_id] -= 1

    def keep(self, network_id: int) -> None:
        self.kept[network_id] += 1

    # -- the matching ------------------------------------------------------------------

    def _place_holds(self, free: dict[int, int]) -> tuple[dict, int]:
        """Place every READY hold it can; `used` is network id → licence id → copies."""
        used: dict[int, Counter] = {}
        placed = 0
        for network_id in sorted(self.kept):
            for _ in range(self.kept[network_id]):
                placed += self._augment(network_id, free, used)
        return used, placed

    def _augment(self, network_id: int, free: dict[int, int], used: dict[int, Counter]) -> bool:
        """One more copy for this network, moving placed copies when that makes room."""
        # licence id → network it was reached from; -(network id) - 1 → licence the network
        # was reached through (the copy it would move).
        parent: dict[int, int] = {}
        seen_networks = {network_id}
        frontier = [network_id]
        while frontier:
            following = []
            for net in frontier:
                for lic, networks in self.serves.items():
                    if net not in networks or lic in parent:
                        continue
                    parent[lic] = net
                    load = sum(per.get(lic, 0) for per in used.values())
                    if load < free.get(lic, 0):
                        self._apply(lic, parent, used)
                        return True
                    # Full: a network holding a copy here may move it elsewhere.
                    for other, per in used.items():
                        if per.get(lic, 0) > 0 and other not in seen_networks:
                            seen_networks.add(other)
                            following.append(other)
                            parent[-other - 1] = lic
            frontier = following
        return False

    def _apply(self, lic: int, parent: dict, used: dict[int, Counter]) -> None:
        """Walk the path back: each network on it takes the licence ahead and gives up the
        one it came through."""
        while True:
            net = parent[lic]
            used.setdefault(net, Counter())[lic] += 1
            through = parent.get(-net - 1)
            if through is None:
                return
            used[net][through] -= 1
            lic = through


def _naive(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=None) if moment is not None else None
