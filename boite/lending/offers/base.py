"""What an offer reader yields: offers, problems with one offer, or an error with the file."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


class OfferFileError(Exception):
    """The file as a whole cannot be read: nothing of it is applied."""


@dataclass(frozen=True)
class OfferProblem:
    """One offer of the file that cannot be used; the others still are."""

    where: str
    message: str


@dataclass(frozen=True)
class Offer:
    """One licence as the distributor sells it (terms bought, not counters in use)."""

    key: str
    ean: str
    title: str = ""
    audiobook: bool = False
    loans_total: int | None = None
    concurrent_max: int = 1
    loan_max_days: int | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    price: Decimal | None = None
    info_url: str = ""
    checkout_url: str = ""
    withdrawn: bool = False


def valid_ean(ean: str) -> bool:
    """An EAN-13 (ISBN-13 included) with its check digit right."""
    if len(ean) != 13 or not ean.isascii() or not ean.isdigit():
        return False
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(ean[:12]))
    return (10 - total % 10) % 10 == int(ean[12])
