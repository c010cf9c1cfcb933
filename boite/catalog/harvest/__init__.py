"""Harvest formats: one module per source format, registered here by name.

Adding a format is one module with a `Format` subclass and one line in FORMATS.
"""

from __future__ import annotations

from importlib import import_module

from django.utils.translation import gettext as _

from boite.catalog.harvest.base import Format, SourceError

FORMATS: dict[str, str] = {
    "oai": "boite.catalog.harvest.oai.OaiPmh",
    "marc": "boite.catalog.harvest.marc.Marc",
    "onix": "boite.catalog.harvest.onix.Onix",
    "opds": "boite.catalog.harvest.opds.Opds",
    "json": "boite.catalog.harvest.jsonfeed.JsonFeed",
    "csv": "boite.catalog.harvest.csvfile.Csv",
}


def get_format(name: str) -> Format:
    dotted = FORMATS.get(name)
    if dotted is None:
        raise SourceError(
            _('unknown format "%(name)s" (known formats: %(known)s)')
            % {"name": name, "known": ", ".join(FORMATS)}
        )
    module, cls = dotted.rsplit(".", 1)
    return getattr(import_module(module), cls)()


def format_choices() -> list[tuple[str, str]]:
    return [(name, get_format(name).label) for name in FORMATS]
