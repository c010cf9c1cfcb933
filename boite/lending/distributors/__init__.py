"""Registry of the distributors the portal can lend through.

A new distributor is one module implementing `base.Distributor` and one line below.
"""

from __future__ import annotations

from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from boite.lending.distributors.base import Connection, Distributor

DISTRIBUTORS: dict[str, tuple[str, str]] = {
    "dilicom": ("boite.lending.distributors.dilicom.DilicomPNB", _("Dilicom PNB")),
    "odl": ("boite.lending.distributors.odl.ODL", _("ODL 1.0 (OPDS 2.0)")),
}


def choices() -> list[tuple[str, str]]:
    return [(kind, label) for kind, (_path, label) in DISTRIBUTORS.items()]


def distributor_class(kind: str) -> type[Distributor]:
    try:
        return import_string(DISTRIBUTORS[kind][0])
    except KeyError:
        raise ValueError(f"unknown distributor kind {kind!r}") from None


def connect(kind: str, connection: Connection) -> Distributor:
    """An adapter of the given kind, with its own HTTP client (close it, or use `with`)."""
    return distributor_class(kind)(connection)
