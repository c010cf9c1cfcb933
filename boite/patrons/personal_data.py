"""The right of access (RGPD art. 15): every app that keeps data about a patron adds its
part to « Télécharger mes données ».

The patrons app writes the account and its history (`services.export`); lending, access
and statistics keep loans, holds, the resources opened and the events recorded under
the patron's pseudonym. Each registers a section here from its own `personal_data.py`
(imported by its AppConfig), so that patrons never imports the apps built on it and a
new kind of personal data is exported by the app that stores it:

    from boite.patrons import personal_data

    @personal_data.section("loans")
    def loans(patron) -> list[dict]:
        ...

A section returns JSON-ready values (strings, numbers, lists, dicts; dates as ISO 8601).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

Section = Callable[[Any], Any]
_SECTIONS: dict[str, Section] = {}


def section(name: str) -> Callable[[Section], Section]:
    """Register `function(patron)` as the export's `name` part."""

    def register(function: Section) -> Section:
        if _SECTIONS.get(name, function) is not function:
            raise ValueError(f"personal-data section {name!r} is registered twice")
        _SECTIONS[name] = function
        return function

    return register


def sections(patron) -> dict[str, Any]:
    """Every registered part for this patron, in registration (INSTALLED_APPS) order."""
    return {name: function(patron) for name, function in _SECTIONS.items()}


def iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value else None
