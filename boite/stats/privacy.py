"""Small figures: counts of fewer than five patrons could point at a person, so exports
that leave the network show them as « < 5 »."""

from __future__ import annotations

from django.conf import settings


def small_figure(value: int | None, threshold: int | None = None) -> int | str | None:
    """`value` itself, or « < N » when it counts between 1 and N-1 patrons.

    Zero stays zero: « nobody » identifies nobody, and hiding it would make the
    other masked cells guessable from the totals just as well."""
    threshold = threshold or settings.STATS_SMALL_FIGURE
    if value is None or isinstance(value, str):
        return value
    if 0 < value < threshold:
        return f"< {threshold}"
    return value
