"""One behavioural suite, run against both adapters and their fake distributors.

After every step the portal's view of the licence (`licence_status`) is compared with the
fake distributor's own counters.
"""

from __future__ import annotations

import base64
import hashlib
import re
import threading
import uuid
from dataclasses import replace
from datetime import timedelta
from urllib.parse import parse_qs

import pytest
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from boite.lending.distributors import DISTRIBUTORS, choices, connect, distributor_class
from boite.lending.distributors.base import (
    CheckoutRequest,
    Connection,
    DistributorNonsense,
    DistributorRefused,
    DistributorTimeout,
    DistributorUnavailable,
    LicenceRef,
    LicenceState,
    LoanRef,
    LoanState,
    NoCopyAvailable,
    passphrase_digest,
)
from boite.lending.distributors.dilicom import _licence_status as dilicom_order_line
from boite.lending.distributors.odl import read_licence_info, read_status_document

PASSPHRASE = "la mer est calme ce matin"


def _request(days: int = 14, loan_id: str | None = None) -> CheckoutRequest:
    return CheckoutRequest(
        loan_id=loan_id or str(uuid.uuid4()),
        patron="p-7f3a9c",
        passphrase_sha256=passphrase_digest(PASSPHRASE),
        hint="la mer",
        end=timezone.now() + timedelta(days=days),
    )


def _same_numbers(pair, licence_id: str) -> None:
    status = pair.adapter.licence_status(pair.ref(licence_id))
    fake = pair.fake.licences[licence_id]
    assert status.loans_left == fake.loans_left
    assert status.concurrent_in_use == fake.in_use
    if pair.fake.kind == "odl":  # Dilicom's getLoanStatus tells loans left and in use only
        assert status.loans_total == fake.loans_total
        assert status.concurrent_max == fake.concurrency


def test_the_registry_knows_both_distributors():
    assert set(DISTRIBUTORS) == {"dilicom", "odl"}
    assert [kind for kind, _label in choices()] == ["dilicom", "odl"]
    assert distributor_class("odl").kind == "odl"
    with pytest.raises(ValueError, match="unknown distributor"):
        distributor_class("overdrive")


def test_checkout_makes_a_loan_and_counts_it(pair):
    licence = pair.licence("L-1", loans_total=30, concurrency=2, loan_max_days=28)
    request = _request(days=21)
    loan = pair.adapter.checkout(licence, request)
    assert loan.loan_id == _distributor_id(pair, request.loan_id)
    assert loan.state == LoanState.READY
    assert loan.download_url.startswith(pair.fake.url)
    assert abs(loan.end - request.end) < timedelta(seconds=1)  # Dilicom: to the second
    assert loan.can_return
    fake = pair.fake.licences["L-1"]
    assert (fake.loans_left, fake.in_use) == (29, 1)
    _same_numbers(pair, "L-1")
    status = pair.adapter.licence_status(licence)
    assert status.state == LicenceState.AVAILABLE
    if pair.fake.kind == "odl":  # Dilicom tells loans left and in use, not the terms
        assert status.concurrent_available == 1
        assert status.loan_max_days == 28


def test_the_passphrase_travels_hashed_with_its_hint(pair):
    licence = pair.licence("L-1")
    request = _request()
    pair.adapter.checkout(licence, request)
    sent = pair.fake.loan(request.loan_id)
    digest = hashlib.sha256(PASSPHRASE.encode()).digest()
    assert sent.passphrase in (base64.b64encode(digest).decode(), digest.hex())
    assert sent.hint == "la mer"
    assert sent.patron == "p-7f3a9c"
    for _method, path, body in pair.fake.requests:
        assert PASSPHRASE not in path and PASSPHRASE.encode() not in body


def test_dilicom_sends_base64_sha256_and_the_gln(fake_dilicom):
    adapter = connect("dilicom", Connection(fake_dilicom.url, "3025594195400", "pnb-secret"))
    fake_dilicom.add_licence("OL-9")
    request = _request()
    adapter.checkout(LicenceRef("OL-9"), request)
    method, path, raw = fake_dilicom.requests[-1]
    assert (method, path) == ("POST", "/loanBook")
    body = {k: v[0] for k, v in parse_qs(raw.decode()).items()}  # form-encoded, as PHP sends
    assert body["glnContractor"] == body["glnLoaner"] == "3025594195400"
    assert body["orderLineId"] == "OL-9"
    assert (body["accessMedium"], body["localization"]) == ("DOWNLOAD", "EX_SITU")
    assert body["DRMinfo.readerPass"] == base64.b64encode(passphrase_digest(PASSPHRASE)).decode()
    assert body["DRMinfo.readerId"] == request.patron  # a pseudonym, never the card
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}", body["loanEndDate"])
    adapter.licence_status(LicenceRef("OL-9"))
    status_body = parse_qs(fake_dilicom.requests[-1][2].decode())
    assert status_body["orderLineId[0]"] == ["OL-9"]
    assert status_body["glnColl"] == ["3025594195400"] and status_body["returnEndedLoan"] == ["0"]


