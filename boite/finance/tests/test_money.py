"""The rounding rules, with figures worked by hand."""

from decimal import Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from boite.finance.money import allocate, fee


def test_fee_is_population_times_rate():
    assert fee(12_900, Decimal("0.15")) == Decimal("1935.00")  # Bayeux
    assert fee(20_200, Decimal("0.15")) == Decimal("3030.00")  # Lisieux
    assert fee(2_100, Decimal("0.15")) == Decimal("315.00")  # Évrecy
    assert fee(108_200, Decimal("0.15")) == Decimal("16230.00")  # Caen
    assert fee(1_237, Decimal("0.15")) == Decimal("185.55")


def test_fee_rounds_half_up_to_the_cent():
    # 5 × 0.025 = 0.125: half up gives 0.13 (banker's rounding would give 0.12).
    assert fee(5, Decimal("0.025")) == Decimal("0.13")
    # 3 × 0.0333 = 0.0999 → 0.10; 7 × 0.1501 = 1.0507 → 1.05
    assert fee(3, Decimal("0.0333")) == Decimal("0.10")
    assert fee(7, Decimal("0.1501")) == Decimal("1.05")


def test_fifty_fifty_of_an_odd_cent_gives_the_cent_to_the_first_party():
    parts = allocate(Decimal("1000.01"), {"a": Fraction(50), "b": Fraction(50)})
    assert parts == {"a": Decimal("500.01"), "b": Decimal("500.00")}


def test_thirds_sum_to_the_total():
    parts = allocate(Decimal("100.00"), {"a": Fraction(1), "b": Fraction(1), "c": Fraction(1)})
    assert parts == {"a": Decimal("33.34"), "b": Decimal("33.33"), "c": Decimal("33.33")}


def test_largest_remainder_goes_first():
    # 10.00 × 0.666… = 6.666… and 10.00 × 0.333… = 3.333…: floors 6.66 + 3.33 = 9.99,
    # the missing cent goes to the larger remainder (0.666… > 0.333…).
    parts = allocate(Decimal("10.00"), {"a": Fraction(1, 3), "b": Fraction(2, 3)})
    assert parts == {"a": Decimal("3.33"), "b": Decimal("6.67")}


@given(
    st.decimals(min_value=0, max_value=10_000_000, places=2),
    st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=6).filter(any),
)
def test_parts_always_sum_to_the_total(total, weights):
    parts = allocate(total, {i: Fraction(w) for i, w in enumerate(weights)})
    assert sum(parts.values()) == total
    assert all(part >= 0 for part in parts.values())
