"""Demo patrons: a few hundred, in every state, spread over the demo libraries of both
networks (boite/networks/demo.py). Two can log in (password of the demo staff):
« usager.bayeux@demo.example » on localhost and « usager.caen@demo.example » on
caen.localhost. Loading twice adds nothing."""

from __future__ import annotations

import random
from datetime import date, timedelta

from django.utils import timezone

from boite.networks.demo import DEMO_PASSWORD, figure
from boite.networks.models import Library, Network
from boite.patrons.factories import make_patron
from boite.patrons.models import Patron, PatronEvent, PatronRules

PATRONS_PER_LIBRARY = 8
FIRST_NAMES = [
    "Camille",
    "Louise",
    "Jules",
    "Léa",
    "Hugo",
    "Chloé",
    "Nathan",
    "Manon",
    "Gabriel",
    "Inès",
    "Lucas",
    "Jade",
    "Arthur",
    "Zoé",
    "Raphaël",
    "Alice",
]
LAST_NAMES = [
    "Martin",
    "Lefèvre",
    "Leroy",
    "Hébert",
    "Marie",
    "Lemoine",
    "Duval",
    "Hamel",
    "Lecoq",
    "Guérin",
    "Lebrun",
    "Jacquet",
    "Vautier",
    "Letellier",
    "Osmont",
]
# How often each state appears among the demo patrons.
STATES = (
    [Patron.State.ACTIVE] * 10
    + [Patron.State.TRIAL] * 3
    + [Patron.State.AWAITING] * 2
    + [Patron.State.EXPIRED] * 2
    + [Patron.State.UNCONFIRMED, Patron.State.SUSPENDED, Patron.State.REJECTED]
)
# The two patrons who can log in (DEMO_PASSWORD), as `load_demo` lists them.
PORTAL_PATRONS = [
    ("usager.bayeux@demo.example", "mediatheque-de-bayeux", "localhost", "Médiathèque de Bayeux"),
    (
        "usager.caen@demo.example",
        "bibliotheque-alexis-de-tocqueville",
        "caen.localhost",
        "Bibliothèque Alexis de Tocqueville",
    ),
]
ACCOUNTS = [
    (email, f"patron of the {library}, « Se connecter » on {host}")
    for email, _slug, host, library in PORTAL_PATRONS
]


def load(stdout) -> None:
    if Patron.objects.filter(user__email__endswith="@demo.example").exists():
        stdout.write("patrons: already loaded")
        return
    rng = random.Random(4)  # noqa: S311 — reproducible demo data, not a secret
    today = timezone.localdate()
    for network in Network.objects.all():
        PatronRules.objects.get_or_create(network=network)
    count = 0
    libraries = list(
        Library.objects.members().select_related("network").order_by("network", "name")
    )
    for library in libraries:
        prefix = (library.code or library.slug[:6]).upper()
        for n in range(PATRONS_PER_LIBRARY):
            state = rng.choice(STATES)
            validated = state in (Patron.State.ACTIVE, Patron.State.EXPIRED, Patron.State.SUSPENDED)
            patron = make_patron(
                library,
                state=state,
                email=f"{prefix.lower()}-{n}@demo.example",
                first_name=rng.choice(FIRST_NAMES),
                last_name=rng.choice(LAST_NAMES),
                card_number=f"{prefix}{n:05d}" if validated else "",
                birth_date=date(1940, 1, 1) + timedelta(days=rng.randrange(365 * 70)),
                expires_on=today + timedelta(days=rng.randrange(1, 365))
                if state != Patron.State.EXPIRED
                else today - timedelta(days=rng.randrange(1, 900)),
                trial_ends_on=today + timedelta(days=rng.randrange(1, 21))
                if state == Patron.State.TRIAL
                else None,
            )
            patron.log(PatronEvent.Kind.REGISTERED)
            if validated:
                patron.log(PatronEvent.Kind.APPROVED, note=str(patron.expires_on))
            count += 1
    for email, slug, _host, _name in PORTAL_PATRONS:
        library = Library.objects.filter(slug=slug).first()
        if library:
            make_patron(
                library,
                email=email,
                password=DEMO_PASSWORD,
                first_name="Alex",
                last_name="Démo",
                card_number=f"DEMO-{library.pk}",
            )
            count += 1
    stdout.write(f"{figure(count)} patrons in {figure(len(libraries))} libraries, in every state")
