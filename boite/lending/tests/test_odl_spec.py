"""ODL 1.0 / OPDS 2.0 as distributors write it: the feed's quirks, the checkout template,
303 See Other, a checkout answered `returned`, Info Documents that leave fields out, the
feed harvested at the account's address, and a borrow → return against the fake."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from boite.lending import loans as lending
from boite.lending import sync
from boite.lending.distributors.base import (
    LicenceState,
    LicenceStatus,
    LoanAnswer,
    LoanState,
)
from boite.lending.distributors.odl import read_licence_info, read_status_document
from boite.lending.models import Licence, Loan, SyncRun
from boite.lending.offers import Offer, OfferProblem, odl_feed

REQUEST = lending.BorrowRequest(days=14, passphrase="une phrase de passe", hint="indice")


def _publication(identifier="urn:isbn:9782070368228", type_="http://schema.org/EBook", **licence):
    metadata = {
        "identifier": "lic-1",
        "format": "application/epub+zip",
        "terms": {"checkouts": 10, "concurrency": 2, "length": 1209600},
    }
    metadata.update(licence.pop("metadata", {}))
    return {
        "metadata": {"@type": type_, "title": "Titre", "identifier": identifier},
        "licenses": [
            {
                "metadata": metadata,
                "links": licence.pop(
                    "links",
                    [
                        {
                            "rel": "self",
                            "href": "https://odl.example.org/info/lic-1",
                            "type": "application/vnd.odl.info+json",
                        },
                        {
                            "rel": "http://opds-spec.org/acquisition/borrow",
                            "href": "https://odl.example.org/checkout{?id,checkout_id}",
                            "type": "application/vnd.readium.license.status.v1.0+json",
                            "templated": True,
                        },
                    ],
                ),
            }
        ],
    }


def _read(publication) -> Offer | OfferProblem:
    [item] = odl_feed.read_offers([json.dumps({"publications": [publication]}).encode()])
    return item


# -- the feed -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "identifier",
    ["urn:isbn:9782070368228", "urn:ISBN:9782070368228", "URN:ISBN:978-2-07-036822-8"],
)
def test_an_isbn_urn_is_read_in_any_case(identifier):
    offer = _read(_publication(identifier))
    assert isinstance(offer, Offer) and offer.ean == "9782070368228"


@pytest.mark.parametrize(
    ("expires", "until"),
    [
        ("2031-01-15", datetime(2031, 1, 15, 23, 0, tzinfo=UTC)),  # through that day, Paris
        ("2031-01-15T10:00:00Z", datetime(2031, 1, 15, 10, 0, tzinfo=UTC)),
        ("2031-07-15T10:00:00", datetime(2031, 7, 15, 8, 0, tzinfo=UTC)),  # local time
    ],
)
def test_dates_with_or_without_time(expires, until):
    offer = _read(_publication(metadata={"terms": {"concurrency": 1, "expires": expires}}))
    assert offer.valid_until == until


@pytest.mark.parametrize(
    ("type_", "formats"),
    [
        ("http://schema.org/Audiobook", "application/epub+zip"),
        ("https://schema.org/Audiobook", "application/epub+zip"),
        ("", ["application/audiobook+lcp"]),
        ("http://schema.org/Book", "audio/mpeg"),
    ],
)
def test_an_audiobook_is_told_by_its_type_or_its_format(type_, formats):
    offer = _read(_publication(type_=type_, metadata={"format": formats}))
    assert offer.audiobook


def test_an_ebook_stays_an_ebook():
    assert not _read(_publication()).audiobook


@pytest.mark.parametrize(
    "rel",
    [
        "http://opds-spec.org/acquisition/borrow",
        "borrow",
        "checkout",
        ["http://opds-spec.org/acquisition", "http://opds-spec.org/acquisition/borrow"],
    ],
)
def test_the_checkout_link_by_its_relation_or_its_variants(rel):
    links = [
        {"rel": "self", "href": "https://x/info", "type": "application/vnd.odl.info+json"},
        {"rel": rel, "href": "https://x/checkout{?id,checkout_id}", "templated": True},
    ]
    offer = _read(_publication(links=links))
    assert offer.checkout_url == "https://x/checkout{?id,checkout_id}"
    assert offer.info_url == "https://x/info"


def test_a_licence_without_its_borrow_link_is_a_problem():
    links = [{"rel": "self", "href": "https://x/info", "type": "application/vnd.odl.info+json"}]
    problem = _read(_publication(links=links))
    assert isinstance(problem, OfferProblem) and "checkout" in problem.message


# -- documents -------------------------------------------------------------------------------------


def test_an_info_document_without_left_or_terms_keeps_the_counted_licence(pnb_record):
    licence = Licence(loans_total=30, loans_left=12, concurrent_max=2, concurrent_in_use=0)
    status = read_licence_info(
        {"identifier": "lic-1", "status": "available", "checkouts": {"available": 1}}
    )
    assert status.unknown >= {"loans_left", "loans_total", "concurrent_max"}
    licence.apply_status(status, timezone.now())
    assert (licence.loans_total, licence.loans_left) == (30, 12)  # not « unlimited »
    assert (licence.concurrent_max, licence.concurrent_in_use) == (2, 1)


def test_an_info_document_with_its_counters_sets_them():
    licence = Licence(loans_total=30, loans_left=12, concurrent_max=2)
    status = read_licence_info(
        {
            "identifier": "lic-1",
            "status": "available",
            "terms": {"checkouts": 30, "concurrency": 3, "expires": "2031-01-15"},
            "checkouts": {"left": 11, "available": 3},
        }
    )
    licence.apply_status(status, timezone.now())
    assert (licence.loans_left, licence.concurrent_max, licence.concurrent_in_use) == (11, 3, 0)
    assert licence.valid_until == datetime(2031, 1, 15, 23, 0, tzinfo=UTC)


def test_a_preorder_is_not_exhaustion():
    licence = Licence(loans_total=30, loans_left=30, concurrent_max=1)
    status = LicenceStatus("l", LicenceState.UNAVAILABLE, 30, 30, 1, 0, None)
    licence.apply_status(status, timezone.now())
    assert licence.state == Licence.State.ACTIVE


def test_an_open_loan_that_has_already_ended_is_nonsense():
    from boite.lending.distributors.base import DistributorNonsense

    document = {
        "id": "lsd-1",
        "status": "active",
        "links": [{"rel": "license", "href": "https://x/l.lcpl"}],
        "potential_rights": {"end": "2020-01-01T00:00:00Z"},
    }
    with pytest.raises(DistributorNonsense):
        read_status_document(document)


@pytest.mark.parametrize(
    ("status", "state"),
    [
        (LoanState.RETURNED, Loan.State.RETURNED),
        (LoanState.CANCELLED, Loan.State.RETURNED),
        (LoanState.REVOKED, Loan.State.REVOKED),
        (LoanState.EXPIRED, Loan.State.EXPIRED),
    ],
)
def test_every_closing_status_ends_the_loan(status, state, odl_loan):
    lending.apply_answer(odl_loan, LoanAnswer(odl_loan.distributor_id, status, None))
    odl_loan.refresh_from_db()
    assert odl_loan.state == state
    assert Licence.objects.get(pk=odl_loan.licence_id).concurrent_in_use == 0


# -- the feed at the account's address, and loans against the fake -------------------------------


@pytest.fixture
def odl_catalogue(fake_odl, pnb_records):
    """Five licences, two a page: an e-book, an audiobook, three more titles."""
    from boite.lending.offers.base import valid_ean

    eans = sorted(ean for ean in pnb_records if valid_ean(ean))[:5]
    for number, ean in enumerate(eans, 1):
        fake_odl.add_licence(
            f"odl-{number}",
            ean=ean,
            title=f"Livre {ean}",
            audiobook=number == 2,
            loans_total=10,
            concurrency=1,
            loan_max_days=21,
        )
    return eans


def test_the_feed_is_harvested_at_the_accounts_address_over_every_page(
    odl_account, fake_odl, odl_catalogue, calvados
):
    run = sync.harvest_feed(odl_account)
    assert (run.outcome, run.kind, run.created, run.updated, run.ended) == (
        SyncRun.Outcome.SUCCESS,
        SyncRun.Kind.FEED,
        5,
        0,
        0,
    )
    assert [r[1] for r in fake_odl.requests if r[0] == "GET"] == [
        "/feed",
        "/feed?page=2",
        "/feed?page=3",
    ]
    audiobook = Licence.objects.get(distributor_key="odl-2")
    assert audiobook.format == Licence.Format.AUDIOBOOK
    assert audiobook.record is not None and list(audiobook.networks.all()) == [calvados]
    # Next harvest: one licence gone, one whose validity has ended, one changed.
    del fake_odl.licences["odl-5"]
    fake_odl.licences["odl-4"].expires = timezone.now() - timedelta(days=1)
    fake_odl.licences["odl-3"].loans_total = 20
    run = sync.harvest_feed(odl_account)
    assert (run.created, run.updated, run.ended) == (0, 2, 2)
    states = dict(Licence.objects.values_list("distributor_key", "state"))
    assert states["odl-5"] == Licence.State.WITHDRAWN
    assert states["odl-4"] == Licence.State.EXPIRED


def test_a_feed_that_fails_half_way_changes_nothing(odl_account, fake_odl, odl_catalogue):
    sync.harvest_feed(odl_account)
    fake_odl.licences["odl-1"].loans_total = 99
    fake_odl.page_size = 10**6  # one page …
    fake_odl.mode = "fail"  # … that fails
    run = sync.harvest_feed(odl_account)
    assert run.outcome == SyncRun.Outcome.FAILED
    assert "flux" in run.problems[0]["message"]
    assert Licence.objects.get(distributor_key="odl-1").loans_total == 10


def test_the_sync_harvests_the_feed_once_a_day(odl_account, fake_odl, odl_catalogue, time_machine):
    assert sync.feed_is_due(odl_account)
    sync.sync_account(odl_account)
    assert Licence.objects.count() == 5
    assert not sync.feed_is_due(odl_account)
    time_machine.move_to(timezone.now() + timedelta(hours=25))
    assert sync.feed_is_due(odl_account)


def test_a_dilicom_account_has_no_feed(dilicom_account):
    assert not sync.feed_is_due(dilicom_account)


@pytest.fixture
def odl_licence(odl_account, fake_odl, odl_catalogue):
    sync.harvest_feed(odl_account)
    return Licence.objects.get(distributor_key="odl-1")


@pytest.fixture
def odl_loan(odl_licence, patron_bayeux):
    return lending.borrow(patron_bayeux, odl_licence.record, patron_bayeux.network, REQUEST)


def test_the_checkout_sends_the_licence_id_and_the_loans_checkout_id(
    odl_loan, odl_licence, fake_odl
):
    method, path, _body = next(r for r in fake_odl.requests if r[1].startswith("/checkout"))
    query = {k: v[0] for k, v in parse_qs(urlsplit(path).query).items()}
    assert method == "POST"
    assert query["id"] == "odl-1"
    assert query["checkout_id"] == str(odl_loan.uuid)
    assert odl_loan.state == Loan.State.ACTIVE
    fake = fake_odl.loan(str(odl_loan.uuid))
    assert odl_loan.distributor_id == fake.lsd_id != str(odl_loan.uuid)


def test_borrow_lost_answer_303_return_and_expiry_against_the_fake(
    odl_licence, fake_odl, patron_bayeux, bayeux_library, odl_account, time_machine
):
    from boite.patrons.factories import make_patron

    record = odl_licence.record
    # 1. The checkout is made but its answer is lost: the loan waits, uncertain.
    fake_odl.lose_answers = 1
    with pytest.raises(lending.DistributorProblem):
        lending.borrow(patron_bayeux, record, patron_bayeux.network, REQUEST)
    loan = Loan.objects.get()
    assert loan.state == Loan.State.UNCERTAIN
    # 2. The patron tries again: same checkout id, the distributor answers 303 See Other
    #    to the loan it made, which is taken as it is (no second loan at the distributor).
    again = lending.borrow(patron_bayeux, record, patron_bayeux.network, REQUEST)
    assert again.pk == loan.pk and again.state == Loan.State.ACTIVE
    assert len(fake_odl.licences["odl-1"].loans) == 1
    assert any(r[1].startswith("/loans/") for r in fake_odl.requests)  # the Location fetched
    # 3. Returned early.
    lending.return_loan(again)
    again.refresh_from_db()
    assert again.state == Loan.State.RETURNED
    assert fake_odl.loan(str(again.uuid)).state == "returned"
    # 4. Another patron's answer is lost, and the distributor returns that loan before the
    #    retry: the 303 leads to a `returned` LSD — a failed checkout, the copy is free.
    other = make_patron(bayeux_library, email="autre@example.org", card_number="B77")
    fake_odl.lose_answers = 1
    with pytest.raises(lending.DistributorProblem):
        lending.borrow(other, record, other.network, REQUEST)
    lost = Loan.objects.get(patron=other)
    fake_odl.loan(str(lost.uuid)).state = "returned"
    with pytest.raises(lending.DistributorProblem) as refused:
        lending.borrow(other, record, other.network, REQUEST)
    assert "pas" in refused.value.message
    lost.refresh_from_db()
    odl_licence.refresh_from_db()
    assert lost.state == Loan.State.FAILED and not lost.download_url
    assert odl_licence.concurrent_in_use == 0
    # 5. A new loan runs to its end: the sync ends it, the copy comes back everywhere.
    loan = lending.borrow(other, record, other.network, REQUEST)
    assert loan.state == Loan.State.ACTIVE
    time_machine.move_to(loan.ends_at + timedelta(minutes=1))
    sync.sync_account(odl_account)
    loan.refresh_from_db()
    odl_licence.refresh_from_db()
    assert loan.state == Loan.State.EXPIRED
    assert fake_odl.loan(str(loan.uuid)).state == "expired"
    assert odl_licence.concurrent_in_use == 0
    assert odl_licence.loans_left == fake_odl.licences["odl-1"].loans_left == 7


def test_an_unconfirmed_odl_checkout_is_found_by_the_sync_and_given_back(
    odl_licence, fake_odl, patron_bayeux, odl_account, time_machine
):
    fake_odl.lose_answers = 1
    with pytest.raises(lending.DistributorProblem):
        lending.borrow(patron_bayeux, odl_licence.record, patron_bayeux.network, REQUEST)
    loan = Loan.objects.get()
    time_machine.move_to(timezone.now() + timedelta(minutes=5))
    lending.settle_uncertain_loans(odl_account)
    loan.refresh_from_db()
    assert loan.state == Loan.State.FAILED
    assert fake_odl.loan(str(loan.uuid)).state == "returned"  # found among active checkouts


def test_a_notification_with_another_lsd_id_is_not_applied(client, odl_loan, odl_account):
    body = json.dumps({"id": "someone-else", "status": "revoked", "links": []})
    client.post(odl_account.notification_path(), body, content_type="application/json")
    odl_loan.refresh_from_db()
    assert odl_loan.state == Loan.State.ACTIVE
