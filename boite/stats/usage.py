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


def cost_per_use_rows(year: int, access, network=None) -> list[list]:
    """Per contract of the year the person may see: offer, cost, accesses, unique users,
    loans and the cost of each (None where there was no use) — all networks' use."""
    from boite.finance.models import Contract
    from boite.finance.usage import cost_per_use

    contracts = Contract.objects.filter(year=year).select_related("resource")
    if not access.is_superuser:
        contracts = contracts.filter(agreement__parties__networks__in=access.admin_network_ids)
    if network is not None:
        contracts = contracts.filter(agreement__parties__networks=network)
    usage = yearly_usage(year)
    rows = []
    for contract in contracts.distinct().order_by("offer"):
        counts = usage.get(contract.usage_key, UsageCounts())
        cost = cost_per_use(contract.yearly_cost, counts)
        rows.append(
            [
                contract.offer,
                contract.yearly_cost,
                counts.accesses,
                counts.unique_users,
                counts.loans,
                cost.per_access,
                cost.per_unique_user,
                cost.per_loan,
            ]
        )
    return rows
