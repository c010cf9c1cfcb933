"""The figures of the dashboards, exports and API, each one a `Table`, each one read
through the person's scope (`boite.networks.access`): a network administrator reads
their network, the consortium (superuser) every network, library staff their library.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.core.cache import cache
from django.db.models import Count, Max, Q, QuerySet, Sum
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from boite.lib.text import fold
from boite.networks.access import StaffAccess
from boite.networks.models import Authority, Library, Network
from boite.stats.models import (
    REFUSAL_REASONS,
    AgeBand,
    CounterMetric,
    CounterReport,
    DailyCount,
    EventKind,
    MonthlyCount,
    MonthlyTitleCount,
    MonthlyUnique,
    ProviderAccount,
    RollupRun,
)
from boite.stats.rollup import next_month
from boite.stats.tables import Column, Table

COUNTER_METRICS = (
    "Total_Item_Requests",
    "Unique_Item_Requests",
    "Total_Item_Investigations",
    "Searches_Platform",
    "No_License",
    "Limit_Exceeded",
)


# Which report a figure is read from, best first: platform totals from the Platform report,
# then (a provider without PR) the titles of TR, the databases of DR, the items of IR, a
# simple CSV. Master reports describe the same use at different levels: never added.
PLATFORM_REPORTS = ("PR", "TR", "DR", "IR", "CSV")


def platform_report(report_ids) -> str | None:
    """The one report a provider's platform totals come from, among those it sent."""
    present = set(report_ids)
    return next((r for r in PLATFORM_REPORTS if r in present), None)


@dataclass
class Scope:
    """Who reads, which network they picked (None: all they may see), which months."""

    access: StaffAccess
    first: date
    last: date
    network: Network | None = None

    def filter(self, queryset: QuerySet, library: str | None = "library", network="network"):
        queryset = self.access.scope(queryset, library=library, network=network)
        if self.network is not None:
            queryset = queryset.filter(**{network: self.network})
        return queryset

    def months(self) -> list[date]:
        months, month = [], self.first
        while month <= self.last:
            months.append(month)
            month = next_month(month)
        return months

    def in_period(self, field: str = "month") -> Q:
        return Q(**{f"{field}__gte": self.first, f"{field}__lt": next_month(self.last)})

    @property
    def whole_networks(self) -> bool:
        """Does the person see at least one whole network (not only libraries)?"""
        return self.access.is_superuser or bool(self.access.admin_network_ids)

    def label(self) -> str:
        return f"{self.first:%Y-%m}_{self.last:%Y-%m}"


def visible_networks(access: StaffAccess) -> QuerySet[Network]:
    """Networks offered by the picker: administered ones, and those of one's libraries."""
    if access.is_superuser:
        return Network.objects.all()
    return Network.objects.filter(
        Q(pk__in=access.admin_network_ids) | Q(libraries__in=access.library_ids)
    ).distinct()


def _month_label(month: date) -> str:
    return date_format(month, "YEAR_MONTH_FORMAT")


def _kind_label(kind: str) -> str:
    return str(EventKind(kind).label) if kind in EventKind.values else kind


# -- the tables ----------------------------------------------------------------------


def membership(scope: Scope) -> Table:
    libraries = scope.filter(Library.objects.members(), library="pk", network="network")
    if not scope.whole_networks:
        table = Table(
            "membership",
            _("Your library"),
            [Column(_("Library"), numeric=False), Column(_("Commune"), numeric=False)],
            chart="",
        )
        table.rows = [
            [lib.name, lib.authority.name] for lib in libraries.select_related("authority")
        ]
        return table
    counts = (
        libraries.values("network__name")
        .order_by("network__name")
        .annotate(libraries=Count("pk"), authorities=Count("authority", distinct=True))
    )
    return Table(
        "membership",
        _("Member libraries and local authorities"),
        [
            Column(_("Network"), numeric=False),
            Column(_("Member libraries")),
            Column(_("Communes with a member library")),
        ],
        [[c["network__name"], c["libraries"], c["authorities"]] for c in counts],
    )


