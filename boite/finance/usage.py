"""Cost per use: what an offer cost in a year divided by its use that year.

The year's usage counts come from the statistics app, which arrives later: the
setting FINANCE_USAGE_SOURCE names a function `(year) -> {offer name: UsageCounts}`.
Until statistics exist it is `no_statistics`, and pages say so instead of a figure.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.utils.module_loading import import_string

from boite.finance.money import CENT


@dataclass(frozen=True)
class UsageCounts:
    accesses: int = 0
    unique_users: int = 0
    loans: int = 0


@dataclass(frozen=True)
class CostPerUse:
    per_access: Decimal | None
    per_unique_user: Decimal | None
    per_loan: Decimal | None


def no_statistics(year: int) -> dict[str, UsageCounts]:
    return {}


def usage_counts(year: int) -> dict[str, UsageCounts]:
    return import_string(settings.FINANCE_USAGE_SOURCE)(year)


def _per(cost: Decimal, count: int) -> Decimal | None:
    if not count or count < 0:
        return None
    return (Decimal(cost) / Decimal(count)).quantize(CENT, rounding=ROUND_HALF_UP)


def cost_per_use(cost: Decimal, counts: UsageCounts | None) -> CostPerUse | None:
    """Cost per access, per unique user and per loan, rounded half up to the cent; None
    for a count of zero (no use: no meaningful figure), None overall without counts."""
    if counts is None:
        return None
    return CostPerUse(
        _per(cost, counts.accesses), _per(cost, counts.unique_users), _per(cost, counts.loans)
    )
