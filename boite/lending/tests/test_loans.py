"""Loans and holds against the fake distributors: borrow, return, extend, the queue, the
race for the last copy, and distributors that fail or hang during a checkout."""

from __future__ import annotations

import base64
import hashlib
import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import OperationalError, connection
from django.utils import timezone

from boite.lending import loans as lending
from boite.lending.models import Hold, LendingRules, Licence, Loan
from boite.patrons.factories import make_patron
from boite.stats.events import stats_pseudonym
from boite.stats.models import Event

REQUEST = lending.BorrowRequest(days=21, passphrase="sésame ouvre-toi", hint="la formule")


def _borrow(patron, record, request=REQUEST):
    return lending.borrow(patron, record, patron.network, request)


@pytest.fixture
def licence(pnb_record, make_licence):
    return make_licence(pnb_record)


def test_a_loan_is_made_at_the_distributor_with_the_hashed_passphrase(
    patron_bayeux, pnb_record, licence, fake_dilicom
):
    loan = _borrow(patron_bayeux, pnb_record)
    assert loan.state == Loan.State.ACTIVE
    assert loan.download_url.endswith(f"{loan.uuid}.lcpl")
    assert loan.hint == "la formule"
    fake_loan = fake_dilicom.loan(str(loan.uuid))
    assert fake_loan.patron == patron_bayeux.pseudonym
    # base64(sha256(passphrase)) went to the distributor; the portal kept nothing of it
    expected = base64.b64encode(hashlib.sha256(REQUEST.passphrase.encode()).digest()).decode()
    assert fake_loan.passphrase == expected
    assert "sésame" not in str(Loan.objects.filter(pk=loan.pk).values().get())
    licence.refresh_from_db()
    assert (licence.concurrent_in_use, licence.loans_left) == (1, 29)
    assert fake_dilicom.licences["OL-1"].in_use == 1
    event = Event.objects.get(kind="loan")
    assert event.patron == stats_pseudonym(patron_bayeux.pseudonym)
    assert event.resource == "pnb-livres"


def test_the_loan_length_is_the_patrons_choice_up_to_the_maximum(
    patron_bayeux, pnb_record, make_licence
):
    make_licence(pnb_record, days=30)
    before = timezone.now()
    loan = _borrow(patron_bayeux, pnb_record, lending.BorrowRequest(90, "phrase secrète", "indice"))
    assert before + timedelta(days=29) < loan.ends_at <= timezone.now() + timedelta(days=30)


def test_the_soonest_expiring_licence_is_lent_first_then_the_one_with_most_loans_left(
    pnb_record, make_licence, calvados
):
    late = make_licence(pnb_record, "L-late", valid_days=700)
    soon = make_licence(pnb_record, "L-soon", valid_days=100, loans=5)
    soon_more = make_licence(pnb_record, "L-soon-more", valid_days=100, loans=20)
    soon_more.valid_until = soon.valid_until
    soon_more.save()

    def picked():
        return Licence.objects.copy_pool(pnb_record).pick(calvados.pk)

    assert picked() == soon_more.pk
    Licence.objects.filter(pk=soon_more.pk).update(concurrent_in_use=1)
    assert picked() == soon.pk
    Licence.objects.filter(pk=soon.pk).update(state=Licence.State.EXPIRED)
    assert picked() == late.pk


def test_return_early_frees_the_copy_here_and_at_the_distributor(
    patron_bayeux, pnb_record, licence, fake_dilicom
):
    loan = _borrow(patron_bayeux, pnb_record)
    lending.return_loan(loan)
    loan.refresh_from_db()
    licence.refresh_from_db()
    assert loan.state == Loan.State.RETURNED
    assert licence.concurrent_in_use == 0 and licence.loans_left == 29
    assert fake_dilicom.licences["OL-1"].in_use == 0
    assert Event.objects.filter(kind="return").count() == 1
    with pytest.raises(lending.LendingRefusal):
        lending.return_loan(loan)


