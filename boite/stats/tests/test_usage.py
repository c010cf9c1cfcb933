"""The year's usage per resource that the finance app divides costs by, and the cost
per use on the finance and statistics pages — figures worked by hand (see the
`year_of_use` fixture)."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from boite.finance.models import Agreement, Contract
from boite.finance.usage import UsageCounts, cost_per_use, usage_counts
from boite.stats.models import YearlyUnique
from boite.stats.usage import yearly_usage

pytestmark = pytest.mark.django_db


def test_yearly_usage_per_resource(year_of_use, calvados, caen_network):
    assert yearly_usage(2026) == {
        "cafeyn": UsageCounts(accesses=6, unique_users=3, loans=0),
        "pnb-livres": UsageCounts(accesses=0, unique_users=2, loans=3),
    }
    assert yearly_usage(2026, networks=[caen_network]) == {
        "cafeyn": UsageCounts(accesses=1, unique_users=1, loans=0),
        "pnb-livres": UsageCounts(accesses=0, unique_users=1, loans=1),
    }
    assert yearly_usage(2025) == {"cafeyn": UsageCounts(accesses=1, unique_users=1, loans=0)}
    # The finance app reads it through its setting.
    assert usage_counts(2026) == yearly_usage(2026)


def test_yearly_uniques_count_a_patron_once_a_year(year_of_use, calvados):
    # Patron 1 opened Cafeyn in January and in March: once in the year.
    row = YearlyUnique.objects.get(year=2026, network=calvados, resource="cafeyn", kind="use")
    assert row.patrons == 2
    active = YearlyUnique.objects.get(year=2026, network=calvados, resource="", kind="")
    assert active.patrons == 2  # patrons 1 and 2 (the refusal is patron 2's)


def test_cost_per_use_by_hand(year_of_use):
    usage = yearly_usage(2026)
    cafeyn = cost_per_use(Decimal("1000.00"), usage["cafeyn"])
    assert cafeyn.per_access == Decimal("166.67")  # 1 000 / 6
    assert cafeyn.per_unique_user == Decimal("333.33")  # 1 000 / 3
    assert cafeyn.per_loan is None
    pnb = cost_per_use(Decimal("600.00"), usage["pnb-livres"])
    assert (pnb.per_access, pnb.per_unique_user, pnb.per_loan) == (
        None,
        Decimal("300.00"),  # 600 / 2
        Decimal("200.00"),  # 600 / 3
    )


@pytest.fixture
def contracts(year_of_use, resources, department, urban_community):
    agreement = Agreement.create(
        title="Convention",
        purpose="Ressources en ligne",
        parties=[department, urban_community],
        start=date(2026, 1, 1),
        end=date(2028, 12, 31),
    )
    made = []
    for resource, cost in ((resources["cafeyn"], "1000.00"), (resources["pnb-livres"], "600.00")):
        contract = Contract(
            year=2026,
            resource=resource,
            supplier=resource.provider.name,
            reference="M-2026",
            start=date(2026, 1, 1),
            end=date(2026, 12, 31),
            yearly_cost=Decimal(cost),
            ordering_party=department,
            agreement=agreement,
        )
        contract.full_clean()
        contract.save()
        made.append(contract)
    return made


def test_a_contract_of_a_resource_takes_its_name(contracts):
    assert contracts[0].offer == "Cafeyn — la presse"
    assert contracts[0].usage_key == "cafeyn"


def test_an_offer_without_resource_nor_name_is_refused():
    contract = Contract(year=2026, supplier="X", reference="R", yearly_cost=Decimal("1"))
    with pytest.raises(ValidationError) as error:
        contract.clean()
    assert "offer" in error.value.message_dict


def test_cost_per_use_on_the_finance_page(client, login, finance_officer, contracts):
    login(client, finance_officer)
    page = client.get("/gestion/finances/contrats/2026/").content.decode()
    assert "166,67 € (6)" in page
    assert "333,33" in page and "300,00" in page and "200,00" in page
    assert '<a href="/ressources/cafeyn/">Cafeyn — la presse</a>' in page
