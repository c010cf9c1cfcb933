"""Demo PNB licences: one Dilicom account shared by both networks, and its offer file.

The account is inactive (its address does not exist), so the periodic sync leaves it
alone; the licences come from a real import of data/demo_pnb_offers_full.xml, which also
leaves a sync run to look at in « Synchronisations avec les distributeurs ».
"""

from __future__ import annotations

from pathlib import Path

from boite.lending.models import DistributorAccount
from boite.lending.sync import import_offers
from boite.networks.models import Network

OFFERS = Path(__file__).parent / "data" / "demo_pnb_offers_full.xml"


def load(stdout) -> None:
    account, _created = DistributorAccount.objects.get_or_create(
        name="Dilicom PNB (démonstration)",
        defaults={
            "kind": "dilicom",
            "base_url": "https://pnb-demo.invalid/v3/digitalLoan",
            "login": "3025594195400",
            "is_active": False,
        },
    )
    account.networks.set(Network.objects.all())
    run = import_offers(account, str(OFFERS), full=True, name=OFFERS.name)
    stdout.write(f"PNB licences: {run.created} created ({run.get_outcome_display()})")