def test_extend_when_the_distributor_allows_it(patron_bayeux, pnb_record, licence, fake_dilicom):
    loan = _borrow(patron_bayeux, pnb_record)
    end = loan.ends_at
    lending.extend_loan(loan, 7)
    assert loan.ends_at == end + timedelta(days=7)
    assert fake_dilicom.loan(str(loan.uuid)).end == loan.ends_at


def test_no_extension_when_the_distributor_refuses(
    patron_bayeux, pnb_record, make_licence, fake_dilicom
):
    make_licence(pnb_record, renewable=False)
    loan = _borrow(patron_bayeux, pnb_record)
    # Dilicom says « no » when asked only: the refusal reaches the patron, nothing changes.
    ends = loan.ends_at
    with pytest.raises(lending.LendingRefusal):
        lending.extend_loan(loan, 7)
    loan.refresh_from_db()
    assert loan.ends_at == ends


def test_limits_per_patron_are_the_networks(patron_bayeux, pnb_resource, make_licence, calvados):
    from boite.catalog.models import Record

    LendingRules.objects.create(network=calvados, max_loans=2, max_loans_per_month=3)
    records = [
        Record.objects.create(
            resource=pnb_resource, provider_id=f"r{i}", title=f"Titre {i}", isbn=f"978207000000{i}"
        )
        for i in range(4)
    ]
    for i, record in enumerate(records):
        make_licence(record, f"L{i}")
    first = _borrow(patron_bayeux, records[0])
    _borrow(patron_bayeux, records[1])
    with pytest.raises(lending.LendingRefusal, match="2"):
        _borrow(patron_bayeux, records[2])
    lending.return_loan(first)
    _borrow(patron_bayeux, records[2])
    lending.return_loan(Loan.objects.get(record=records[2]))
    with pytest.raises(lending.LendingRefusal, match="3"):
        _borrow(patron_bayeux, records[3])
    assert Loan.objects.filter(record=records[3]).count() == 0


def test_an_expired_patron_cannot_borrow(patron_expired, pnb_record, licence):
    with pytest.raises(lending.LendingRefusal):
        lending.borrow(patron_expired, pnb_record, patron_expired.network, REQUEST)
    assert not Loan.objects.exists()


# -- holds ------------------------------------------------------------------------------------


def test_the_queue_position_the_email_the_window_and_the_next_turn(
    patron_bayeux, pnb_record, licence, bayeux_library, calvados, on_commit
):
    second = make_patron(bayeux_library, email="second@example.org", card_number="B2")
    third = make_patron(bayeux_library, email="third@example.org", card_number="B3")
    loan = _borrow(patron_bayeux, pnb_record)
    with pytest.raises(lending.NoCopyLeft):
        _borrow(second, pnb_record)
    hold2 = lending.place_hold(second, pnb_record, calvados)
    hold3 = lending.place_hold(third, pnb_record, calvados)
    assert (hold2.position(), hold3.position()) == (1, 2)
    mail.outbox.clear()
    with on_commit(execute=True):
        lending.return_loan(loan)
    hold2.refresh_from_db()
    assert hold2.state == Hold.State.READY
    assert hold2.expires_at - hold2.ready_at == timedelta(hours=72)
    assert [m.to for m in mail.outbox] == [["second@example.org"]]
    assert pnb_record.title in mail.outbox[0].subject
    # the kept copy is not for the third patron
    with pytest.raises(lending.NoCopyLeft):
        _borrow(third, pnb_record)
    # the window passes: the third patron's turn
    with on_commit(execute=True):
        lending.expire_ready_holds(now=timezone.now() + timedelta(hours=73))
    hold2.refresh_from_db()
    hold3.refresh_from_db()
    assert (hold2.state, hold3.state) == (Hold.State.EXPIRED, Hold.State.READY)
    assert mail.outbox[-1].to == ["third@example.org"]
    loan3 = _borrow(third, pnb_record)
    hold3.refresh_from_db()
    assert loan3.state == Loan.State.ACTIVE and hold3.state == Hold.State.FULFILLED
    assert Event.objects.filter(kind="hold").count() == 2
    assert Event.objects.filter(kind="hold_filled").count() == 2


