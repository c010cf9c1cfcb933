"""Campaigns, agreements, keys, contracts and balances, with figures worked by hand."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from boite.finance.models import (
    Agreement,
    Campaign,
    CampaignError,
    Contract,
    Membership,
    SharingKey,
    balances,
    settlements,
)
from boite.finance.usage import UsageCounts, cost_per_use
from boite.networks.models import AuthorityPopulation, Library


def test_campaign_calls_every_member_authority_with_population_times_rate(
    campaign, bayeux_library, lisieux_library, caen_library
):
    assert campaign.generate() == 2
    calls = {m.authority.name: m for m in campaign.memberships.all()}
    assert set(calls) == {"Bayeux", "Lisieux"}  # Caen belongs to the other network
    assert calls["Bayeux"].population == 12_900
    assert calls["Bayeux"].fee == Decimal("1935.00")
    assert calls["Lisieux"].fee == Decimal("3030.00")
    assert list(calls["Bayeux"].libraries.all()) == [bayeux_library]
    assert calls["Bayeux"].state == Membership.State.INVITED
    assert campaign.total() == Decimal("4965.00")


def test_a_library_that_left_brings_no_call(campaign, bayeux_library, lisieux_library):
    lisieux_library.membership = Library.Membership.LEFT
    lisieux_library.save()
    campaign.generate()
    assert [m.authority.name for m in campaign.memberships.all()] == ["Bayeux"]


def test_missing_population_refuses_the_whole_campaign(
    campaign, bayeux_library, lisieux_library, communes
):
    AuthorityPopulation.objects.filter(authority=communes["lisieux"]).delete()
    with pytest.raises(CampaignError) as refused:
        campaign.generate()
    assert "Lisieux" in str(refused.value)
    assert "2021" in str(refused.value)
    assert not Membership.objects.exists()
    campaign.refresh_from_db()
    assert campaign.generated_at is None


def test_regenerating_keeps_calls_already_invoiced(campaign, bayeux_library, communes):
    campaign.generate()
    call = campaign.memberships.get()
    call.move_to(Membership.State.INVOICED, date(2026, 3, 1))
    AuthorityPopulation.objects.filter(authority=communes["bayeux"]).update(population=13_000)
    campaign.generate()
    call.refresh_from_db()
    assert call.fee == Decimal("1935.00")
    assert call.invoiced_on == date(2026, 3, 1)


def test_what_if_changes_the_rate_of_every_fee(campaign, bayeux_library, lisieux_library):
    campaign.generate()
    # 12 900 × 0.20 = 2 580.00; 20 200 × 0.20 = 4 040.00
    assert campaign.what_if(Decimal("0.20")) == Decimal("6620.00")
    assert campaign.total() == Decimal("4965.00")  # nothing written


def test_agreement_has_a_fifty_fifty_key_by_default(agreement, department, urban_community):
    key = agreement.key_on(date(2026, 6, 1))
    assert {s.party: s.percent for s in key.shares.all()} == {
        department: Decimal("50.00"),
        urban_community: Decimal("50.00"),
    }
    assert agreement.key_on(date(2029, 1, 1)) is None


def test_overlapping_agreement_is_refused(agreement, department, urban_community):
    with pytest.raises(ValidationError) as refused:
        Agreement.create(
            title="Autre",
            purpose="x",
            parties=[department, urban_community],
            start=date(2028, 6, 1),
            end=date(2030, 12, 31),
        )
    assert "overlaps" in str(refused.value) or "chevauche" in str(refused.value)
    assert Agreement.objects.count() == 1


def test_following_agreement_is_accepted(agreement, department, urban_community):
    Agreement.create(
        title="Suivante",
        purpose="x",
        parties=[department, urban_community],
        start=date(2029, 1, 1),
        end=date(2031, 12, 31),
    )
    assert Agreement.objects.count() == 2


@pytest.mark.parametrize(("dept", "cu"), [("60", "50"), ("49.99", "50"), ("100.01", "-0.01")])
def test_shares_not_summing_to_100_are_refused(agreement, department, urban_community, dept, cu):
    with pytest.raises(ValidationError):
        SharingKey.create(
            agreement, date(2027, 1, 1), {department: Decimal(dept), urban_community: Decimal(cu)}
        )
    assert agreement.keys.count() == 1


def test_a_key_for_someone_outside_the_agreement_is_refused(agreement, department, communes):
    with pytest.raises(ValidationError):
        SharingKey.create(
            agreement, date(2027, 1, 1), {department: Decimal(50), communes["caen"]: Decimal(50)}
        )
    assert agreement.keys.count() == 1


def test_fifty_fifty_split_and_the_odd_cent(make_contract, department, urban_community):
    contract = make_contract("Cafeyn", "12345.67", department)
    parts = {p.party: p.amount for p in contract.split()}
    # 12 345.67 / 2 = 6 172.835: the odd cent goes to the first party by name (« Communauté… »)
    assert parts == {urban_community: Decimal("6172.84"), department: Decimal("6172.83")}


def test_key_change_mid_period_splits_by_days(
    agreement, make_contract, department, urban_community
):
    SharingKey.create(
        agreement, date(2027, 7, 1), {department: Decimal(60), urban_community: Decimal(40)}
    )
    contract = make_contract("Vodeclic", "36500.00", department, year=2027)
    parts = {p.party: p.amount for p in contract.split()}
    # 181 days (1 Jan–30 Jun) at 50/50 and 184 days (1 Jul–31 Dec) at 60/40:
    # department 100 × (181 × 0.5 + 184 × 0.6) = 20 090.00; CU 100 × (90.5 + 73.6) = 16 410.00
    assert parts == {department: Decimal("20090.00"), urban_community: Decimal("16410.00")}
    # the history stays true: a 2026 contract still splits 50/50
    earlier = make_contract("Skilleos", "1000.00", department, year=2026)
    assert {p.amount for p in earlier.split()} == {Decimal("500.00")}


def test_split_rounding_always_sums_to_the_total(
    agreement, make_contract, department, urban_community
):
    SharingKey.create(
        agreement,
        date(2027, 1, 1),
        {department: Decimal("33.33"), urban_community: Decimal("66.67")},
    )
    contract = make_contract("diGame", "0.07", department, year=2027)
    parts = {p.party: p.amount for p in contract.split()}
    # 0.07 × 33.33 % = 0.023331 €, 0.07 × 66.67 % = 0.046669 €: floors 0.02 + 0.04,
    # the missing cent to the larger remainder (0.6669 > 0.3331)
    assert parts == {department: Decimal("0.02"), urban_community: Decimal("0.05")}
    assert sum(parts.values()) == contract.yearly_cost


def test_balances_say_who_owes_whom(make_contract, department, urban_community):
    contracts = [
        make_contract("Médiathèque Numérique", "10000.00", department),
        make_contract("Cafeyn", "4000.00", urban_community),
    ]
    rows = {b.party: b for b in balances(contracts)}
    assert rows[department].paid == Decimal("10000.00")
    assert rows[department].share == Decimal("7000.00")
    assert rows[department].difference == Decimal("3000.00")
    assert rows[urban_community].difference == Decimal("-3000.00")
    [transfer] = settlements(list(rows.values()))
    assert (transfer.debtor, transfer.creditor, transfer.amount) == (
        urban_community,
        department,
        Decimal("3000.00"),
    )


def test_negative_cost_is_refused(make_contract, department):
    with pytest.raises(ValidationError) as refused:
        make_contract("PNB", "-1.00", department)
    assert "yearly_cost" in refused.value.message_dict
    assert not Contract.objects.exists()


def test_contract_outside_the_agreement_is_refused(make_contract, department):
    with pytest.raises(ValidationError):
        make_contract("PNB", "100.00", department, year=2029)
    assert not Contract.objects.exists()


def test_cost_per_use():
    result = cost_per_use(Decimal("1000.00"), UsageCounts(accesses=3, unique_users=40, loans=0))
    assert result.per_access == Decimal("333.33")
    assert result.per_unique_user == Decimal("25.00")
    assert result.per_loan is None
    assert cost_per_use(Decimal("1000.00"), None) is None


def test_campaign_year_is_unique(campaign):
    with pytest.raises(ValidationError):
        Campaign(network=campaign.network, year=2026, reference_year=2021).validate_constraints()


def test_regenerating_refreshes_calls_still_invited(campaign, bayeux_library, communes):
    campaign.generate()
    AuthorityPopulation.objects.filter(authority=communes["bayeux"]).update(population=13_001)
    assert campaign.generate() == 1
    call = campaign.memberships.get()
    # 13 001 × 0.15 = 1 950.15
    assert (call.population, call.fee) == (13_001, Decimal("1950.15"))
    assert list(call.libraries.all()) == [bayeux_library]
