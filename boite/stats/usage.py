"""A year's use of each resource, from the roll-ups: what the finance app divides a
contract's cost by (`settings.FINANCE_USAGE_SOURCE = "boite.stats.usage.yearly_usage"`).

Keys are the resources' short names (`Resource.slug`, the `resource` of the events).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from django.db.models import Sum

from boite.finance.usage import UsageCounts
from boite.stats.models import EventKind, MonthlyCount, YearlyUnique


def yearly_usage(year: int, networks: Iterable | None = None) -> dict[str, UsageCounts]:
    """Per resource: access granted, distinct patrons who opened or borrowed it, loans,
    in the calendar year — over every network, or only `networks` (ids or objects).

    A patron belongs to one network, so distinct patrons are summed over networks."""
    counts = MonthlyCount.objects.filter(
        month__gte=date(year, 1, 1),
        month__lt=date(year + 1, 1, 1),
        kind__in=[EventKind.ACCESS_GRANTED, EventKind.LOAN],
    ).exclude(resource="")
    uniques = YearlyUnique.objects.filter(year=year, kind=YearlyUnique.USE).exclude(resource="")
    if networks is not None:
        networks = list(networks)
        counts = counts.filter(network__in=networks)
        uniques = uniques.filter(network__in=networks)
    figures: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in counts.values("resource", "kind").order_by().annotate(n=Sum("count")):
        figures[row["resource"]][row["kind"]] = row["n"]
    for row in uniques.values("resource").order_by().annotate(n=Sum("patrons")):
        figures[row["resource"]]["users"] = row["n"]
    return {
        resource: UsageCounts(
            accesses=f[EventKind.ACCESS_GRANTED], unique_users=f["users"], loans=f[EventKind.LOAN]
        )
        for resource, f in figures.items()
    }