def test_the_window_is_set_per_network(
    patron_bayeux, pnb_record, licence, calvados, bayeux_library
):
    LendingRules.objects.create(network=calvados, hold_window_hours=24)
    loan = _borrow(patron_bayeux, pnb_record)
    other = make_patron(bayeux_library, email="o@example.org", card_number="B9")
    hold = lending.place_hold(other, pnb_record, calvados)
    lending.return_loan(loan)
    hold.refresh_from_db()
    assert hold.expires_at - hold.ready_at == timedelta(hours=24)


def test_cancel_a_hold_and_hold_limits(patron_bayeux, pnb_resource, make_licence, calvados):
    from boite.catalog.models import Record

    LendingRules.objects.create(network=calvados, max_holds=1)
    first, second = (
        Record.objects.create(resource=pnb_resource, provider_id=f"h{i}", title=f"T{i}")
        for i in range(2)
    )
    for i, record in enumerate([first, second]):
        make_licence(record, f"H{i}")
        Licence.objects.filter(record=record).update(concurrent_in_use=1)
    hold = lending.place_hold(patron_bayeux, first, calvados)
    with pytest.raises(lending.LendingRefusal, match="déjà dans la file"):
        lending.place_hold(patron_bayeux, first, calvados)
    with pytest.raises(lending.LendingRefusal, match="1"):
        lending.place_hold(patron_bayeux, second, calvados)
    lending.cancel_hold(hold)
    hold.refresh_from_db()
    assert hold.state == Hold.State.CANCELLED
    # The statistics see the hold leave the queue.
    from boite.stats.models import Event

    assert (
        Event.objects.filter(
            kind="hold_cancelled", patron=stats_pseudonym(patron_bayeux.pseudonym)
        ).count()
        == 1
    )
    assert lending.place_hold(patron_bayeux, second, calvados).state == Hold.State.WAITING


def test_the_sync_ends_finished_loans_and_advances_the_queue(
    patron_bayeux, pnb_record, licence, dilicom_account, bayeux_library, calvados, time_machine
):
    from boite.lending import sync

    loan = _borrow(patron_bayeux, pnb_record)
    other = make_patron(bayeux_library, email="next@example.org", card_number="B7")
    hold = lending.place_hold(other, pnb_record, calvados)
    time_machine.move_to(loan.ends_at + timedelta(minutes=1))
    sync.sync_account(dilicom_account)
    loan.refresh_from_db()
    hold.refresh_from_db()
    licence.refresh_from_db()
    assert loan.state == Loan.State.EXPIRED
    assert hold.state == Hold.State.READY
    assert licence.concurrent_in_use == 0  # the distributor agrees after its own settling


# -- the race for the last copy -----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_last_copy_requested_by_100_patrons_at_once_is_lent_once(
    pnb_record, make_licence, bayeux_library, fake_dilicom
):
    """PostgreSQL: row locks (SELECT … FOR UPDATE). SQLite: the IMMEDIATE transaction's
    write lock. The same test runs on both (DATABASE_URL)."""
    licence = make_licence(pnb_record, concurrency=1)
    patrons = [
        make_patron(bayeux_library, email=f"p{i}@example.org", card_number=f"R{i:03}")
        for i in range(100)
    ]
    start = threading.Barrier(100)
    # PostgreSQL's connections are shared with other test runs (max_connections 100): at
    # most 40 are open at once there, so the 100 requests contend in overlapping waves.
    seats = threading.BoundedSemaphore(100 if connection.vendor == "sqlite" else 40)
    loans, refused, errors = [], [], []

    def attempt(patron) -> None:
        try:
            start.wait()
            with seats:
                try:
                    loans.append(_borrow(patron, pnb_record))
                finally:
                    connection.close()
        except lending.NoCopyLeft as refusal:
            refused.append(refusal.message)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(p,)) for p in patrons]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(loans) == 1 and len(refused) == 99
    assert set(refused) == {"Plus d'exemplaire disponible, voulez-vous réserver ?"}
    licence.refresh_from_db()
    assert licence.concurrent_in_use == 1
    assert Loan.objects.filter(state=Loan.State.ACTIVE).count() == 1
    assert Loan.objects.count() == 1
    assert fake_dilicom.licences["OL-1"].in_use == 1


