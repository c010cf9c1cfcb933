"""Demo PNB lending: one Dilicom account shared by both networks, a licence for every
e-book and audiobook of the demo catalogue (« pnb-livres », « pnb-livres-audio »), and the
offer file of data/, whose titles the catalogue does not have (its sync run shows the
« no catalogue record has this EAN » problems the librarians would see).

The account is inactive and its address does not exist, so the periodic sync leaves it
alone. Tests (and a developer with a fake distributor) point its address at a fake
distributor and mirror the licences there: `boite.lending.tests.fakes.mirror()`.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from django.utils import timezone, translation

from boite.catalog.models import Record
from boite.lending.models import DistributorAccount, Licence
from boite.lending.sync import import_offers
from boite.networks.demo import figure, shared_owner
from boite.networks.models import Network

OFFERS = Path(__file__).parent / "data" / "demo_pnb_offers_full.xml"
ACCOUNT_NAME = "Dilicom PNB (démonstration)"
PNB_RESOURCES = ("pnb-livres", "pnb-livres-audio")


def load(stdout) -> None:
    account, _created = DistributorAccount.objects.get_or_create(
        name=ACCOUNT_NAME,
        defaults={
            "kind": "dilicom",
            "base_url": "https://pnb-demo.invalid/v3/digitalLoan",
            "login": "3025594195400",
            "is_active": False,
            "owner": shared_owner(),
        },
    )
    networks = list(Network.objects.all())
    account.networks.set(networks)
    run = import_offers(account, str(OFFERS), full=True, name=OFFERS.name)
    now = timezone.now()
    records = Record.objects.filter(resource__slug__in=PNB_RESOURCES, withdrawn=False).order_by(
        "pk"
    )
    made = 0
    for index, record in enumerate(records):
        audiobook = record.resource.slug == "pnb-livres-audio"
        licence, created = Licence.objects.get_or_create(
            account=account,
            distributor_key=f"DEMO-{record.isbn or record.provider_id}"[:200],
            defaults={
                "ean": (record.isbn or "")[:13],
                "title": record.title[:500],
                "format": Licence.Format.AUDIOBOOK if audiobook else Licence.Format.EBOOK,
                "record": record,
                "loans_total": 30,
                "loans_left": 30 - index % 7,
                # the first titles have one copy, to try the queue with two patrons
                "concurrent_max": 1 if index % 3 == 0 else 2,
                "loan_max_days": 60 if index % 2 else 30,
                "valid_from": now - timedelta(days=90),
                "valid_until": now + timedelta(days=60 + 200 * index),
            },
        )
        if created:
            licence.networks.set(networks)
            made += 1
    with translation.override("en"):  # the console speaks English
        outcome = run.get_outcome_display()
    stdout.write(
        f"{figure(made)} PNB licences for the demo catalogue's titles; the offer file "
        f"{OFFERS.name}: {figure(run.created)} licences ({outcome})"
    )
