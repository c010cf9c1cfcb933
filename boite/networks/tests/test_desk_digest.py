"""The staff desk by e-mail: what waits, for those who asked, once a day at most."""

from datetime import date, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from boite.networks.tasks import send_desk_digests
from boite.patrons.factories import make_patron
from boite.patrons.models import Patron
from boite.pro.models import Profile

pytestmark = pytest.mark.django_db
MONDAY, TUESDAY = date(2026, 12, 7), date(2026, 12, 8)


def _trial(library, email: str):
    return make_patron(
        library,
        state=Patron.State.TRIAL,
        email=email,
        trial_ends_on=timezone.localdate() + timedelta(days=20),
    )


@pytest.fixture
def subscribed(librarian_bayeux):
    librarian_bayeux.email = "sophie@example.org"
    librarian_bayeux.save()
    Profile.objects.create(user=librarian_bayeux, desk_digest=Profile.DeskDigest.DAILY)
    return librarian_bayeux


def test_the_digest_lists_what_waits_in_the_persons_scope(
    on_commit, subscribed, bayeux_library, lisieux_library
):
    _trial(bayeux_library, "a@example.org")
    _trial(bayeux_library, "b@example.org")
    _trial(lisieux_library, "c@example.org")  # not Bayeux's work
    with on_commit(execute=True):
        assert send_desk_digests(TUESDAY) == 1
    (message,) = mail.outbox
    assert message.to == ["sophie@example.org"]
    assert "Ce qui vous attend" in message.subject
    assert "- 2 inscriptions à valider" in message.body
    assert "http://localhost/gestion/usagers/" in message.body


def test_nothing_waiting_means_no_email(on_commit, subscribed):
    with on_commit(execute=True):
        assert send_desk_digests(TUESDAY) == 0
    assert mail.outbox == []


def test_a_job_run_twice_in_a_day_sends_once(on_commit, subscribed, bayeux_library):
    _trial(bayeux_library, "a@example.org")
    with on_commit(execute=True):
        send_desk_digests(TUESDAY)
        send_desk_digests(TUESDAY)
    assert len(mail.outbox) == 1
    with on_commit(execute=True):
        send_desk_digests(TUESDAY + timedelta(days=1))
    assert len(mail.outbox) == 2  # the next day, again


def test_the_weekly_digest_leaves_on_mondays_only(on_commit, subscribed, bayeux_library):
    Profile.objects.filter(user=subscribed).update(desk_digest=Profile.DeskDigest.WEEKLY)
    _trial(bayeux_library, "a@example.org")
    with on_commit(execute=True):
        assert send_desk_digests(TUESDAY) == 0
        assert send_desk_digests(MONDAY) == 1


def test_no_digest_for_those_who_did_not_ask(on_commit, librarian_bayeux, bayeux_library):
    Profile.objects.create(user=librarian_bayeux)
    _trial(bayeux_library, "a@example.org")
    with on_commit(execute=True):
        assert send_desk_digests(TUESDAY) == 0


def test_the_choice_is_made_on_my_emails_page(client, login, librarian_bayeux):
    login(client, librarian_bayeux)
    page = client.get("/pro/profil/")
    assert "Ce qui attend sur mon bureau, par courriel" in page.content.decode()
    client.post("/pro/profil/", {"desk_digest": "daily"})
    assert Profile.objects.get(user=librarian_bayeux).desk_digest == "daily"
