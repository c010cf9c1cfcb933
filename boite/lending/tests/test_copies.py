"""One rule for free copies: a licence both portals share, loans and READY holds of both
networks counted on it, the queue across networks, and the race from both portals."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.core import mail
from django.db import connection

from boite.lending import loans as lending
from boite.lending.copies import CopyPool
from boite.lending.models import Hold, Licence, Loan
from boite.lending.patron_views import availability
from boite.patrons.factories import make_patron

REQUEST = lending.BorrowRequest(days=21, passphrase="phrase de passe", hint="indice")

CALVADOS, CAEN = 1, 2


# -- the pool alone ---------------------------------------------------------------------------


def test_a_copy_kept_for_the_other_network_on_a_shared_licence_is_not_free():
    pool = CopyPool(free={10: 1}, serves={10: frozenset({CALVADOS, CAEN})})
    assert (pool.lendable(CALVADOS), pool.lendable(CAEN)) == (1, 1)
    pool.keep(CAEN)
    assert (pool.lendable(CALVADOS), pool.lendable(CAEN)) == (0, 0)
    assert pool.pick(CALVADOS) is None


def test_a_kept_copy_sits_where_it_leaves_most_to_the_others():
    # Licence 10 serves both networks, 11 only Calvados: Calvados' kept copy goes on 11,
    # whatever order the holds are placed in, and Caen may still lend the shared copy.
    pool = CopyPool(
        free={10: 1, 11: 1}, serves={10: frozenset({CALVADOS, CAEN}), 11: frozenset({CALVADOS})}
    )
    pool.keep(CALVADOS)
    assert (pool.lendable(CALVADOS), pool.lendable(CAEN)) == (1, 1)
    pool.keep(CAEN)
    assert (pool.lendable(CALVADOS), pool.lendable(CAEN)) == (0, 0)
    # Caen borrows: only the shared copy is Caen's to take, and taking it breaks no hold.
    pool = CopyPool(
        free={10: 1, 11: 1},
        serves={10: frozenset({CALVADOS, CAEN}), 11: frozenset({CALVADOS})},
        kept=Counter({CALVADOS: 1}),
    )
    assert pool.pick(CAEN) == 10
    # Calvados lends its one copy left over (its kept copy moves to the other licence).
    assert pool.lendable(CALVADOS) == 1
    pool.take(pool.pick(CALVADOS))
    assert (pool.lendable(CALVADOS), pool.lendable(CAEN)) == (0, 0)


def test_holds_that_no_longer_fit_do_not_make_copies_negative():
    pool = CopyPool(free={10: 0}, serves={10: frozenset({CALVADOS})}, kept=Counter({CALVADOS: 3}))
    assert pool.lendable(CALVADOS) == 0


# -- through the loans ------------------------------------------------------------------------


@pytest.fixture
def shared(pnb_record, make_licence):
    """One copy that both networks' portals lend."""
    return make_licence(pnb_record, "SHARED-1", concurrency=1)


def test_a_freed_shared_copy_makes_exactly_one_hold_ready_and_one_email(
    shared, pnb_record, patron_bayeux, patron_caen, bayeux_library, caen_library, on_commit
):
    loan = lending.borrow(patron_bayeux, pnb_record, patron_bayeux.network, REQUEST)
    caen_waiting = lending.place_hold(patron_caen, pnb_record, patron_caen.network)
    other_caen = make_patron(caen_library, email="c2@example.org", card_number="C2")
    bayeux_waiting = make_patron(bayeux_library, email="b2@example.org", card_number="B2")
    second = lending.place_hold(bayeux_waiting, pnb_record, bayeux_waiting.network)
    third = lending.place_hold(other_caen, pnb_record, other_caen.network)
    mail.outbox.clear()
    with on_commit(execute=True):
        lending.return_loan(loan)
    states = {
        h.pk: h.state for h in Hold.objects.filter(pk__in=[caen_waiting.pk, second.pk, third.pk])
    }
    assert states == {
        caen_waiting.pk: Hold.State.READY,  # the first in the queue, whatever the network
        second.pk: Hold.State.WAITING,
        third.pk: Hold.State.WAITING,
    }
    assert [m.to for m in mail.outbox] == [[patron_caen.email]]
    # The copy is Camille's: the Calvados patron meets « no copy », the record page says 0.
    with pytest.raises(lending.NoCopyLeft):
        lending.borrow(bayeux_waiting, pnb_record, bayeux_waiting.network, REQUEST)
    assert availability(pnb_record, bayeux_waiting.network, bayeux_waiting)["free"] == 0
    assert availability(pnb_record, patron_caen.network, patron_caen)["free"] == 1
    assert Licence.objects.lendable_copies(pnb_record, bayeux_waiting.network) == 0
    made = lending.borrow(patron_caen, pnb_record, patron_caen.network, REQUEST)
    assert made.state == Loan.State.ACTIVE