def events_by_month(scope: Scope) -> Table:
    counts = (
        scope.filter(MonthlyCount.objects.filter(scope.in_period()))
        .values("month", "kind")
        .order_by()
        .annotate(n=Sum("count"))
    )
    grid: dict[date, dict[str, int]] = defaultdict(dict)
    for c in counts:
        grid[c["month"]][c["kind"]] = c["n"]
    kinds = [k for k in EventKind.values if any(k in row for row in grid.values())]
    return Table(
        "events",
        _("Activity per month"),
        [Column(_("Month"), numeric=False)] + [Column(_kind_label(k)) for k in kinds],
        [[_month_label(m)] + [grid[m].get(k, 0) for k in kinds] for m in scope.months()],
        chart="line",
    )


def access_by_resource(scope: Scope) -> Table:
    counts = (
        scope.filter(MonthlyCount.objects.filter(scope.in_period(), kind=EventKind.ACCESS_GRANTED))
        .values("resource", "month")
        .order_by()
        .annotate(n=Sum("count"))
    )
    names = resource_names()
    grid: dict[str, dict[date, int]] = defaultdict(dict)
    for c in counts:
        name = names.get(c["resource"], c["resource"]) or _("unknown")
        grid[name][c["month"]] = grid[name].get(c["month"], 0) + c["n"]
    months = scope.months()
    rows = sorted(
        ([name] + [grid[name].get(m, 0) for m in months] + [sum(grid[name].values())])
        for name in grid
    )
    rows.sort(key=lambda row: -row[-1])
    return Table(
        "resources",
        _("Resources opened per month"),
        [Column(_("Resource"), numeric=False)]
        + [Column(_month_label(m)) for m in months]
        + [Column(_("Total"))],
        rows,
        chart="bar-total",
    )


def refusals_by_reason(scope: Scope) -> Table:
    counts = (
        scope.filter(MonthlyCount.objects.filter(scope.in_period(), kind=EventKind.ACCESS_REFUSED))
        .values("reason")
        .order_by()
        .annotate(n=Sum("count"))
        .order_by("-n")
    )
    return Table(
        "refusals",
        _("Refused access by reason"),
        [Column(_("Reason"), numeric=False), Column(_("Refusals"))],
        [[reason_label(c["reason"]), c["n"]] for c in counts],
        note=_("Why the portal refused to open a resource, as the gate recorded it."),
    )


def reason_label(code: str) -> str:
    if not code:
        return _("unspecified")
    return str(REFUSAL_REASONS[code]) if code in REFUSAL_REASONS else code


# -- loans and holds -----------------------------------------------------------------

_HOLD_KINDS = (EventKind.HOLD, EventKind.HOLD_FILLED, EventKind.HOLD_CANCELLED)


def _waiting(counts: dict[str, int]) -> int:
    """Holds placed and neither filled nor cancelled."""
    placed = counts.get(EventKind.HOLD, 0)
    return max(
        0, placed - counts.get(EventKind.HOLD_FILLED, 0) - counts.get(EventKind.HOLD_CANCELLED, 0)
    )


