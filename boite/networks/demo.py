"""Demo networks: « La Boîte numérique » (Calvados) and the Caen la Mer network.

Loaded by `manage.py load_demo` on an empty database (`make run` does it). The
communes come from data/calvados-communes.csv (INSEE, legal population 2021); the
libraries are named after real communes but their details are invented.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from django.utils import translation
from django.utils.formats import number_format
from django.utils.text import slugify

from boite.networks import outlines
from boite.networks.communes import import_communes
from boite.networks.models import (
    Authority,
    AuthorityPopulation,
    Library,
    Network,
    NetworkHost,
    StaffRole,
    User,
)

COMMUNES_CSV = Path(__file__).parent / "data" / "calvados-communes.csv"
OUTLINES_CSV = Path(__file__).parent / "data" / "calvados-communes-outlines.csv"
DEMO_PASSWORD = "demo-boite-2026"  # noqa: S105 — documented demo accounts, never in production

# The staff accounts, as `load_demo` lists them once the demo is loaded (all with
# DEMO_PASSWORD); the patrons' demo adds its own.
ACCOUNTS = [
    ("admin", "superuser (consortium technical administrator), /admin/"),
    ("admin.calvados", "network administrator, La Boîte numérique"),
    ("admin.caen", "network administrator, Caen la Mer"),
    ("biblio.bayeux", "library staff, Médiathèque de Bayeux"),
    ("biblio.caen", "library staff, Bibliothèque Alexis de Tocqueville"),
    ("finance", "finance, both networks"),
    ("redaction", "editor, La Boîte numérique"),
]

# Communes of the Caen la Mer urban community (a selection of its 48 member communes).
CAEN_LA_MER = [
    "Caen",
    "Hérouville-Saint-Clair",
    "Ifs",
    "Mondeville",
    "Colombelles",
    "Blainville-sur-Orne",
    "Bretteville-sur-Odon",
    "Carpiquet",
    "Cormelles-le-Royal",
    "Épron",
    "Fleury-sur-Orne",
    "Giberville",
    "Louvigny",
    "Saint-Germain-la-Blanche-Herbe",
    "Verson",
    "Ouistreham",
    "Douvres-la-Délivrande",
    "Mouen",
    "Thue et Mue",
    "Rots",
    "Colleville-Montgomery",
    "Hermanville-sur-Mer",
    "Lion-sur-Mer",
    "Saint-Aubin-d'Arquenay",
    "Bénouville",
    "Biéville-Beuville",
    "Cambes-en-Plaine",
    "Mathieu",
    "Périers-sur-le-Dan",
    "Saint-Contest",
    "Authie",
    "Cuverville",
    "Démouville",
    "Sannerville",
    "Éterville",
    "Cairon",
    "Rosel",
    "Saint-André-sur-Orne",
    "Villons-les-Buissons",
    "Le Fresne-Camilly",
    "Thaon",
    "Colomby-Anguerny",
    "Basly",
    "Anisy",
]

# (commune, library name) — Caen la Mer network.
CAEN_LIBRARIES = [
    ("Caen", "Bibliothèque Alexis de Tocqueville"),
    ("Caen", "Bibliothèque du Chemin Vert"),
    ("Caen", "Bibliothèque de la Folie Couvrechef"),
    ("Caen", "Bibliothèque de la Grâce de Dieu"),
    ("Caen", "Bibliothèque de la Guérinière"),
    ("Caen", "Bibliothèque de la Maladrerie"),
    ("Caen", "Bibliothèque du Venoix"),
    ("Caen", "Bibliothèque de la Pierre Heuzé"),
    ("Hérouville-Saint-Clair", "Bibliothèque d'Hérouville-Saint-Clair"),
    ("Ifs", "Médiathèque Jacques Prévert"),
    ("Mondeville", "Bibliothèque de Mondeville"),
    ("Colombelles", "Médiathèque de Colombelles"),
    ("Blainville-sur-Orne", "Médiathèque de Blainville-sur-Orne"),
    ("Bretteville-sur-Odon", "Bibliothèque de Bretteville-sur-Odon"),
    ("Carpiquet", "Bibliothèque de Carpiquet"),
    ("Cormelles-le-Royal", "Médiathèque de Cormelles-le-Royal"),
    ("Fleury-sur-Orne", "Médiathèque de Fleury-sur-Orne"),
    ("Giberville", "Bibliothèque de Giberville"),
    ("Louvigny", "Bibliothèque de Louvigny"),
    ("Verson", "Médiathèque de Verson"),
    ("Ouistreham", "Médiathèque d'Ouistreham"),
    ("Douvres-la-Délivrande", "Médiathèque de Douvres-la-Délivrande"),
]

# (commune, library name) — departmental network (Bibliothèque du Calvados).
CALVADOS_LIBRARIES = [
    ("Bayeux", "Médiathèque de Bayeux"),
    ("Lisieux", "Médiathèque André Malraux"),
    ("Vire Normandie", "Médiathèque de Vire"),
    ("Falaise", "Médiathèque de Falaise"),
    ("Honfleur", "Médiathèque d'Honfleur"),
    ("Deauville", "Médiathèque de Deauville"),
    ("Trouville-sur-Mer", "Bibliothèque de Trouville-sur-Mer"),
    ("Pont-l'Évêque", "Médiathèque de Pont-l'Évêque"),
    ("Condé-en-Normandie", "Médiathèque de Condé-en-Normandie"),
    ("Dives-sur-Mer", "Médiathèque de Dives-sur-Mer"),
    ("Cabourg", "Médiathèque de Cabourg"),
    ("Houlgate", "Bibliothèque d'Houlgate"),
    ("Villers-Bocage", "Médiathèque de Villers-Bocage"),
    ("Les Monts d'Aunay", "Médiathèque des Monts d'Aunay"),
    ("Isigny-sur-Mer", "Bibliothèque d'Isigny-sur-Mer"),
    ("Livarot-Pays-d'Auge", "Médiathèque de Livarot"),
    ("Mézidon Vallée d'Auge", "Médiathèque de Mézidon"),
    ("Saint-Pierre-en-Auge", "Médiathèque de Saint-Pierre-en-Auge"),
    ("Évrecy", "Bibliothèque d'Évrecy"),
    ("Courseulles-sur-Mer", "Médiathèque de Courseulles-sur-Mer"),
    ("Creully sur Seulles", "Bibliothèque de Creully"),
    ("Le Molay-Littry", "Médiathèque du Molay-Littry"),
    ("Trévières", "Bibliothèque de Trévières"),
    ("Balleroy-sur-Drôme", "Bibliothèque de Balleroy"),
    ("Caumont-sur-Aure", "Médiathèque de Caumont"),
    ("Souleuvre en Bocage", "Médiathèque de Souleuvre en Bocage"),
    ("Noues de Sienne", "Bibliothèque de Saint-Sever"),
    ("Valdallière", "Médiathèque de Vassy"),
    ("Potigny", "Bibliothèque de Potigny"),
    ("Argences", "Médiathèque d'Argences"),
    ("Moult-Chicheboville", "Médiathèque de Moult-Chicheboville"),
    ("Troarn", "Bibliothèque de Troarn"),
    ("Merville-Franceville-Plage", "Bibliothèque de Merville-Franceville"),
    ("Orbec", "Médiathèque d'Orbec"),
    ("Villers-sur-Mer", "Médiathèque de Villers-sur-Mer"),
    ("Bretteville-sur-Laize", "Bibliothèque de Bretteville-sur-Laize"),
    ("Grandcamp-Maisy", "Bibliothèque de Grandcamp-Maisy"),
    ("Port-en-Bessin-Huppain", "Bibliothèque de Port-en-Bessin"),
    ("Luc-sur-Mer", "Bibliothèque de Luc-sur-Mer"),
    ("Dozulé", "Médiathèque de Dozulé"),
]

_OPENING_HOURS = "Mardi 14 h – 18 h\nMercredi 10 h – 12 h 30 et 14 h – 18 h\nSamedi 10 h – 17 h"


def figure(value: int | Decimal, decimals: int = 0) -> str:
    """A count or an amount written the French way for the demo's console lines: 30 059,
    1 916,25 (a no-break space between thousands, a decimal comma)."""
    with translation.override("fr"):
        return number_format(value, decimal_pos=decimals, use_l10n=True, force_grouping=True)


def euros(amount: Decimal) -> str:
    """An amount in euros the French way: 29 019 € when whole, 31 327,05 € with cents
    (to the cent half up, the consortium's rule)."""
    amount = Decimal(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{figure(amount, 0 if amount == amount.to_integral_value() else 2)}\xa0€"


def _library(network: Network, commune: Authority, name: str, index: int) -> Library:
    postal_code = commune.postal_codes.split()[0] if commune.postal_codes else ""
    library, _created = Library.objects.update_or_create(
        network=network,
        slug=slugify(name)[:120],
        defaults={
            "authority": commune,
            "name": name,
            "code": f"{network.slug[:3].upper()}{index:03d}",
            "address": f"{index} place de la Mairie",
            "postal_code": postal_code,
            "email": f"{slugify(name)[:40]}@bibliotheques.example",
            "phone": f"02 31 {10 + index % 80:02d} {20 + index % 70:02d} {30 + index % 60:02d}",
            "opening_hours": _OPENING_HOURS,
        },
    )
    return library


def _staff(username: str, first: str, last: str, roles: list[tuple[str, Network, Library | None]]):
    user, created = User.objects.get_or_create(
        username=username,
        defaults={
            "first_name": first,
            "last_name": last,
            "email": f"{username}@demo.example",
            "is_staff": True,
        },
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    for kind, network, library in roles:
        StaffRole.objects.get_or_create(user=user, kind=kind, network=network, library=library)
    return user


def shared_owner() -> Network | None:
    """The owner of what the demo shares between the two networks (providers, resources,
    the PNB account): the departmental network, which runs « La Boîte numérique » for
    both; Caen la Mer sets its own portal's visibility and order of them."""
    return Network.objects.filter(slug="boite-numerique").first()


def load(stdout) -> None:
    report = import_communes(COMMUNES_CSV)
    outlines.import_outlines(outlines.read_csv(OUTLINES_CSV.read_bytes()))
    communes = {a.name: a for a in Authority.objects.filter(kind=Authority.Kind.COMMUNE)}
    population_year = 2021

    department, _ = Authority.objects.update_or_create(
        code="14", defaults={"kind": Authority.Kind.DEPARTMENT, "name": "Département du Calvados"}
    )
    AuthorityPopulation.objects.update_or_create(
        authority=department,
        year=population_year,
        defaults={
            "population": sum(
                AuthorityPopulation.objects.filter(
                    year=population_year, authority__kind=Authority.Kind.COMMUNE
                ).values_list("population", flat=True)
            )
        },
    )
    urban, _ = Authority.objects.update_or_create(
        code="200065597",
        defaults={
            "kind": Authority.Kind.INTERCOMMUNALITY,
            "name": "Communauté urbaine Caen la Mer",
        },
    )
    members = [communes[name] for name in CAEN_LA_MER if name in communes]
    Authority.objects.filter(pk__in=[c.pk for c in members]).update(parent=urban)
    AuthorityPopulation.objects.update_or_create(
        authority=urban,
        year=population_year,
        defaults={
            "population": sum(
                AuthorityPopulation.objects.filter(
                    year=population_year, authority__in=members
                ).values_list("population", flat=True)
            )
        },
    )

    calvados, _ = Network.objects.update_or_create(
        slug="boite-numerique",
        defaults={
            "name": "La Boîte numérique",
            "partner": department,
            "primary_colour": "#1d4f91",
            "accent_colour": "#b3164b",
            "tagline": "Films, presse, livres, cours et jeux en ligne, gratuits avec votre "
            "bibliothèque",
            "welcome_text": "La Boîte numérique est le service de ressources en ligne des "
            "bibliothèques du Calvados, proposé par le Département avec la Communauté urbaine "
            "Caen la Mer. Inscrivez-vous une fois, puis regardez, lisez, écoutez et apprenez "
            "où que vous soyez.",
            "contact_email": "boitenumerique@calvados.example",
            "contact_phone": "02 31 00 00 00",
            "contact_address": "Bibliothèque du Calvados\n14000 Caen",
            "legal_notice": "Éditeur : Département du Calvados, 9 rue Saint-Laud, 14000 Caen.\n"
            "Directeur de la publication : le Président du Conseil départemental.\n"
            "Hébergement : serveurs du Département du Calvados.",
            "privacy_notice": "Responsable du traitement : Département du Calvados. Finalité : "
            "donner accès aux ressources en ligne des bibliothèques. Base légale : mission de "
            "service public. Conservation : durée de l'inscription, puis 24 mois.",
            "accessibility_status": Network.Accessibility.PARTIAL,
            "accessibility_audit_date": date(2026, 11, 1),
        },
    )
    caen, _ = Network.objects.update_or_create(
        slug="caen-la-mer",
        defaults={
            "name": "Réseau des bibliothèques de Caen la Mer",
            "partner": urban,
            "primary_colour": "#00594f",
            "accent_colour": "#a4343a",
            "tagline": "Les ressources en ligne des bibliothèques de Caen la Mer",
            "welcome_text": "Avec votre carte des bibliothèques de Caen la Mer, profitez de "
            "films, de la presse, de cours et de livres numériques, chez vous ou en mobilité.",
            "contact_email": "bibliotheques@caenlamer.example",
            "contact_phone": "02 31 30 47 00",
            "contact_address": "Bibliothèque Alexis de Tocqueville\n15 quai François Mitterrand\n"
            "14000 Caen",
            "legal_notice": "Éditeur : Communauté urbaine Caen la Mer, 16 rue Rosa Parks, "
            "14000 Caen.",
            "accessibility_status": Network.Accessibility.PARTIAL,
            "accessibility_audit_date": date(2026, 11, 1),
        },
    )
    for network, hosts in [(calvados, ["localhost", "127.0.0.1"]), (caen, ["caen.localhost"])]:
        for host in hosts:
            NetworkHost.objects.update_or_create(host=host, defaults={"network": network})

    for index, (commune, name) in enumerate(CAEN_LIBRARIES, start=1):
        _library(caen, communes[commune], name, index)
    for index, (commune, name) in enumerate(CALVADOS_LIBRARIES, start=1):
        _library(calvados, communes[commune], name, index)

    bayeux = Library.objects.get(network=calvados, slug="mediatheque-de-bayeux")
    tocqueville = Library.objects.get(network=caen, slug="bibliotheque-alexis-de-tocqueville")
    Kind = StaffRole.Kind
    _staff("admin.calvados", "Claire", "Lemoine", [(Kind.NETWORK_ADMIN, calvados, None)])
    _staff("admin.caen", "Hugo", "Marie", [(Kind.NETWORK_ADMIN, caen, None)])
    _staff("biblio.bayeux", "Sophie", "Hamel", [(Kind.LIBRARY_STAFF, calvados, bayeux)])
    _staff("biblio.caen", "Karim", "Benali", [(Kind.LIBRARY_STAFF, caen, tocqueville)])
    _staff("finance", "Anne", "Duval", [(Kind.FINANCE, calvados, None), (Kind.FINANCE, caen, None)])
    _staff("redaction", "Julien", "Lefèvre", [(Kind.EDITOR, calvados, None)])
    if not User.objects.filter(username="admin").exists():
        User.objects.create_superuser("admin", "admin@demo.example", DEMO_PASSWORD)
    stdout.write(
        f"{figure(report.created + report.updated)} communes of Calvados, "
        f"{figure(Library.objects.count())} libraries in {Network.objects.count()} networks, "
        f"{len(ACCOUNTS)} staff accounts"
    )