def test_return_frees_the_copy(pair):
    licence = pair.licence("L-1", concurrency=1)
    request = _request()
    pair.adapter.checkout(licence, request)
    loan = LoanRef(request.loan_id, licence, status_url=_status_url(pair, request.loan_id))
    answer = pair.adapter.return_loan(loan)
    assert answer.state == LoanState.RETURNED
    assert not answer.can_return
    assert pair.fake.licences["L-1"].in_use == 0
    assert pair.fake.licences["L-1"].loans_left == 29  # a returned loan is still spent
    _same_numbers(pair, "L-1")
    with pytest.raises(DistributorRefused):
        pair.adapter.return_loan(loan)


def _distributor_id(pair, loan_id: str) -> str:
    """How the distributor names a loan: Dilicom by the portal's id, ODL by its LSD's."""
    return pair.fake.loan(loan_id).lsd_id if pair.fake.kind == "odl" else loan_id


def _status_url(pair, loan_id: str) -> str:
    return pair.fake.status_url(loan_id) if pair.fake.kind == "odl" else ""


def test_loan_status_follows_the_distributor(pair):
    licence = pair.licence("L-1")
    request = _request()
    pair.adapter.checkout(licence, request)
    loan = LoanRef(request.loan_id, licence, status_url=_status_url(pair, request.loan_id))
    # Dilicom lists running loans without telling downloaded from not yet downloaded.
    first = LoanState.READY if pair.fake.kind == "odl" else LoanState.ACTIVE
    assert pair.adapter.loan_status(loan).state == first
    pair.fake.loan(request.loan_id).state = "active"
    assert pair.adapter.loan_status(loan).state == LoanState.ACTIVE
    pair.fake.loan(request.loan_id).end = timezone.now() - timedelta(minutes=1)
    if pair.fake.kind == "dilicom":  # an ended loan is no longer listed
        with pytest.raises(DistributorRefused):
            pair.adapter.loan_status(loan)
        return
    status = pair.adapter.loan_status(loan)
    assert status.state == LoanState.EXPIRED
    assert status.download_url == ""
    _same_numbers(pair, "L-1")


def test_extend_moves_the_end_up_to_the_maximum(pair):
    licence = pair.licence("L-1", loan_max_days=30)
    request = _request(days=7)
    pair.adapter.checkout(licence, request)
    loan = LoanRef(request.loan_id, licence, status_url=_status_url(pair, request.loan_id))
    later = request.end + timedelta(days=14)
    answer = pair.adapter.extend(loan, later)
    assert answer.end == later
    assert abs(pair.fake.loan(request.loan_id).end - later) < timedelta(seconds=1)
    with pytest.raises(DistributorRefused):
        pair.adapter.extend(loan, request.end + timedelta(days=60))
    assert abs(pair.fake.loan(request.loan_id).end - later) < timedelta(seconds=1)


def test_a_licence_that_may_not_be_renewed_refuses_extension(pair):
    licence = pair.licence("L-1", renewable=False)
    request = _request(days=7)
    answer = pair.adapter.checkout(licence, request)
    if pair.fake.kind == "odl":  # Dilicom says no when asked only
        assert not answer.can_renew
    loan = LoanRef(request.loan_id, licence, status_url=_status_url(pair, request.loan_id))
    with pytest.raises(DistributorRefused):
        pair.adapter.extend(loan, request.end + timedelta(days=3))


def test_the_last_copy_goes_to_one_patron_only(pair):
    licence = pair.licence("L-1", concurrency=1, loans_total=10)
    first = _request()
    pair.adapter.checkout(licence, first)
    with pytest.raises(NoCopyAvailable) as refused:
        pair.adapter.checkout(licence, _request())
    assert "exemplaire" in str(refused.value.message)
    assert pair.fake.licences["L-1"].loans_left == 9
    _same_numbers(pair, "L-1")
    pair.adapter.return_loan(LoanRef(first.loan_id, licence, _status_url(pair, first.loan_id)))
    pair.adapter.checkout(licence, _request())
    _same_numbers(pair, "L-1")


