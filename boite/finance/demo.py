"""Demo finance and governance: the 2026 campaigns of both networks, the partnership
agreement Département du Calvados / Communauté urbaine Caen la Mer (2026–2028, 50/50,
amended in 2026), the contracts of the seed offers (144 000 € a year), the working
groups « Ressources en ligne » and « PNB » and the COPIL with a meeting.

Loaded after boite.networks.demo (populations 2021 of the demo communes). The amounts
are plausible, not real.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from boite.catalog.models import Resource
from boite.finance.models import (
    Agreement,
    Amendment,
    Campaign,
    Committee,
    Contract,
    Decision,
    Meeting,
    SharingKey,
)
from boite.networks.demo import euros, figure
from boite.networks.models import Authority, Network, User

YEAR = 2026
REFERENCE_YEAR = 2021

# (offer, resource slug, supplier, reference, procurement, yearly cost, by the department?)
CONTRACTS = [
    ("Médiathèque Numérique", "mediatheque-numerique", "ARTE France Développement",
     "CD14-2026-01", "own", "38000.00", True),
    ("Cafeyn", "cafeyn", "Cafeyn SAS", "CLM-2026-04", "own", "22000.00", False),
    ("Philharmonie de Paris", "philharmonie", "Cité de la musique", "CD14-2026-02", "own",
     "9000.00", True),
    ("Skilleos", "skilleos", "Skilleos", "CLM-2026-05", "own", "12000.00", False),
    ("Vodeclic", "vodeclic", "Vodeclic", "CD14-2026-03", "group", "14000.00", True),
    ("Toutapprendre", "toutapprendre", "Toutapprendre", "CLM-2026-06", "group", "13500.00",
     False),
    ("diGame", "digame", "diGame", "CD14-2026-04", "own", "8500.00", True),
    ("Ma Petite Médiathèque", "ma-petite-mediatheque", "ARTE France Développement",
     "CLM-2026-07", "own", "7000.00", False),
    ("PNB", "pnb-livres", "Dilicom (crédits de licences)", "CD14-2026-05", "own", "20000.00",
     True),
]  # fmt: skip


def load(stdout) -> None:
    department = Authority.objects.get(code="14")
    urban = Authority.objects.get(code="200065597")

    for network in Network.objects.filter(slug__in=["boite-numerique", "caen-la-mer"]):
        campaign, _ = Campaign.objects.get_or_create(
            network=network,
            year=YEAR,
            defaults={"reference_year": REFERENCE_YEAR, "due_date": date(YEAR, 6, 30)},
        )
        count = campaign.generate()
        stdout.write(
            f"campaign {YEAR} of {network.name}: {figure(count)} calls for "
            f"{euros(campaign.total())}"
        )

    agreement = Agreement.objects.filter(title__startswith="Convention La Boîte numérique").first()
    if agreement is None:
        agreement = Agreement.create(
            title="Convention La Boîte numérique 2026-2028",
            purpose="Acquisition et mise à disposition partagées des ressources en ligne des "
            "bibliothèques du Calvados et de Caen la Mer ; répartition des coûts à parts égales.",
            parties=[department, urban],
            start=date(2026, 1, 1),
            end=date(2028, 12, 31),
        )
    amendment, _ = Amendment.objects.update_or_create(
        agreement=agreement,
        year=YEAR,
        defaults={
            "financial_terms": "Budget 2026 des ressources en ligne : 144 000 € TTC, "
            "répartis à 50 % pour le Département et 50 % pour la Communauté urbaine.",
            "budget": Decimal("144000.00"),
            "signed_on": date(2026, 2, 10),
        },
    )
    if not agreement.keys.exists():
        SharingKey.create(agreement, agreement.start, {department: 50, urban: 50}, amendment)

    resources = {r.slug: r for r in Resource.objects.filter(slug__in=[c[1] for c in CONTRACTS])}
    for offer, slug, supplier, reference, procurement, cost, by_department in CONTRACTS:
        Contract.objects.update_or_create(
            year=YEAR,
            offer=offer,
            defaults={
                "resource": resources.get(slug),
                "supplier": supplier,
                "reference": reference,
                "procurement": procurement,
                "start": date(YEAR, 1, 1),
                "end": date(YEAR, 12, 31),
                "yearly_cost": Decimal(cost),
                "ordering_party": department if by_department else urban,
                "agreement": agreement,
            },
        )

    networks = list(Network.objects.filter(slug__in=["boite-numerique", "caen-la-mer"]))
    people = list(User.objects.filter(username__in=["admin.calvados", "admin.caen", "finance"]))
    for name, kind, remit in [
        (
            "Ressources en ligne",
            Committee.Kind.WORKING_GROUP,
            "Choisit et évalue les ressources en ligne du bouquet.",
        ),
        ("PNB", Committee.Kind.WORKING_GROUP, "Prêt numérique en bibliothèque : offre, médiation."),
        (
            "Comité de pilotage (COPIL)",
            Committee.Kind.STEERING,
            "Arrête chaque année le bouquet, le budget et la répartition des coûts.",
        ),
    ]:
        committee, _ = Committee.objects.update_or_create(
            name=name, defaults={"kind": kind, "description": remit}
        )
        committee.networks.set(networks)
        committee.members.set(people)
        if kind == Committee.Kind.STEERING:
            meeting, _ = Meeting.objects.update_or_create(
                committee=committee,
                date=date(2026, 1, 20),
                defaults={
                    "place": "Bibliothèque Alexis de Tocqueville, Caen",
                    "agenda": "1. Bilan d'usage 2025\n2. Budget 2026 et avenant financier\n"
                    "3. Groupement de commandes pour le prochain marché",
                    "minutes": "Le comité approuve le budget 2026 (144 000 €) et la répartition "
                    "50/50. Un groupement de commandes sera préparé pour 2027.",
                },
            )
            for text in [
                "Budget 2026 des ressources en ligne : 144 000 €, réparti à 50/50.",
                "Préparer un groupement de commandes pour le marché 2027.",
            ]:
                Decision.objects.get_or_create(
                    committee=committee, meeting=meeting, date=meeting.date, text=text
                )
    total = sum(Decimal(c[5]) for c in CONTRACTS)
    stdout.write(
        f"{len(CONTRACTS)} contracts {YEAR} for {euros(total)}, shared 50/50; the working "
        "groups « Ressources en ligne » and « PNB », the COPIL"
    )
