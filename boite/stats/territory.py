"""The territory, commune by commune: who is a member, what it pays, how many of its
inhabitants use the portal — the argument a department needs to bring small communes in.

For one network and one year: each commune the network covers (every commune of the
department for a departmental network, the communes of the intercommunality for an
intercommunal one), its legal population, whether it is a member in that year's
membership campaign and its fee, its libraries, the registered patrons of those
libraries per 1 000 inhabitants, the openings of resources and the loans of its
patrons (from the daily roll-ups), and the fee per registered patron.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils.formats import number_format

from boite.networks import outlines
from boite.networks.models import Authority, AuthorityPopulation, Network

CLASSES = 5  # colour classes of the map


@dataclass
class CommuneRow:
    code: str
    name: str
    population: int
    member: bool
    fee: Decimal | None
    served_by: str = ""  # the other network whose territory the commune is in
    libraries: list[str] = field(default_factory=list)
    patrons: int = 0
    openings: int = 0
    loans: int = 0

    @property
    def per_thousand(self) -> float | None:
        return round(1000 * self.patrons / self.population, 1) if self.population else None

    @property
    def fee_per_patron(self) -> Decimal | None:
        if self.fee is None or not self.patrons:
            return None
        return (self.fee / self.patrons).quantize(Decimal("0.01"))


SORTS = {
    "name": lambda r: r.name.casefold(),
    "population": lambda r: r.population,
    "member": lambda r: (r.member, r.name.casefold()),
    "fee": lambda r: r.fee or Decimal(0),
    "patrons": lambda r: r.patrons,
    "per_thousand": lambda r: r.per_thousand or 0,
    "openings": lambda r: r.openings,
    "loans": lambda r: r.loans,
    "fee_per_patron": lambda r: r.fee_per_patron or Decimal(0),
}


def communes_of(network: Network):
    partner = network.partner
    communes = Authority.objects.filter(kind=Authority.Kind.COMMUNE)
    if partner.kind == Authority.Kind.DEPARTMENT:
        return communes.filter(code__startswith=partner.code)
    if partner.kind == Authority.Kind.INTERCOMMUNALITY:
        return communes.filter(parent=partner)
    return communes.filter(pk=partner.pk)


def rows(network: Network, year: int) -> list[CommuneRow]:
    from boite.finance.models import Membership
    from boite.patrons.models import Patron
    from boite.stats.models import DailyCount, EventKind

    communes = list(communes_of(network).order_by("name"))
    # A departmental network's map shows the communes of an intercommunal network apart.
    served_by = {
        commune_id: other.name
        for other in Network.objects.exclude(pk=network.pk).filter(
            partner__kind=Authority.Kind.INTERCOMMUNALITY
        )
        for commune_id in communes_of(other).values_list("pk", flat=True)
    }
    ids = [c.pk for c in communes]
    population = {}
    for authority_id, people in (
        AuthorityPopulation.objects.filter(authority__in=ids, year__lte=year)
        .order_by("authority", "-year")
        .values_list("authority", "population")
    ):
        population.setdefault(authority_id, people)  # the latest census up to the year
    memberships = {
        m.authority_id: m
        for m in Membership.objects.filter(
            campaign__network=network, campaign__year=year, authority__in=ids
        )
    }
    libraries: dict[int, list[str]] = {}
    for authority_id, name in network.libraries.filter(authority__in=ids).values_list(
        "authority", "name"
    ):
        libraries.setdefault(authority_id, []).append(name)
    registered = dict(
        Patron.objects.filter(network=network, home_library__authority__in=ids)
        .filter(state__in=[Patron.State.TRIAL, Patron.State.AWAITING, Patron.State.ACTIVE])
        .values("home_library__authority")
        .annotate(n=Count("pk"))
        .values_list("home_library__authority", "n")
    )
    usage = {
        row["commune"]: row
        for row in DailyCount.objects.filter(network=network, day__year=year, commune__in=ids)
        .values("commune")
        .annotate(
            openings=Sum("count", filter=Q(kind=EventKind.ACCESS_GRANTED)),
            loans=Sum("count", filter=Q(kind=EventKind.LOAN)),
        )
    }
    result = []
    for commune in communes:
        membership = memberships.get(commune.pk)
        used = usage.get(commune.pk, {})
        result.append(
            CommuneRow(
                code=commune.code,
                name=commune.name,
                population=population.get(commune.pk, 0),
                # Called in the year's campaign (the campaign calls the authorities of the
                # member libraries) and not gone: a member, whether it has paid yet or not.
                member=membership is not None and membership.state != Membership.State.LEFT,
                fee=membership.fee if membership is not None else None,
                libraries=sorted(libraries.get(commune.pk, [])),
                patrons=registered.get(commune.pk, 0),
                openings=used.get("openings") or 0,
                loans=used.get("loans") or 0,
                served_by=served_by.get(commune.pk, ""),
            )
        )
    return result


def sorted_rows(found: list[CommuneRow], key: str, descending: bool) -> list[CommuneRow]:
    return sorted(found, key=SORTS.get(key, SORTS["name"]), reverse=descending)


SHOWN = {
    "": lambda r: True,
    "membres": lambda r: r.member,
    "autres": lambda r: not r.member and not r.served_by,
}


@dataclass(frozen=True)
class MapShape:
    code: str
    name: str
    path: str
    colour_class: int | None  # None: not a member, drawn apart
    label: str
    served_by: str


def thresholds(values: list[float]) -> list[float]:
    """Upper bounds of CLASSES classes of equal counts (quantiles) of the values."""
    ordered = sorted(values)
    if not ordered:
        return []
    return [
        ordered[min(len(ordered) - 1, (len(ordered) * k) // CLASSES)] for k in range(1, CLASSES)
    ]


def colour_class(value: float, bounds: list[float]) -> int:
    return sum(1 for bound in bounds if value > bound)


def map_of(found: list[CommuneRow]) -> tuple[list[MapShape], int, list[float]]:
    """The shapes of the communes that have an outline, each with its colour class of
    registered patrons per 1 000 inhabitants (members only), the map's height, and the
    class bounds for the legend."""
    by_code = {r.code: r for r in found}
    drawn = dict(
        Authority.objects.filter(code__in=by_code)
        .exclude(outline="")
        .values_list("code", "outline")
    )
    shapes, height = outlines.project(drawn)
    bounds = thresholds(
        [by_code[s.code].per_thousand or 0 for s in shapes if by_code[s.code].member]
    )
    result = []
    for shape in shapes:
        row = by_code[shape.code]
        value = row.per_thousand or 0
        result.append(
            MapShape(
                code=shape.code,
                name=row.name,
                path=shape.path,
                colour_class=colour_class(value, bounds) if row.member else None,
                label=number_format(value),
                served_by=row.served_by,
            )
        )
    return result, height, bounds