def test_simultaneous_requests_for_the_last_copy_give_one_loan(pair):
    licence = pair.licence("L-1", concurrency=1)
    outcomes: list[str] = []

    def borrow() -> None:
        # A generous timeout: this test is about the count, not about speed.
        adapter = connect(pair.fake.kind, replace(pair.adapter.connection, timeout=30))
        try:
            adapter.checkout(licence, _request())
            outcomes.append("loan")
        except NoCopyAvailable:
            outcomes.append("none")
        except Exception as error:  # shown by the assertion below
            outcomes.append(repr(error))
        finally:
            adapter.close()

    threads = [threading.Thread(target=borrow) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["loan"] + ["none"] * 11
    _same_numbers(pair, "L-1")


def test_no_loans_left_means_no_copy_even_with_a_free_seat(pair):
    licence = pair.licence("L-1", concurrency=3, loans_total=1)
    pair.adapter.checkout(licence, _request())
    with pytest.raises(NoCopyAvailable):
        pair.adapter.checkout(licence, _request())
    status = pair.adapter.licence_status(licence)
    assert status.state == LicenceState.UNAVAILABLE
    assert status.loans_left == 0
    assert status.concurrent_in_use == 1


def test_an_expired_licence_refuses_loans(pair):
    licence = pair.licence("L-1", expires=timezone.now() - timedelta(days=1))
    with pytest.raises(DistributorRefused):
        pair.adapter.checkout(licence, _request())
    if pair.fake.kind == "odl":
        assert pair.adapter.licence_status(licence).state == LicenceState.EXPIRED
    else:  # an order line no longer sold is not listed by getLoanStatus
        with pytest.raises(DistributorRefused):
            pair.adapter.licence_status(licence)
    assert pair.fake.licences["L-1"].loans == {}


def test_a_loan_longer_than_allowed_is_refused(pair):
    licence = pair.licence("L-1", loan_max_days=14)
    with pytest.raises(DistributorRefused):
        pair.adapter.checkout(licence, _request(days=30))
    assert pair.fake.licences["L-1"].loans_left == 30


def test_the_same_loan_id_twice_is_one_loan(pair):
    licence = pair.licence("L-1", concurrency=2)
    request = _request()
    pair.adapter.checkout(licence, request)
    again = pair.adapter.checkout(licence, request)
    assert again.loan_id == _distributor_id(pair, request.loan_id)  # ODL: 303 to the first
    assert pair.fake.licences["L-1"].loans_left == 29
    _same_numbers(pair, "L-1")


def test_unknown_licence_is_refused(pair):
    with pytest.raises(DistributorRefused) as refused:
        pair.adapter.licence_status(pair.ref("NOPE"))
    assert refused.value.code == "unknown"


def test_many_licence_statuses_at_once(pair):
    refs = [pair.licence(f"L-{i}", loans_total=5 + i) for i in range(250)]
    refs.append(pair.ref("GHOST"))
    results = dict(pair.adapter.licence_statuses(refs))
    assert len(results) == 251
    assert results[refs[7]].loans_left == 12
    assert isinstance(results[refs[-1]], DistributorRefused)


def test_wrong_credentials_are_refused(pair):
    pair.fake.password = "changed"
    licence = pair.licence("L-1")
    with pytest.raises(DistributorRefused) as refused:
        pair.adapter.checkout(licence, _request())
    assert refused.value.code == "auth"
    assert pair.fake.licences["L-1"].loans == {}


def test_a_failing_distributor_is_unavailable(pair):
    licence = pair.licence("L-1")
    pair.fake.mode = "fail"
    with pytest.raises(DistributorUnavailable):
        pair.adapter.checkout(licence, _request())
    with pytest.raises(DistributorUnavailable):
        pair.adapter.licence_status(licence)
    assert pair.fake.licences["L-1"].loans == {}


def test_a_hanging_distributor_times_out(pair):
    licence = pair.licence("L-1")
    pair.fake.mode = "hang"
    with pytest.raises(DistributorTimeout) as timed_out:
        pair.adapter.checkout(licence, _request())
    assert "à temps" in str(timed_out.value.message)
    assert pair.fake.licences["L-1"].loans == {}


def test_a_distributor_answering_nonsense_is_reported(pair):
    licence = pair.licence("L-1")
    pair.fake.mode = "nonsense"
    with pytest.raises(DistributorNonsense):
        pair.adapter.checkout(licence, _request())
    pair.fake.mode = "garbled"
    with pytest.raises(DistributorNonsense):
        pair.adapter.checkout(licence, _request())
    with pytest.raises(DistributorNonsense):
        pair.adapter.licence_status(licence)


def test_a_closed_port_is_unavailable(pair):
    licence = pair.licence("L-1")
    pair.fake.stop()
    adapter = connect(pair.fake.kind, pair.adapter.connection)
    with pytest.raises(DistributorUnavailable):
        adapter.checkout(licence, _request())


def test_a_recalled_licence_refuses_and_says_so(pair):
    licence = pair.licence("L-1")
    pair.fake.licences["L-1"].recalled = True
    with pytest.raises(DistributorRefused) as refused:
        pair.adapter.checkout(licence, _request())
    assert refused.value.code
    if pair.fake.kind == "dilicom":  # a withdrawn order line is no longer listed
        with pytest.raises(DistributorRefused):
            pair.adapter.licence_status(licence)
        return
    status = pair.adapter.licence_status(licence)
    assert status.state in (LicenceState.WITHDRAWN, LicenceState.EXPIRED)


def test_a_revoked_loan_is_reported_revoked(pair):
    licence = pair.licence("L-1")
    request = _request()
    pair.adapter.checkout(licence, request)
    pair.fake.loan(request.loan_id).state = "revoked"
    loan = LoanRef(request.loan_id, licence, _status_url(pair, request.loan_id))
    if pair.fake.kind == "dilicom":  # an ended loan is no longer listed
        with pytest.raises(DistributorRefused):
            pair.adapter.loan_status(loan)
    else:
        assert pair.adapter.loan_status(loan).state == LoanState.REVOKED
    _same_numbers(pair, "L-1")


def test_odl_notifications_are_read(fake_odl):
    adapter = connect("odl", Connection(fake_odl.url, "3025594195400", "pnb-secret"))
    fake_odl.add_licence("L-1")
    licence = LicenceRef(
        "L-1", info_url=fake_odl.info_url("L-1"), checkout_url=fake_odl.checkout_url("L-1")
    )
    request = _request()
    adapter.checkout(licence, request)
    notice = adapter.parse_notification(fake_odl.revoke(request.loan_id))
    lsd_id = fake_odl.loan(request.loan_id).lsd_id
    assert (notice.loan_id, notice.state) == (lsd_id, LoanState.REVOKED)
    with pytest.raises(DistributorNonsense):
        adapter.parse_notification(b"{not json")
    with pytest.raises(DistributorNonsense):
        adapter.parse_notification(b'{"id": "x", "status": "borrowed"}')


def test_dilicom_has_no_notifications(fake_dilicom):
    adapter = connect("dilicom", Connection(fake_dilicom.url))
    with pytest.raises(DistributorRefused):
        adapter.parse_notification(b"{}")


# -- the answer readers, on anything a distributor might send ---------------------------------

_json = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 10**6) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=15,
)
_licence_info = st.fixed_dictionaries(
    {
        "identifier": _json,
        "status": st.sampled_from(["available", "unavailable", "expired", "x"]) | _json,
        "checkouts": st.fixed_dictionaries({"left": _json, "available": _json}) | _json,
        "terms": st.fixed_dictionaries(
            {"checkouts": _json, "concurrency": _json, "length": _json, "expires": _json}
        )
        | _json,
    }
)


