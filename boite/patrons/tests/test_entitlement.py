from datetime import timedelta

import pytest
from django.utils import timezone

from boite.patrons.factories import make_patron
from boite.patrons.models import Patron

State = Patron.State
pytestmark = pytest.mark.django_db


def test_active_patron_may_use_resources_until_expiry(patron_caen):
    expiry = patron_caen.expires_on
    assert patron_caen.is_active_on(expiry)
    assert patron_caen.refusal_reason(expiry) is None
    assert not patron_caen.is_active_on(expiry + timedelta(days=1))
    reason = patron_caen.refusal_reason(expiry + timedelta(days=1))
    assert "expiré le" in reason and "Bibliothèque Alexis de Tocqueville" in reason


def test_expired_patron_is_told_where_to_go(patron_expired):
    assert not patron_expired.is_active_on()
    assert "Médiathèque de Bayeux" in patron_expired.refusal_reason()


def test_trial_gives_access_until_its_last_day(bayeux_library):
    today = timezone.localdate()
    patron = make_patron(bayeux_library, state=State.TRIAL, trial_ends_on=today)
    assert patron.is_active_on(today)
    assert not patron.is_active_on(today + timedelta(days=1))
    assert "essai est terminé" in patron.refusal_reason(today + timedelta(days=1))


@pytest.mark.parametrize(
    ("state", "words"),
    [
        (State.UNCONFIRMED, "confirmer votre adresse"),
        (State.AWAITING, "valider votre inscription"),
        (State.SUSPENDED, "suspendu"),
        (State.REJECTED, "pas été acceptée"),
    ],
)
def test_no_access_in_other_states(bayeux_library, state, words):
    patron = make_patron(bayeux_library, state=state)
    assert not patron.is_active_on()
    assert words in patron.refusal_reason()


def test_state_in_words_gives_the_expiry_date(patron_caen):
    assert patron_caen.state_in_words().startswith("Votre accès est valable jusqu’au") or (
        "valable jusqu" in patron_caen.state_in_words()
    )


def test_pseudonyms_are_random_and_stable(patron_caen, patron_bayeux):
    assert patron_caen.pseudonym != patron_bayeux.pseudonym
    before = patron_caen.pseudonym
    patron_caen.phone = "0231000000"
    patron_caen.save()
    patron_caen.refresh_from_db()
    assert patron_caen.pseudonym == before and len(before) == 32


def test_card_number_is_unique_per_network(bayeux_library, lisieux_library, caen_library):
    from django.db import IntegrityError, transaction

    make_patron(bayeux_library, card_number="X1")
    make_patron(caen_library, card_number="X1")  # another network: allowed
    make_patron(bayeux_library, card_number="")
    make_patron(lisieux_library, card_number="")  # empty cards don't collide
    with pytest.raises(IntegrityError), transaction.atomic():
        make_patron(lisieux_library, card_number="X1")


def test_demo_loads_patrons_in_every_state_once(bayeux_library, caen_library):
    import io

    from boite.patrons import demo

    demo.load(io.StringIO())
    states = set(Patron.objects.values_list("state", flat=True))
    assert {State.ACTIVE, State.TRIAL}.issubset(states)
    count = Patron.objects.count()
    assert count == 2 * demo.PATRONS_PER_LIBRARY + 1  # the Caen demo library slug differs
    demo.load(io.StringIO())
    assert Patron.objects.count() == count


def test_patron_of_a_user_on_a_portal(patron_caen, calvados, caen_network, librarian_caen):
    from django.contrib.auth.models import AnonymousUser

    assert Patron.of(patron_caen.user, caen_network) == patron_caen
    assert Patron.of(patron_caen.user, calvados) is None
    assert Patron.of(librarian_caen, caen_network) is None
    assert Patron.of(AnonymousUser(), caen_network) is None
