"""Offer files: Dilicom ONIX 3.0 with PNB order lines, ODL / OPDS 2.0 feeds."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from boite.lending.models import Licence, SyncRun
from boite.lending.offers import odl_feed, onix_pnb
from boite.lending.offers.base import Offer, OfferFileError, OfferProblem, valid_ean
from boite.lending.sync import import_offers
from boite.lending.tests.conftest import DATA


def test_ean_check_digit():
    assert valid_ean("9782070368228")
    assert not valid_ean("9782070368220")
    assert not valid_ean("978207036822")
    assert not valid_ean("97820703682２8")


def test_reads_the_pnb_order_lines_of_an_onix_file():
    offers = list(onix_pnb.read_offers(str(DATA / "pnb_offers_full.xml")))
    assert len(offers) == 6 and all(isinstance(o, Offer) for o in offers)
    first = offers[0]
    assert (first.key, first.ean, first.title) == ("OL-2026-000101", "9782070368228", "L'Étranger")
    assert (first.loans_total, first.concurrent_max, first.loan_max_days) == (30, 1, 60)
    assert first.valid_from.date().isoformat() == "2026-01-15"
    assert first.valid_until.date().isoformat() == "2031-01-15"
    assert first.price == Decimal("14.99")
    assert not first.audiobook
    assert offers[3].audiobook and offers[3].title == "Vingt mille lieues sous les mers"
    assert offers[5].valid_until is None  # offerValidity 0: no end


def test_problems_of_single_products_are_reported_and_the_others_kept():
    items = list(onix_pnb.read_offers(str(DATA / "pnb_offers_with_problems.xml")))
    offers = [i for i in items if isinstance(i, Offer)]
    problems = [i for i in items if isinstance(i, OfferProblem)]
    assert [o.key for o in offers] == ["OL-2026-000101"]
    assert {p.where for p in problems} == {"order line OL-2026-000902", "order line OL-2026-000903"}
    assert any("nbLoans is missing" in p.message for p in problems)
    assert any("invalid EAN" in p.message for p in problems)


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not xml at all",
        b"<ONIXMessage><Product>",
        b'<?xml version="1.0"?><html><body>Maintenance</body></html>',
        (DATA / "pnb_offers_truncated.xml").read_bytes(),
    ],
)
def test_a_file_that_is_not_onix_is_refused_whole(content):
    with pytest.raises(OfferFileError):
        list(onix_pnb.read_offers(io.BytesIO(content)))


def test_entities_are_not_expanded():
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b"<ONIXMessage><Product><RecordReference>&b;</RecordReference></Product></ONIXMessage>"
    )
    items = list(onix_pnb.read_offers(io.BytesIO(bomb)))
    assert len(items) == 1 and isinstance(items[0], OfferProblem)
    assert "aaaaaaaaaa" not in items[0].where


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.binary(max_size=400))
def test_onix_reader_never_fails_otherwise_on_any_bytes(content):
    try:
        items = list(onix_pnb.read_offers(io.BytesIO(content)))
    except OfferFileError:
        return
    assert all(isinstance(i, Offer | OfferProblem) for i in items)


_xml_text = st.text(st.characters(exclude_categories=["Cc", "Cs"]), max_size=5)
_numbers = st.one_of(st.none(), st.integers(-5, 10**7), _xml_text, st.booleans())


@settings(max_examples=150, deadline=None)
@given(
    st.fixed_dictionaries(
        {"nbLoans": _numbers, "loanNbSimultaneousUsers": _numbers, "loanMaxDuration": _numbers}
    )
)
def test_onix_order_lines_with_any_values_give_an_offer_or_a_problem(values):
    full = (DATA / "pnb_offers_full.xml").read_text()
    product = full.split("<Product>")[1].split("</Product>")[0]
    for name, value in values.items():
        text = "" if value is None else str(value).replace("<", "").replace("&", "")
        product = product.replace(
            product.split(f"<pnb:{name}>")[1].split(f"</pnb:{name}>")[0], text, 1
        )
    document = full.split("<Product>")[0] + "<Product>" + product + "</Product></ONIXMessage>"
    [item] = onix_pnb.read_offers(io.BytesIO(document.encode()))
    if isinstance(item, Offer):
        assert item.loans_total >= 0 and item.concurrent_max >= 1 and item.loan_max_days >= 1


def test_reads_an_odl_feed_over_its_pages():
    pages = [(DATA / f"odl_feed_page{n}.json").read_bytes() for n in (1, 2)]
    offers = list(odl_feed.read_offers(pages))
    assert [o.key for o in offers] == [f"odl-lic-000{n}" for n in range(1, 6)]
    first, unlimited, audio = offers[:3]
    assert (first.ean, first.loans_total, first.concurrent_max, first.loan_max_days) == (
        "9782070368228",
        30,
        1,
        60,
    )
    assert first.valid_until == datetime(2031, 1, 14, 23, 0, tzinfo=UTC)
    assert first.checkout_url.endswith(
        "{?id,checkout_id,patron_id,expires,notification_url,passphrase,hint}"
    )
    assert first.info_url == "https://odl.example.org/licenses/odl-lic-0001"
    assert unlimited.loans_total is None and unlimited.valid_until is None
    assert audio.audiobook


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda p: p["metadata"].update(identifier="urn:isbn:123"), "invalid EAN"),
        (lambda p: p["licenses"][0]["metadata"]["terms"].update(concurrency=0), "concurrency"),
        (lambda p: p["licenses"][0]["metadata"]["terms"].update(checkouts="30"), "checkouts"),
        (lambda p: p["licenses"][0]["metadata"]["terms"].update(expires="2031-02-30"), "date"),
        (lambda p: p["licenses"][0].update(links=[]), "checkout or self link"),
        (lambda p: p.update(licenses=[]), "without licenses"),
    ],
)
def test_a_bad_odl_licence_is_a_problem_not_a_crash(change, message):
    feed = json.loads((DATA / "odl_feed_page1.json").read_bytes())
    change(feed["publications"][0])
    items = list(odl_feed.read_offers([json.dumps(feed).encode()]))
    assert isinstance(items[0], OfferProblem) and message in items[0].message
    assert all(isinstance(i, Offer) for i in items[1:])


@pytest.mark.parametrize("content", [b"", b"<html>", b"[1, 2]", b'{"publications": {}}'])
def test_a_feed_that_is_not_opds_is_refused_whole(content):
    with pytest.raises(OfferFileError):
        list(odl_feed.read_offers([content]))


@settings(max_examples=150, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=8),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
        max_leaves=12,
    )
)
def test_odl_reader_never_fails_otherwise_on_any_json(publication):
    feed = json.dumps({"publications": [publication]}).encode()
    items = list(odl_feed.read_offers([feed]))
    assert all(isinstance(i, Offer | OfferProblem) for i in items)


# -- applying offers to the licences ---------------------------------------------------------


@pytest.mark.usefixtures("pnb_records")
def test_a_full_file_creates_the_licences_for_both_networks(
    dilicom_account, calvados, caen_network
):
    run = import_offers(dilicom_account, str(DATA / "pnb_offers_full.xml"), full=True)
    assert run.outcome == SyncRun.Outcome.SUCCESS
    assert (run.seen, run.created, run.updated, run.ended) == (6, 6, 0, 0)
    licence = Licence.objects.get(distributor_key="OL-2026-000102")
    assert (licence.loans_total, licence.loans_left, licence.concurrent_max) == (40, 40, 2)
    assert set(licence.networks.all()) == {calvados, caen_network}
    assert Licence.objects.for_network(caen_network).count() == 6
    assert Licence.objects.filter(format=Licence.Format.AUDIOBOOK).count() == 2
    again = import_offers(dilicom_account, str(DATA / "pnb_offers_full.xml"), full=True)
    assert (again.created, again.updated, Licence.objects.count()) == (0, 0, 6)


@pytest.mark.usefixtures("pnb_records")
def test_a_delta_file_updates_adds_and_withdraws(dilicom_account):
    import_offers(dilicom_account, str(DATA / "pnb_offers_full.xml"), full=True)
    run = import_offers(dilicom_account, str(DATA / "pnb_offers_delta.xml"), full=False)
    assert run.outcome == SyncRun.Outcome.SUCCESS
    assert (run.created, run.updated, run.ended) == (1, 1, 1)
    assert Licence.objects.get(distributor_key="OL-2026-000102").loans_total == 60
    horla = Licence.objects.get(distributor_key="OL-2026-000103")
    assert horla.state == Licence.State.WITHDRAWN
    assert Licence.objects.get(distributor_key="OL-2026-000107").title == "Bonjour tristesse"
    assert Licence.objects.count() == 7


def test_a_full_file_withdraws_what_it_no_longer_lists(dilicom_account):
    import_offers(dilicom_account, str(DATA / "pnb_offers_full.xml"), full=True)
    run = import_offers(dilicom_account, str(DATA / "pnb_offers_delta.xml"), full=True)
    assert run.ended >= 4
    assert Licence.objects.get(distributor_key="OL-2026-000101").state == "withdrawn"
    assert Licence.objects.get(distributor_key="OL-2026-000107").state == "active"


@pytest.mark.parametrize("name", ["pnb_offers_truncated.xml", "does_not_exist.xml"])
def test_a_malformed_file_changes_nothing_and_is_recorded(dilicom_account, name):
    import_offers(dilicom_account, str(DATA / "pnb_offers_full.xml"), full=True)
    before = list(Licence.objects.values_list("distributor_key", "state", "loans_total"))
    run = import_offers(dilicom_account, str(DATA / name), full=True)
    assert run.outcome == SyncRun.Outcome.FAILED
    assert run.created == run.updated == run.ended == 0
    assert "Le fichier est illisible" in run.problems[-1]["message"]
    after = list(Licence.objects.values_list("distributor_key", "state", "loans_total"))
    assert after == before


def test_an_empty_full_file_withdraws_nothing(dilicom_account):
    import_offers(dilicom_account, str(DATA / "pnb_offers_full.xml"), full=True)
    empty = io.BytesIO(b'<ONIXMessage xmlns="http://ns.editeur.org/onix/3.0/reference"/>')
    run = import_offers(dilicom_account, empty, full=True, name="empty.xml")
    assert run.outcome == SyncRun.Outcome.FAILED
    assert not Licence.objects.filter(state="withdrawn").exists()


@pytest.mark.usefixtures("pnb_records")
def test_bad_products_are_recorded_and_the_good_ones_imported(dilicom_account):
    run = import_offers(dilicom_account, str(DATA / "pnb_offers_with_problems.xml"), full=False)
    assert run.outcome == SyncRun.Outcome.PARTIAL
    assert run.created == 1 and run.problem_count == 2
    assert {p["where"] for p in run.problems} == {
        "order line OL-2026-000902",
        "order line OL-2026-000903",
    }


@pytest.mark.usefixtures("pnb_records")
def test_an_odl_feed_file_is_imported(odl_account):
    run = import_offers(odl_account, str(DATA / "odl_feed_page1.json"), full=False)
    assert (run.outcome, run.created) == (SyncRun.Outcome.SUCCESS, 3)
    licence = Licence.objects.get(distributor_key="odl-lic-0002")
    assert licence.loans_total is None and licence.loans_left is None
    assert licence.checkout_url.startswith("https://odl.example.org/licenses/odl-lic-0002/checkout")
