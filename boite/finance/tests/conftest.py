"""Fixtures of the finance tests: the Calvados / Caen la Mer agreement, a 2026 campaign."""

from datetime import date
from decimal import Decimal

import pytest

from boite.finance.models import Agreement, Campaign, Contract


@pytest.fixture
def agreement(department, urban_community, calvados, caen_network) -> Agreement:
    return Agreement.create(
        title="Convention de partenariat La Boîte numérique",
        purpose="Acquisition partagée des ressources en ligne",
        parties=[department, urban_community],
        start=date(2026, 1, 1),
        end=date(2028, 12, 31),
    )


@pytest.fixture
def campaign(calvados) -> Campaign:
    return Campaign.objects.create(network=calvados, year=2026, reference_year=2021)


@pytest.fixture
def make_contract(agreement):
    def _make(offer: str, cost: str, payer, year: int = 2026, **extra) -> Contract:
        contract = Contract(
            year=year,
            offer=offer,
            supplier=extra.pop("supplier", offer),
            reference=extra.pop("reference", f"M-{year}-{offer[:3]}"),
            start=extra.pop("start", date(year, 1, 1)),
            end=extra.pop("end", date(year, 12, 31)),
            yearly_cost=Decimal(cost),
            ordering_party=payer,
            agreement=agreement,
            **extra,
        )
        contract.full_clean()
        contract.save()
        return contract

    return _make