@settings(max_examples=100, deadline=None)
@given(_licence_info)
def test_odl_licence_info_is_read_or_called_nonsense(document):
    try:
        status = read_licence_info(document)
    except DistributorNonsense:
        return
    assert status.concurrent_available <= status.concurrent_max
    assert status.loans_left is None or status.loans_left >= 0


@settings(max_examples=100, deadline=None)
@given(
    st.fixed_dictionaries(
        {
            "id": _json,
            "status": st.sampled_from([s.value for s in LoanState]) | _json,
            "links": st.lists(
                st.fixed_dictionaries(
                    {"rel": st.sampled_from(["self", "license", "return", "renew"]), "href": _json}
                )
                | _json,
                max_size=4,
            )
            | _json,
            "potential_rights": st.fixed_dictionaries({"end": _json}) | _json,
        }
    )
)
def test_odl_status_documents_are_read_or_called_nonsense(document):
    try:
        answer = read_status_document(document)
    except DistributorNonsense:
        return
    assert answer.loan_id and isinstance(answer.state, LoanState)
    assert not answer.state.is_open or answer.download_url


@settings(max_examples=100, deadline=None)
@given(
    st.fixed_dictionaries(
        {
            "orderLineId": _json,
            "nta": _json,
            "nus1": _json,
            "pnbLoanList": st.lists(
                st.fixed_dictionaries({"loanId": _json, "endLoanDate": _json}) | _json,
                max_size=3,
            )
            | _json,
        }
    )
)
def test_dilicom_order_lines_are_read_or_called_nonsense(line):
    try:
        status = dilicom_order_line(line)
    except DistributorNonsense:
        return
    assert status.loans_left >= 0 and status.concurrent_in_use >= 0
    assert {"loans_total", "concurrent_max"} <= status.unknown
