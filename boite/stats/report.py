"""The yearly report: the figures of the « Résultats » slides for one year and one
network (or the consortium, for superusers), as a page and as an ODT document.

Every figure comes from the roll-ups through `figures`, so it agrees with the
dashboard for the same twelve months.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Sum
from django.utils.translation import gettext as _

from boite.lib import documents
from boite.networks.access import StaffAccess
from boite.networks.models import Network
from boite.stats import figures
from boite.stats.figures import Scope
from boite.stats.models import EventKind, MonthlyCount, YearlyUnique
from boite.stats.tables import Column, Table
from boite.stats.usage import yearly_usage

FIRST_YEAR = 2015


@dataclass
class YearlyReport:
    year: int
    network: Network | None  # None: the consortium (every network)
    tables: list[Table]

    @property
    def title(self) -> str:
        name = self.network.name if self.network else _("the consortium")
        return _("Results %(year)s — %(name)s") % {"year": self.year, "name": name}


def _networks(scope: Scope) -> list[Network]:
    if scope.network is not None:
        return [scope.network]
    return list(figures.visible_networks(scope.access).order_by("name"))


def key_figures(scope: Scope) -> Table:
    """Patrons and use of the year, one column per network (and a total)."""
    networks = _networks(scope)
    year = scope.first.year
    counts = (
        scope.filter(MonthlyCount.objects.filter(scope.in_period()))
        .values("network", "kind")
        .order_by()
        .annotate(n=Sum("count"))
    )
    grid = {(c["network"], c["kind"]): c["n"] for c in counts}
    uniques = {
        (u.network_id, u.kind): u.patrons
        for u in YearlyUnique.objects.filter(
            year=year, resource="", network__in=networks, kind__in=["", YearlyUnique.USE]
        )
    }
    lines = [
        (_("New registrations"), lambda n: grid.get((n, EventKind.REGISTRATION), 0), False),
        (_("Validations by a library"), lambda n: grid.get((n, EventKind.VALIDATION), 0), False),
        (_("Renewals"), lambda n: grid.get((n, EventKind.RENEWAL), 0), False),
        (_("Expiries"), lambda n: grid.get((n, EventKind.EXPIRY), 0), False),
        (_("Active patrons (at least once in the year)"), lambda n: uniques.get((n, ""), 0), True),
        (
            _("Patrons who opened or borrowed a resource"),
            lambda n: uniques.get((n, YearlyUnique.USE), 0),
            True,
        ),
        (_("Resources opened"), lambda n: grid.get((n, EventKind.ACCESS_GRANTED), 0), False),
        (_("Refused access"), lambda n: grid.get((n, EventKind.ACCESS_REFUSED), 0), False),
        (_("Loans"), lambda n: grid.get((n, EventKind.LOAN), 0), False),
        (_("Holds placed"), lambda n: grid.get((n, EventKind.HOLD), 0), False),
    ]
    total = len(networks) > 1
    rows = []
    for label, value, _patrons in lines:
        values = [value(n.pk) for n in networks]
        rows.append([label, *values, *([sum(values)] if total else [])])
    columns = [Column(_("Figure"), numeric=False)] + [Column(n.name) for n in networks]
    if total:
        columns.append(Column(_("Total")))
    return Table(
        "key-figures",
        _("Key figures of %(year)s") % {"year": year},
        columns,
        rows,
        chart="",
        note=_(
            "Unique patrons count each person once in the year; a patron belongs to one network."
        ),
    )


def usage_by_resource(scope: Scope) -> Table:
    """Per resource: openings, distinct users and loans of the year, refusals."""
    networks = _networks(scope)
    usage = yearly_usage(scope.first.year, networks=networks)
    refused = dict(
        scope.filter(MonthlyCount.objects.filter(scope.in_period(), kind=EventKind.ACCESS_REFUSED))
        .values("resource")
        .order_by()
        .annotate(n=Sum("count"))
        .values_list("resource", "n")
    )
    names = figures.resource_names()
    rows = [
        [
            names.get(slug, slug),
            counts.accesses,
            counts.unique_users,
            counts.loans,
            refused.get(slug, 0),
        ]
        for slug, counts in usage.items()
    ]
    rows.sort(key=lambda row: (-(row[1] + row[3]), row[0]))
    return Table(
        "usage",
        _("Usage per resource"),
        [
            Column(_("Resource"), numeric=False),
            Column(_("Resources opened")),
            Column(_("Unique users"), patrons=True),
            Column(_("Loans")),
            Column(_("Refused access")),
        ],
        rows,
        chart="bar",
    )


def build(access: StaffAccess, year: int, network: Network | None) -> YearlyReport:
    scope = Scope(access, date(year, 1, 1), date(year, 12, 1), network=network)
    tables = [
        key_figures(scope),
        figures.membership(scope),
        figures.registrations_by_library(scope),
        figures.registrations_by_commune(scope),
        usage_by_resource(scope),
        figures.loans_by_library(scope),
        figures.loans_by_title(scope),
        figures.refusals_by_reason(scope),
        figures.cost_per_use_table(scope),
    ]
    return YearlyReport(year, network, tables)


def as_odt(report: YearlyReport) -> bytes:
    blocks: list[documents.Block] = [documents.Heading(report.title, 1)]
    for table in report.tables:
        blocks.append(documents.Heading(str(table.title), 2))
        if table.note:
            blocks.append(documents.Paragraph(str(table.note)))
        if table.rows:
            blocks.append(documents.Table(table.headers, table.rows))
        else:
            blocks.append(documents.Paragraph(_("No figures for this period.")))
    return documents.odt(blocks, title=report.title)
