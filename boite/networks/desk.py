"""The staff desk (« Mon bureau », /gestion/): what needs doing today, and the staff menu.

Each app that gives staff work says what is waiting in its own `desk.py`, with a
function `tasks(request) -> list[Task]` scoped to what the person may see; this module
only gathers them, in the order of SECTIONS. A task with a count of zero is not shown:
the desk lists work, not the absence of it.

The staff menu lists the staff pages in MENU; a link is shown only when the page's own
guard (`networks.access.may_open`) admits the person, so a menu link never ends on a
refusal.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module

from django.http import HttpRequest
from django.urls import resolve, reverse
from django.utils.translation import gettext_lazy as _

from boite.networks.access import may_open

SECTIONS = (
    "boite.patrons.desk",
    "boite.catalog.desk",
    "boite.lending.desk",
    "boite.finance.desk",
    "boite.pro.desk",
)

MENU = (
    ("networks:desk", _("My desk")),
    ("patrons:staff_queue", _("Patrons")),
    ("catalog:harvests", _("Catalogue")),
    ("lending:licences", _("PNB licences")),
    ("stats:dashboard", _("Statistics")),
    ("stats:territory", _("Territory")),
    ("stats:reports", _("Usage reports (COUNTER)")),
    ("finance:home", _("Finance and governance")),
    ("pro:index", _("Professional space")),
)


@dataclass(frozen=True)
class Task:
    text: str  # what is counted, in the singular or plural of its count (ngettext)
    count: int
    url: str
    urgent: bool = False


@dataclass(frozen=True)
class MenuEntry:
    label: str
    url: str
    current: bool


@dataclass(frozen=True)
class Visit:
    """What the desk reads of a request — who, on which portal — for the e-mail digest,
    which has no request."""

    user: object
    network: object
    resolver_match: None = None


def tasks_for(user, network) -> list[Task]:
    """The desk of a person on one network's portal, outside any request."""
    return tasks(Visit(user, network))  # type: ignore[arg-type]


def tasks(request: HttpRequest) -> list[Task]:
    found: list[Task] = []
    for dotted in SECTIONS:
        found.extend(t for t in import_module(dotted).tasks(request) if t.count)
    return sorted(found, key=lambda t: not t.urgent)


def menu(request: HttpRequest) -> list[MenuEntry]:
    here = request.resolver_match.view_name if request.resolver_match else ""
    entries = []
    for name, label in MENU:
        url = reverse(name)
        if may_open(resolve(url).func, request):
            entries.append(MenuEntry(str(label), url, current=name == here))
    return entries