def title_names(keys: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """Titles of the catalogue's records by (resource, title key) as events write them
    (`<resource>:<provider id>` or the provider id alone)."""
    from boite.catalog.models import Record

    wanted: dict[str, dict[str, tuple[str, str]]] = defaultdict(dict)
    for resource, key in keys:
        provider_id = key.split(":", 1)[1] if key.startswith(f"{resource}:") else key
        wanted[resource][provider_id] = (resource, key)
    names = {}
    for resource, ids in wanted.items():
        found = Record.objects.filter(resource__slug=resource, provider_id__in=list(ids))
        for provider_id, title in found.values_list("provider_id", "title"):
            names[ids[provider_id]] = title
    return names


def loans_by_title(scope: Scope) -> Table:
    kinds = [EventKind.LOAN, *_HOLD_KINDS]
    period = (
        scope.filter(MonthlyTitleCount.objects.filter(scope.in_period(), kind__in=kinds))
        .values("resource", "record", "kind")
        .order_by()
        .annotate(n=Sum("count"))
    )
    so_far = (
        scope.filter(
            MonthlyTitleCount.objects.filter(month__lt=next_month(scope.last), kind__in=_HOLD_KINDS)
        )
        .values("resource", "record", "kind")
        .order_by()
        .annotate(n=Sum("count"))
    )
    grid: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    for c in period:
        grid[(c["resource"], c["record"])][c["kind"]] = c["n"]
    history: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    for c in so_far:
        history[(c["resource"], c["record"])][c["kind"]] = c["n"]
    keys = {k for k in grid} | {k for k, counts in history.items() if _waiting(counts)}
    names, resources = title_names(keys), resource_names()
    rows = [
        [
            names.get(key) or key[1] or _("unknown"),
            resources.get(key[0], key[0]),
            grid[key].get(EventKind.LOAN, 0),
            grid[key].get(EventKind.HOLD, 0),
            _waiting(history[key]),
        ]
        for key in keys
    ]
    rows = [row for row in rows if any(row[2:])]
    rows.sort(key=lambda row: (-row[2], -row[4], row[0]))
    return Table(
        "loans-titles",
        _("Loans and holds per title"),
        [
            Column(_("Title"), numeric=False),
            Column(_("Resource"), numeric=False),
            Column(_("Loans")),
            Column(_("Holds placed")),
            Column(_("Holds waiting at the end of the period")),
        ],
        rows[:TITLES_SHOWN],
        note=_("The %(count)s titles most borrowed (or most awaited) in the period.")
        % {"count": TITLES_SHOWN},
    )


TITLES_SHOWN = 50


def loans_by_library(scope: Scope) -> Table:
    kinds = [EventKind.LOAN, EventKind.RETURN, EventKind.HOLD, EventKind.HOLD_FILLED]
    counts = (
        scope.filter(MonthlyCount.objects.filter(scope.in_period(), kind__in=kinds))
        .values("library", "kind")
        .order_by()
        .annotate(n=Sum("count"))
    )
    grid: dict[int | None, dict[str, int]] = defaultdict(dict)
    for c in counts:
        grid[c["library"]][c["kind"]] = c["n"]
    names = dict(Library.objects.filter(pk__in=[k for k in grid if k]).values_list("pk", "name"))
    rows = [[names.get(k, _("unknown"))] + [grid[k].get(kind, 0) for kind in kinds] for k in grid]
    rows.sort(key=lambda row: (-row[1], row[0]))
    return Table(
        "loans-libraries",
        _("Loans and holds per library"),
        [Column(_("Library"), numeric=False)] + [Column(_kind_label(k)) for k in kinds],
        rows,
        note=_("By the borrower's home library."),
    )


def holds_by_month(scope: Scope) -> Table:
    counts = (
        scope.filter(
            MonthlyCount.objects.filter(month__lt=next_month(scope.last), kind__in=_HOLD_KINDS)
        )
        .values("month", "kind")
        .order_by("month")
        .annotate(n=Sum("count"))
    )
    by_month: dict[date, dict[str, int]] = defaultdict(dict)
    for c in counts:
        by_month[c["month"]][c["kind"]] = c["n"]
    total: dict[str, int] = defaultdict(int)
    waiting_at: dict[date, int] = {}
    months = scope.months()
    history = sorted(set(by_month) | set(months))
    for month in history:
        for kind, n in by_month.get(month, {}).items():
            total[kind] += n
        waiting_at[month] = _waiting(total)
    rows = [
        [
            _month_label(m),
            by_month.get(m, {}).get(EventKind.HOLD, 0),
            by_month.get(m, {}).get(EventKind.HOLD_FILLED, 0),
            waiting_at[m],
        ]
        for m in months
    ]
    if not any(any(row[1:]) for row in rows):
        rows = []
    return Table(
        "holds",
        _("Holds waiting"),
        [
            Column(_("Month"), numeric=False),
            Column(_("Holds placed")),
            Column(_("Holds filled")),
            Column(_("Holds waiting at the end of the month")),
        ],
        rows,
        chart="line",
        note=_("Waiting: placed and neither filled nor cancelled yet."),
    )


def cost_per_use_table(scope: Scope) -> Table:
    """Cost per use of the year of the period's last month: a consortium figure (the
    contracts' cost over the use of every network that shares them)."""
    from boite.stats.usage import cost_per_use_rows

    year = scope.last.year
    rows = cost_per_use_rows(year, scope.access, scope.network)
    return Table(
        "cost-per-use",
        _("Cost per use, %(year)s") % {"year": year},
        [
            Column(_("Offer"), numeric=False),
            Column(_("Yearly cost (€)")),
            Column(_("Accesses")),
            Column(_("Unique users"), patrons=True),
            Column(_("Loans")),
            Column(_("Cost per access (€)")),
            Column(_("Cost per unique user (€)")),
            Column(_("Cost per loan (€)")),
        ],
        rows,
        chart="",
        note=_(
            "The year's contracts over the use of every network that shares them, from "
            "January to the last month rolled up; empty where there was no use."
        ),
    )


def unique_patrons_by_month(scope: Scope) -> Table:
    if scope.access.is_superuser:
        seen = Q(level=MonthlyUnique.Level.NETWORK)
    else:
        seen = Q(level=MonthlyUnique.Level.NETWORK, network__in=scope.access.admin_network_ids)
        seen |= Q(level=MonthlyUnique.Level.LIBRARY, library__in=scope.access.library_ids) & ~Q(
            network__in=scope.access.admin_network_ids
        )
    rows = MonthlyUnique.objects.filter(seen, scope.in_period(), resource="")
    if scope.network is not None:
        rows = rows.filter(network=scope.network)
    counts = rows.values("month", "kind").order_by().annotate(n=Sum("patrons"))
    grid: dict[date, dict[str, int]] = defaultdict(dict)
    for c in counts:
        grid[c["month"]][c["kind"]] = c["n"]
    kinds = ["", EventKind.ACCESS_GRANTED, EventKind.LOAN]
    return Table(
        "patrons",
        _("Unique patrons per month"),
        [
            Column(_("Month"), numeric=False),
            Column(_("Active patrons"), patrons=True),
            Column(_("Patrons who opened a resource"), patrons=True),
            Column(_("Patrons who borrowed"), patrons=True),
        ],
        [[_month_label(m)] + [grid[m].get(k, 0) for k in kinds] for m in scope.months()],
        chart="line",
        note=_("Each patron counts once a month, whatever the number of their visits."),
    )


def _registrations_by(scope: Scope, field: str, label: str, key: str, title: str) -> Table:
    counts = (
        scope.filter(DailyCount.objects.filter(scope.in_period("day"), kind=EventKind.REGISTRATION))
        .values(field, "age_band")
        .order_by()
        .annotate(n=Sum("count"))
    )
    grid: dict[int | None, dict[str, int]] = defaultdict(dict)
    for c in counts:
        grid[c[field]][c["age_band"]] = c["n"]
    model = Library if field == "library" else Authority
    names = dict(model.objects.filter(pk__in=[k for k in grid if k]).values_list("pk", "name"))
    bands = [b for b in AgeBand.values if any(b in row for row in grid.values())]
    rows = [
        [names.get(k, _("unknown"))] + [grid[k].get(b, 0) for b in bands] + [sum(grid[k].values())]
        for k in grid
    ]
    rows.sort(key=lambda row: (-row[-1], row[0]))
    return Table(
        key,
        title,
        [Column(label, numeric=False)]
        + [Column(AgeBand(b).label, patrons=True) for b in bands]
        + [Column(_("Total"), patrons=True)],
        rows,
        chart="bar-total",
        note=_("Patrons who registered during the period, by age band."),
    )


def registrations_by_library(scope: Scope) -> Table:
    return _registrations_by(
        scope, "library", _("Library"), "registrations-library", _("New patrons by library")
    )


def registrations_by_commune(scope: Scope) -> Table:
    return _registrations_by(
        scope, "commune", _("Commune"), "registrations-commune", _("New patrons by commune")
    )


def _counter(scope: Scope):
    return scope.filter(
        CounterMetric.objects.filter(scope.in_period(), metric__in=COUNTER_METRICS),
        library=None,
        network="report__network",
    )


def counter_by_month(scope: Scope) -> Table:
    """Each provider's figures month by month, one line per report and metric: a TR and
    a PR of the same platform are two readings of the same use, shown apart."""
    counts = (
        _counter(scope)
        .values("report__provider", "report__report_id", "metric", "month")
        .order_by()
        .annotate(n=Sum("count"))
    )
    grid: dict[tuple[str, int, str, str], dict[date, int]] = defaultdict(dict)
    for c in counts:
        report_id = c["report__report_id"]
        order = PLATFORM_REPORTS.index(report_id) if report_id in PLATFORM_REPORTS else 99
        key = (c["report__provider"], order, report_id, c["metric"])
        grid[key][c["month"]] = c["n"]
    months = scope.months()
    rows = [
        [provider, report_id, metric]
        + [grid[key].get(m, 0) for m in months]
        + [sum(grid[key].values())]
        for key in sorted(grid)
        for provider, _order, report_id, metric in [key]
    ]
    return Table(
        "counter",
        _("Provider reports (COUNTER) per month"),
        [
            Column(_("Provider"), numeric=False),
            Column(_("Report"), numeric=False),
            Column(_("Metric"), numeric=False),
        ]
        + [Column(_month_label(m)) for m in months]
        + [Column(_("Total"))],
        rows,
        chart="",
        note=_(
            "Figures sent by the providers, for the whole network, report by report "
            "(PR: platform, TR: titles, DR: databases, IR: items); reports are never added "
            "together."
        ),
    )


def resource_names() -> dict[str, str]:
    """Names of the catalogue's resources by short name (the `resource` of the events)."""
    from boite.catalog.models import Resource

    return dict(Resource.objects.values_list("slug", "name"))


def _resources_of(account: ProviderAccount, resources: list) -> list:
    """The catalogue resources whose use an account's reports describe: those of its
    catalogue provider open to its network, or the one resource named like its key."""
    if account.catalog_provider_id:
        return [
            r
            for r in resources
            if r.provider_id == account.catalog_provider_id and account.network_id in r.network_ids
        ]
    return [r for r in resources if r.slug == account.provider]


def provider_beside_portal(scope: Scope) -> Table:
    """Per resource, the provider's COUNTER requests beside the portal's own openings.

    A provider with one resource has all its figures on it; a provider with several has
    each figure on the resource whose name (or short name) its platform or item bears,
    and the rest on a line « other titles » of the provider."""
    from boite.catalog.models import Resource

    metrics = ["Total_Item_Requests", "Unique_Item_Requests"]
    counter = _counter(scope).filter(metric__in=metrics)
    accounts = scope.filter(
        ProviderAccount.objects.select_related("catalog_provider"), library=None
    ).order_by("name")
    resources = list(Resource.objects.prefetch_related("networks"))
    for resource in resources:
        resource.network_ids = {n.pk for n in resource.networks.all()}
    portal = dict(
        scope.filter(MonthlyCount.objects.filter(scope.in_period(), kind=EventKind.ACCESS_GRANTED))
        .values("resource")
        .order_by()
        .annotate(n=Sum("count"))
        .values_list("resource", "n")
    )
    # Lines keyed by (provider name, resource name or "") → [requests, unique, portal
    # slugs, reports read]
    lines: dict[tuple[str, str], list] = {}
    seen_keys: set[tuple[int, str]] = set()

    chosen: str | None = None

    def line(provider: str, resource: str, slug: str = "") -> list:
        entry = lines.setdefault((provider, resource), [0, 0, set(), set()])
        if slug:
            entry[2].add(slug)
        if chosen:
            entry[3].add(chosen)
        return entry

    for account in accounts:
        if (account.network_id, account.provider) in seen_keys:
            continue
        seen_keys.add((account.network_id, account.provider))
        own = _resources_of(account, resources)
        provider = account.catalog_provider.name if account.catalog_provider_id else account.name
        figures = counter.filter(
            report__network=account.network_id, report__provider=account.provider
        )
        chosen = platform_report(figures.values_list("report__report_id", flat=True).distinct())
        figures = figures.filter(report__report_id=chosen)
        if len(own) <= 1:
            slug = own[0].slug if own else account.provider
            name = own[0].name if own else account.provider
            entry = line(provider, name, slug)
            for row in figures.values("metric").order_by().annotate(n=Sum("count")):
                entry[metrics.index(row["metric"])] += row["n"]
            continue
        names = {}
        for resource in own:
            line(provider, resource.name, resource.slug)
            names[fold(resource.name)] = names[fold(resource.slug)] = resource.name
        grouped = figures.values("platform", "item", "metric").order_by().annotate(n=Sum("count"))
        for row in grouped:
            name = names.get(fold(row["platform"])) or names.get(fold(row["item"]))
            entry = line(provider, name or _("other titles"))
            entry[metrics.index(row["metric"])] += row["n"]
    rows = [
        [
            resource,
            provider,
            ", ".join(sorted(reports)),
            total,
            unique,
            sum(portal.get(slug, 0) for slug in slugs),
        ]
        for (provider, resource), (total, unique, slugs, reports) in sorted(lines.items())
    ]
    return Table(
        "providers",
        _("Provider figures beside the portal's own, per resource"),
        [
            Column(_("Resource"), numeric=False),
            Column(_("Provider"), numeric=False),
            Column(_("Report"), numeric=False),
            Column(_("Requests (COUNTER)")),
            Column(_("Unique item requests (COUNTER)")),
            Column(_("Resource opened from the portal")),
        ],
        rows,
        chart="",
        note=_(
            "Requests read from one report per provider: its Platform report (PR), or "
            "without one its Title report (TR), then DR, IR — never several added together."
        ),
    )


TABLES: dict[str, tuple[Callable[[Scope], Table], bool]] = {
    # key: (builder, needs a whole network)
    "membership": (membership, False),
    "events": (events_by_month, False),
    "patrons": (unique_patrons_by_month, False),
    "resources": (access_by_resource, False),
    "refusals": (refusals_by_reason, False),
    "registrations-library": (registrations_by_library, False),
    "registrations-commune": (registrations_by_commune, False),
    "loans-titles": (loans_by_title, False),
    "loans-libraries": (loans_by_library, False),
    "holds": (holds_by_month, False),
    "counter": (counter_by_month, True),
    "providers": (provider_beside_portal, True),
    "cost-per-use": (cost_per_use_table, True),
}


def tables_for(scope: Scope) -> list[Table]:
    """Every table the person may read, cached until the next roll-up or import: the
    figures change only then (and the cache lasts ten minutes at most)."""
    key = _cache_key(scope)
    tables = cache.get(key)
    if tables is None:
        tables = [
            build(scope) for build, whole in TABLES.values() if scope.whole_networks or not whole
        ]
        cache.set(key, tables, CACHE_SECONDS)
    return tables


CACHE_SECONDS = 600


def _contracts_version() -> dict:
    from boite.finance.models import Contract

    return Contract.objects.aggregate(v=Max("pk"), n=Count("pk"), c=Sum("yearly_cost"))


def _cache_key(scope: Scope) -> str:
    version = (
        RollupRun.objects.filter(ok=True).aggregate(v=Max("pk"))["v"],
        CounterReport.objects.aggregate(v=Max("pk"), n=Count("pk")),
        Library.objects.aggregate(n=Count("pk"), m=Count("pk", filter=Q(membership="member"))),
        _contracts_version(),
    )
    parts = (
        sorted(scope.access.roles),
        scope.access.is_superuser,
        scope.network.pk if scope.network else None,
        scope.first,
        scope.last,
        get_language(),
        version,
    )
    return "stats:tables:" + hashlib.sha256(repr(parts).encode()).hexdigest()


def table_for(scope: Scope, key: str) -> Table | None:
    if key not in TABLES:
        return None
    build, whole = TABLES[key]
    if whole and not scope.whole_networks:
        return None
    return build(scope)
