"""The rounding rules of the consortium's money, in one place.

- A membership fee is population × rate per inhabitant, rounded to the cent half up
  (ROUND_HALF_UP: 0.005 € becomes 0.01 €), the rule of French public accounting.
- A cost split between partners is computed exactly (fractions), then the cents are
  handed out by the largest-remainder method, so that the parts always add up to the
  total to the cent; ties go to the party listed first.
"""

from __future__ import annotations

from collections.abc import Hashable
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from fractions import Fraction

CENT = Decimal("0.01")


def fee(population: int, rate: Decimal) -> Decimal:
    """Membership fee: population × rate, rounded to the cent half up."""
    return (Decimal(population) * Decimal(rate)).quantize(CENT, rounding=ROUND_HALF_UP)


def allocate(total: Decimal, weights: dict[Hashable, Fraction]) -> dict[Hashable, Decimal]:
    """Split `total` in proportion to `weights` (any positive fractions), to the cent,
    so that the parts add up to `total` exactly (largest remainder)."""
    total = Decimal(total).quantize(CENT)
    weight_sum = sum(weights.values(), Fraction(0))
    if weight_sum <= 0:
        raise ValueError("weights must add up to more than zero")
    cents = int(total / CENT)
    exact = {key: Fraction(cents) * w / weight_sum for key, w in weights.items()}
    floors = {key: value.numerator // value.denominator for key, value in exact.items()}
    left = cents - sum(floors.values())
    order = sorted(weights, key=lambda key: (-(exact[key] - floors[key]), list(weights).index(key)))
    for key in order[:left]:
        floors[key] += 1
    return {
        key: (Decimal(value) * CENT).quantize(CENT, rounding=ROUND_DOWN)
        for key, value in floors.items()
    }
