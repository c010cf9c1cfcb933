"""Each step of a patron's life writes one statistics event, and the roll-ups agree
with the raw counts of the patrons' own history."""

from datetime import date, timedelta

import pytest
from django.db.models import Count, Sum
from django.utils import timezone

from boite.patrons import services
from boite.patrons.factories import make_patron
from boite.patrons.models import Patron, PatronEvent
from boite.stats.events import stats_pseudonym
from boite.stats.models import DailyCount, Event, EventKind, MonthlyUnique
from boite.stats.rollup import rollup

pytestmark = pytest.mark.django_db
Kind = PatronEvent.Kind


def _register(library, email, born=date(1990, 1, 1)):
    return services.register(
        network=library.network,
        library=library,
        email=email,
        password="Un mot de passe assez long 42",
        first_name="Alice",
        last_name="Martin",
        birth_date=born,
    )


def test_registration_writes_a_pseudonymous_event(bayeux_library):
    patron = _register(bayeux_library, "alice@example.org", born=date(2015, 6, 1))
    event = Event.objects.get()
    assert event.kind == EventKind.REGISTRATION
    assert event.patron == stats_pseudonym(patron.pseudonym) != patron.pseudonym
    assert event.library == bayeux_library
    assert event.network == bayeux_library.network
    assert event.commune == bayeux_library.authority
    assert event.age_band == "0-11"
    row = Event.objects.values().get()
    assert "alice@example.org" not in str(row) and "Martin" not in str(row)


def test_every_step_writes_one_event(bayeux_library, lisieux_library, librarian_bayeux):
    today = timezone.localdate()
    a = _register(bayeux_library, "a@example.org")
    b = _register(bayeux_library, "b@example.org", born=date(1950, 3, 3))
    c = _register(lisieux_library, "c@example.org", born=None)
    for patron in (a, b, c):
        assert services.confirm_email(patron)
    assert not services.confirm_email(a)  # already confirmed: no second event
    year = today + timedelta(days=365)
    services.approve(a, card_number="B1", expires_on=year, actor=librarian_bayeux)
    services.approve(b, card_number="B2", expires_on=year, actor=librarian_bayeux)
    services.renew(a, expires_on=year + timedelta(days=365), actor=librarian_bayeux)
    services.suspend(b, reason="Carte perdue", actor=librarian_bayeux)
    old = make_patron(lisieux_library, expires_on=today - timedelta(days=2))
    assert services.expire_accounts(today) == 1

    kinds = dict(
        Event.objects.values("kind").order_by().annotate(n=Count("id")).values_list("kind", "n")
    )
    assert kinds == {
        EventKind.REGISTRATION: 3,
        EventKind.CONFIRMATION: 3,
        EventKind.VALIDATION: 2,
        EventKind.RENEWAL: 1,
        EventKind.SUSPENSION: 1,
        EventKind.EXPIRY: 1,
    }
    assert Event.objects.get(kind=EventKind.EXPIRY).patron == stats_pseudonym(old.pseudonym)
    assert set(
        Event.objects.filter(kind=EventKind.SUSPENSION).values_list("age_band", flat=True)
    ) == {"65+"}
    assert Event.objects.get(kind=EventKind.REGISTRATION, library=lisieux_library).age_band == ""

    # The roll-ups agree with the patrons' own history.
    rollup(today, today)
    history = {
        EventKind.REGISTRATION: Kind.REGISTERED,
        EventKind.CONFIRMATION: Kind.CONFIRMED,
        EventKind.VALIDATION: Kind.APPROVED,
        EventKind.RENEWAL: Kind.RENEWED,
        EventKind.SUSPENSION: Kind.SUSPENDED,
        EventKind.EXPIRY: Kind.EXPIRED,
    }
    for kind, patron_kind in history.items():
        for library in (bayeux_library, lisieux_library):
            rolled = DailyCount.objects.filter(kind=kind, library=library).aggregate(
                n=Sum("count")
            )["n"]
            raw = PatronEvent.objects.filter(kind=patron_kind, patron__home_library=library)
            assert (rolled or 0) == raw.count(), (kind, library)
    registered = Patron.objects.filter(home_library=bayeux_library).count()
    assert (
        MonthlyUnique.objects.get(
            level="library", library=bayeux_library, kind=EventKind.REGISTRATION
        ).patrons
        == registered
        == 2
    )


def test_figures_survive_erasure(bayeux_library):
    today = timezone.localdate()
    patron = _register(bayeux_library, "gone@example.org")
    services.confirm_email(patron)
    rollup(today, today)
    before = sorted(DailyCount.objects.values_list("kind", "count", "patrons"))
    services.erase(patron)
    rollup(today, today)
    assert sorted(DailyCount.objects.values_list("kind", "count", "patrons")) == before
    # The events keep a keyed hash of the pseudonym: nothing that joins the patron table.
    patron.refresh_from_db()
    assert patron.user is None
    assert set(Event.objects.values_list("patron", flat=True)) == {
        stats_pseudonym(patron.pseudonym)
    }