def test_a_pass_that_frees_copies_for_both_networks_emails_each_patron_once(
    pnb_record, make_licence, patron_caen, bayeux_library, on_commit
):
    licence = make_licence(pnb_record, "SHARED-2", concurrency=2)
    Licence.objects.filter(pk=licence.pk).update(concurrent_in_use=2)
    bayeux = make_patron(bayeux_library, email="b3@example.org", card_number="B3")
    with on_commit(execute=True):
        lending.place_hold(bayeux, pnb_record, bayeux.network)
        lending.place_hold(patron_caen, pnb_record, patron_caen.network)
    mail.outbox.clear()
    Licence.objects.filter(pk=licence.pk).update(concurrent_in_use=0)
    with on_commit(execute=True):
        made = lending.advance_queue(pnb_record)
    assert len(made) == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted([bayeux.email, patron_caen.email])


def test_a_licence_of_one_network_is_not_counted_in_the_others_free_copies(
    pnb_record, make_licence, calvados, caen_network
):
    mine = make_licence(pnb_record, "CALVADOS-ONLY", concurrency=3)
    mine.networks.set([calvados])
    assert Licence.objects.lendable_copies(pnb_record, calvados) == 3
    assert Licence.objects.lendable_copies(pnb_record, caen_network) == 0


# -- the race from both portals -----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_shared_last_copy_asked_from_both_portals_at_once_is_lent_once(
    pnb_record, make_licence, bayeux_library, caen_library, fake_dilicom
):
    """PostgreSQL: every licence of the title locked (SELECT … FOR UPDATE); SQLite: the
    IMMEDIATE transaction. Run with DATABASE_URL for the first."""
    licence = make_licence(pnb_record, "SHARED-RACE", concurrency=1)
    patrons = [
        make_patron(
            library, email=f"r{i}-{library.pk}@example.org", card_number=f"R{i}{library.pk}"
        )
        for i in range(12)
        for library in (bayeux_library, caen_library)
    ]
    start = threading.Barrier(len(patrons))
    loans, refused, errors = [], [], []

    def attempt(patron) -> None:
        try:
            start.wait()
            loans.append(lending.borrow(patron, pnb_record, patron.network, REQUEST))
        except lending.NoCopyLeft:
            refused.append(patron.network_id)
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
    assert len(loans) == 1 and len(refused) == len(patrons) - 1
    assert set(refused) == {bayeux_library.network_id, caen_library.network_id}
    licence.refresh_from_db()
    assert licence.concurrent_in_use == 1
    assert Loan.objects.filter(state=Loan.State.ACTIVE).count() == 1
    assert fake_dilicom.licences["SHARED-RACE"].in_use == 1


@pytest.mark.django_db(transaction=True)
def test_a_hold_made_ready_while_the_other_portal_borrows_never_doubles_the_copy(
    pnb_record, make_licence, bayeux_library, caen_library, fake_dilicom
):
    """The queue (a cancelled hold frees the kept copy) and a borrow from the other portal
    run at once: the copy ends up either lent or kept, never both."""
    make_licence(pnb_record, "SHARED-Q", concurrency=1)
    first = make_patron(caen_library, email="q1@example.org", card_number="Q1")
    waiting = make_patron(caen_library, email="q2@example.org", card_number="Q2")
    borrower = make_patron(bayeux_library, email="q3@example.org", card_number="Q3")
    kept = Hold.objects.create(record=pnb_record, patron=first, network=first.network)
    Hold.objects.filter(pk=kept.pk).update(state=Hold.State.READY)
    Hold.objects.create(record=pnb_record, patron=waiting, network=waiting.network)
    start = threading.Barrier(2)
    errors = []

    def cancel() -> None:
        try:
            start.wait()
            lending.cancel_hold(Hold.objects.get(pk=kept.pk))
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    def borrow() -> None:
        try:
            start.wait()
            lending.borrow(borrower, pnb_record, borrower.network, REQUEST)
        except lending.NoCopyLeft:
            pass
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=cancel), threading.Thread(target=borrow)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    lent = Loan.objects.filter(state=Loan.State.ACTIVE).count()
    ready = Hold.objects.filter(state=Hold.State.READY).count()
    assert lent + ready == 1


def test_the_opds_feed_says_unavailable_when_the_shared_copy_is_kept_for_the_other_portal(
    client, shared, pnb_record, patron_caen
):
    import json

    def state() -> str:
        feed = json.loads(client.get("/opds/prets/catalogue.json").content)
        (borrow,) = feed["publications"][0]["links"][-1:]
        return borrow["properties"]["availability"]["state"]

    assert state() == "available"
    hold = Hold.objects.create(record=pnb_record, patron=patron_caen, network=patron_caen.network)
    Hold.objects.filter(pk=hold.pk).update(state=Hold.State.READY)
    assert state() == "unavailable"