# -- distributors that fail or hang --------------------------------------------------------------


@pytest.mark.parametrize("mode", ["fail", "nonsense", "hang"])
def test_a_failing_distributor_leaves_no_phantom_loan_and_no_lost_copy(
    mode, patron_bayeux, pnb_record, licence, fake_dilicom, dilicom_account
):
    dilicom_account.timeout_seconds = 1
    dilicom_account.save()
    fake_dilicom.mode = mode
    with pytest.raises(lending.DistributorProblem):
        _borrow(patron_bayeux, pnb_record)
    loan = Loan.objects.get()
    assert loan.state == Loan.State.UNCERTAIN
    licence.refresh_from_db()
    assert licence.concurrent_in_use == 1  # kept for the retry, not lent to another
    # the distributor comes back; the sync settles the loan it never made
    fake_dilicom.mode = "ok"
    settled = lending.settle_uncertain_loans(now=timezone.now() + timedelta(minutes=5))
    loan.refresh_from_db()
    licence.refresh_from_db()
    assert settled == 1 and loan.state == Loan.State.FAILED
    assert (licence.concurrent_in_use, licence.loans_left) == (0, 30)
    assert fake_dilicom.licences["OL-1"].in_use == 0
    assert not Event.objects.filter(kind="loan").exists()


def test_a_retry_after_no_answer_is_the_same_loan(patron_bayeux, pnb_record, licence, fake_dilicom):
    fake_dilicom.mode = "fail"
    with pytest.raises(lending.DistributorProblem):
        _borrow(patron_bayeux, pnb_record)
    fake_dilicom.mode = "ok"
    loan = _borrow(patron_bayeux, pnb_record)
    assert Loan.objects.count() == 1 and loan.state == Loan.State.ACTIVE
    assert fake_dilicom.licences["OL-1"].in_use == 1
    assert fake_dilicom.licences["OL-1"].loans_left == 29


def test_a_loan_made_but_whose_answer_was_lost_is_returned_by_the_sync(
    patron_bayeux, pnb_record, licence, fake_dilicom
):
    fake_dilicom.mode = "fail"
    with pytest.raises(lending.DistributorProblem):
        _borrow(patron_bayeux, pnb_record)
    loan = Loan.objects.get()
    fake_dilicom.mode = "ok"
    # the distributor had made it after all
    fake = fake_dilicom.licences["OL-1"]
    fake_dilicom._new_loan(fake, str(loan.uuid), loan.ends_at, patron="x", passphrase="y", hint="z")
    assert fake.in_use == 1
    lending.settle_uncertain_loans(now=timezone.now() + timedelta(minutes=5))
    loan.refresh_from_db()
    assert loan.state == Loan.State.FAILED
    assert fake.in_use == 0


class _StateWriteFails:
    """The database gone at the moment the portal records a loan's end."""

    def __call__(self, execute, sql, params, many, context):
        if sql.startswith('UPDATE "lending_loan" SET "state"'):
            raise OperationalError("terminating connection due to administrator command")
        return execute(sql, params, many, context)


def test_a_return_made_at_the_distributor_but_not_recorded_is_ended_by_the_sync(
    patron_bayeux, pnb_record, licence, fake_dilicom
):
    loan = _borrow(patron_bayeux, pnb_record)
    with pytest.raises(OperationalError), connection.execute_wrapper(_StateWriteFails()):
        lending.return_loan(loan)
    loan.refresh_from_db()
    licence.refresh_from_db()
    # The distributor took the book back; the portal could not say so.
    assert not fake_dilicom.loan(str(loan.uuid)).is_open
    assert loan.state == Loan.State.ACTIVE and loan.return_requested_at is not None
    assert licence.concurrent_in_use == 1
    assert lending.settle_uncertain_loans(now=timezone.now() + timedelta(minutes=5)) == 1
    loan.refresh_from_db()
    licence.refresh_from_db()
    assert loan.state == Loan.State.RETURNED
    assert licence.concurrent_in_use == fake_dilicom.licences["OL-1"].in_use == 0
    assert Event.objects.filter(kind="return").count() == 1


