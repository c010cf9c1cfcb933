"""The demo data: the 2026 campaign, the split of the year's contracts and the balances,
with figures worked by hand."""

import io
from decimal import Decimal

import pytest

from boite.finance import demo as finance_demo
from boite.finance.models import Campaign, Committee, Contract, balances, settlements
from boite.networks import demo as networks_demo
from boite.networks.models import Authority


@pytest.fixture
def demo(db):
    out = io.StringIO()
    networks_demo.load(out)
    finance_demo.load(out)
    finance_demo.load(out)  # loading twice changes nothing
    return out


def test_demo_campaign_fees_are_population_times_rate(demo):
    campaign = Campaign.objects.get(network__slug="boite-numerique", year=2026)
    calls = {m.authority.name: m for m in campaign.memberships.all()}
    assert len(calls) == len(set(a for a, _ in networks_demo.CALVADOS_LIBRARIES))
    for call in calls.values():
        assert call.fee == (Decimal(call.authority.population(2021)) * Decimal("0.15")).quantize(
            Decimal("0.01")
        )
    # by hand: Bayeux 12 775 × 0.15 = 1 916.25 €; Lisieux 19 807 × 0.15 = 2 971.05 €
    assert (calls["Bayeux"].population, calls["Bayeux"].fee) == (12_775, Decimal("1916.25"))
    assert (calls["Lisieux"].population, calls["Lisieux"].fee) == (19_807, Decimal("2971.05"))
    caen = Campaign.objects.get(network__slug="caen-la-mer", year=2026)
    assert caen.memberships.filter(authority__name="Caen").count() == 1


def test_demo_contracts_split_fifty_fifty_and_balance(demo):
    department = Authority.objects.get(code="14")
    urban = Authority.objects.get(code="200065597")
    contracts = list(Contract.objects.filter(year=2026))
    assert len(contracts) == 9
    assert sum(c.yearly_cost for c in contracts) == Decimal("144000.00")
    rows = {b.party: b for b in balances(contracts)}
    # 144 000 / 2 = 72 000 each; the department paid 38 000 + 9 000 + 14 000 + 8 500 +
    # 20 000 = 89 500, the urban community 22 000 + 12 000 + 13 500 + 7 000 = 54 500.
    assert rows[department].share == rows[urban].share == Decimal("72000.00")
    assert rows[department].paid == Decimal("89500.00")
    assert rows[urban].paid == Decimal("54500.00")
    [transfer] = settlements(list(rows.values()))
    assert (transfer.debtor, transfer.creditor, transfer.amount) == (
        urban,
        department,
        Decimal("17500.00"),
    )


def test_demo_governance(demo):
    names = set(Committee.objects.values_list("name", flat=True))
    assert {"Ressources en ligne", "PNB", "Comité de pilotage (COPIL)"} <= names
    copil = Committee.objects.get(kind="steering")
    assert copil.meetings.count() == 1 and copil.decisions.count() == 2