def test_a_return_the_distributor_never_received_leaves_the_loan_to_the_patron(
    patron_bayeux, pnb_record, licence, fake_dilicom
):
    loan = _borrow(patron_bayeux, pnb_record)
    fake_dilicom.mode = "fail"
    with pytest.raises(lending.DistributorProblem):
        lending.return_loan(loan)
    fake_dilicom.mode = "ok"
    assert lending.settle_uncertain_loans(now=timezone.now() + timedelta(minutes=5)) == 0
    loan.refresh_from_db()
    assert loan.state == Loan.State.ACTIVE and loan.return_requested_at is None
    assert fake_dilicom.loan(str(loan.uuid)).is_open
    lending.return_loan(loan)  # the patron tries again
    loan.refresh_from_db()
    assert loan.state == Loan.State.RETURNED


def test_a_distributor_without_copy_frees_the_local_reservation(
    patron_bayeux, pnb_record, licence, fake_dilicom
):
    fake_dilicom.licences["OL-1"].concurrency = 0  # the portal's counters were stale
    with pytest.raises(lending.NoCopyLeft):
        _borrow(patron_bayeux, pnb_record)
    licence.refresh_from_db()
    assert Loan.objects.get().state == Loan.State.FAILED
    assert (licence.concurrent_in_use, licence.loans_left) == (0, 30)


def test_an_odl_notification_ends_the_loan(
    patron_bayeux, pnb_record, licence, fake_dilicom, dilicom_account, client
):
    from boite.lending import sync
    from boite.lending.distributors.base import LoanAnswer, LoanState

    loan = _borrow(patron_bayeux, pnb_record)
    applied = sync.handle_notification(
        dilicom_account, LoanAnswer(str(loan.uuid), LoanState.REVOKED, None)
    )
    loan.refresh_from_db()
    assert applied and loan.state == Loan.State.REVOKED


def test_an_odl_loan_is_made_returned_by_notification_and_frees_the_copy(
    patron_bayeux, pnb_record, odl_account, fake_odl, calvados, client
):
    fake_odl.add_licence("odl-1", loans_total=10, concurrency=1)
    licence = Licence.objects.create(
        account=odl_account,
        distributor_key="odl-1",
        ean=pnb_record.isbn,
        record=pnb_record,
        loans_total=10,
        loans_left=10,
        concurrent_max=1,
        loan_max_days=60,
        info_url=fake_odl.info_url("odl-1"),
        checkout_url=fake_odl.checkout_url("odl-1"),
    )
    licence.networks.set([calvados])
    loan = lending.borrow(
        patron_bayeux, pnb_record, calvados, REQUEST, portal_url="http://localhost"
    )
    assert loan.state == Loan.State.ACTIVE and loan.status_url
    fake_loan = fake_odl.loan(str(loan.uuid))
    assert fake_loan.notification_url == "http://localhost" + odl_account.notification_path()
    body = fake_odl.revoke(str(loan.uuid))
    response = client.post(odl_account.notification_path(), body, content_type="application/json")
    assert response.status_code == 204
    loan.refresh_from_db()
    licence.refresh_from_db()
    assert loan.state == Loan.State.REVOKED and licence.concurrent_in_use == 0


def test_erasing_a_patron_forgets_hints_and_ends_holds(
    patron_bayeux, pnb_record, licence, bayeux_library, calvados
):
    from boite.patrons import services

    other = make_patron(bayeux_library, email="gone@example.org", card_number="B11")
    _borrow(other, pnb_record)
    hold = lending.place_hold(patron_bayeux, pnb_record, calvados)
    services.erase(other)
    services.erase(patron_bayeux)
    hold.refresh_from_db()
    assert hold.state == Hold.State.CANCELLED
    assert not Loan.objects.exclude(hint="").exists()


def test_a_lent_title_offers_to_borrow_not_to_open(client, pnb_resource):
    from boite.catalog.models import Record

    record = Record.objects.create(resource=pnb_resource, provider_id="p1", title="Un roman")
    page = client.get(f"/notices/{record.pk}/").content.decode()
    assert pnb_resource.is_lent
    assert "/acces/" not in page
