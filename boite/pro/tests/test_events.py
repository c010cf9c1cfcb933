"""Events: places, waiting list, cancellation, ICS and e-mails."""

import threading
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.db import OperationalError, close_old_connections, connection
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from boite.networks.models import StaffRole, User
from boite.pro import events as event_rules
from boite.pro.models import Event, Registration

Status = Registration.Status


def _register(client, event):
    return client.post(reverse("pro:event_register", args=[event.pk]))


def test_an_editor_creates_an_event(client, login, editor, calvados):
    login(client, editor)
    response = client.post(
        reverse("pro:event_new"),
        {"kind": "professional_day", "title": "C'est dans la Boîte !", "theme": "Jeunes et écrans",
         "programme": "9 h : accueil", "place": "Caen", "starts_at": "2027-06-10T09:00",
         "ends_at": "2027-06-10T17:00", "capacity": "80", "published": "on"},
    )  # fmt: skip
    event = Event.objects.get()
    assert response.status_code == 302
    assert event.network == calvados and event.capacity == 80
    assert event.programme_html == "<p>9 h : accueil</p>"


def test_an_event_cannot_end_before_it_starts(client, login, editor):
    login(client, editor)
    response = client.post(
        reverse("pro:event_new"),
        {"kind": "training", "title": "Formation", "place": "Caen", "capacity": "0",
         "starts_at": "2027-06-10T09:00", "ends_at": "2027-06-09T17:00", "published": "on"},
    )  # fmt: skip
    assert response.status_code == 200
    assert not Event.objects.exists()
    assert response.context["form"].errors.keys() == {"ends_at", "capacity"}


def test_the_last_place_then_the_waiting_list_then_promotion(
    client, login, librarian_bayeux, librarian_lisieux, admin_calvados, event, on_commit
):
    for person in [librarian_bayeux, librarian_lisieux, admin_calvados]:
        login(client, person)
        with on_commit(execute=True):
            _register(client, event)
    statuses = dict(event.registrations.values_list("user__username", "status"))
    assert statuses == {
        "biblio.bayeux": Status.REGISTERED,
        "biblio.lisieux": Status.WAITING,
        "admin.calvados": Status.WAITING,
    }
    assert [m.to for m in mail.outbox] == [
        [librarian_bayeux.email],
        [librarian_lisieux.email],
        [admin_calvados.email],
    ]
    assert mail.outbox[1].subject == "Liste d'attente : Formation PNB"
    mail.outbox.clear()

    login(client, librarian_bayeux)
    with on_commit(execute=True):
        client.post(reverse("pro:event_cancel", args=[event.pk]))
    statuses = dict(event.registrations.values_list("user__username", "status"))
    assert statuses["biblio.bayeux"] == Status.CANCELLED
    assert statuses["biblio.lisieux"] == Status.REGISTERED  # first to ask, first promoted
    assert statuses["admin.calvados"] == Status.WAITING
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [librarian_bayeux.email, librarian_lisieux.email]
    )


def test_registering_twice_changes_nothing(client, login, librarian_bayeux, event, on_commit):
    login(client, librarian_bayeux)
    with on_commit(execute=True):
        _register(client, event)
        _register(client, event)
    assert event.registrations.count() == 1
    assert len(mail.outbox) == 1


def test_leaving_the_waiting_list_promotes_nobody(
    librarian_bayeux, librarian_lisieux, admin_calvados, event
):
    event_rules.register(event, librarian_bayeux)
    event_rules.register(event, librarian_lisieux)
    event_rules.register(event, admin_calvados)
    event_rules.cancel(event, librarian_lisieux)
    assert event.registrations.get(user=admin_calvados).status == Status.WAITING
    assert event.registrations.filter(status=Status.REGISTERED).count() == 1


def test_a_past_event_takes_no_registration(client, login, librarian_bayeux, event):
    event.starts_at = timezone.now() - timedelta(days=2)
    event.ends_at = timezone.now() - timedelta(days=1)
    event.save()
    login(client, librarian_bayeux)
    _register(client, event)
    assert not event.registrations.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_never_exceed_the_capacity(calvados, bayeux_library):
    event = Event.objects.create(
        network=calvados, kind="training", title="Atelier", place="Bayeux", capacity=3,
        starts_at=timezone.now() + timedelta(days=3), ends_at=timezone.now() + timedelta(days=3),
    )  # fmt: skip
    people = []
    for index in range(12):
        user = User.objects.create_user(f"staff{index}", f"s{index}@example.org")
        StaffRole.objects.create(
            user=user, kind="library_staff", network=calvados, library=bayeux_library
        )
        people.append(user)
    barrier = threading.Barrier(len(people))
    errors = []

    def ask(user):
        try:
            barrier.wait()
            while True:
                try:
                    event_rules.register(event, user)
                    break
                except OperationalError as error:
                    # SQLite's shared in-memory test database answers « locked » where the
                    # real database file waits (busy timeout); the transaction was rolled
                    # back, so asking again is what a waiting writer does.
                    if connection.vendor != "sqlite" or "locked" not in str(error):
                        raise
                    time.sleep(0.01)
        except Exception as error:
            errors.append(error)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=ask, args=[user]) for user in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert event.registrations.filter(status=Status.REGISTERED).count() == 3
    assert event.registrations.filter(status=Status.WAITING).count() == 9


def test_the_ics_file(client, login, librarian_lisieux, event):
    login(client, librarian_lisieux)
    response = client.get(reverse("pro:event_ics", args=[event.pk]))
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment;")
    calendar = Calendar.from_ical(response.content)
    (entry,) = calendar.walk("VEVENT")
    assert str(entry["SUMMARY"]) == "Formation PNB"
    assert str(entry["LOCATION"]) == event.place
    assert entry.decoded("DTSTART") == event.starts_at.replace(microsecond=0)
    assert entry.decoded("DTEND") == event.ends_at.replace(microsecond=0)
    assert str(entry["UID"]) == f"pro-event-{event.pk}@localhost"


def test_an_editor_writes_to_the_registered(
    client, login, editor, librarian_bayeux, librarian_lisieux, event, on_commit
):
    event_rules.register(event, librarian_bayeux)
    event_rules.register(event, librarian_lisieux)  # waiting: not written to
    mail.outbox.clear()
    login(client, editor)
    with on_commit(execute=True):
        client.post(
            reverse("pro:event_message", args=[event.pk]),
            {"subject": "Salle changée", "message": "Rendez-vous salle 2."},
        )
    assert [m.to for m in mail.outbox] == [[librarian_bayeux.email]]
    assert mail.outbox[0].subject == "Formation PNB — Salle changée"
    assert "Rendez-vous salle 2." in mail.outbox[0].body


def test_editors_see_who_registered_and_readers_do_not(
    client, login, editor, librarian_bayeux, librarian_lisieux, event
):
    event_rules.register(event, librarian_lisieux)
    login(client, librarian_bayeux)
    assert librarian_lisieux.email not in client.get(event.get_absolute_url()).content.decode()
    login(client, editor)
    assert librarian_lisieux.email in client.get(event.get_absolute_url()).content.decode()


def test_a_shared_event_takes_staff_of_the_other_network(caen_client, login, librarian_caen, event):
    event.shared = True
    event.save()
    login(caen_client, librarian_caen)
    caen_client.post(reverse("pro:event_register", args=[event.pk]))
    assert event.registrations.get().user == librarian_caen


def test_more_places_go_to_the_people_waiting(
    client, login, editor, librarian_bayeux, librarian_lisieux, admin_calvados, event, on_commit
):
    for person in [librarian_bayeux, librarian_lisieux, admin_calvados]:
        event_rules.register(event, person)
    login(client, editor)
    start = timezone.localtime(event.starts_at)
    with on_commit(execute=True):
        client.post(
            reverse("pro:event_edit", args=[event.pk]),
            {"kind": event.kind, "title": event.title, "place": event.place, "capacity": "2",
             "starts_at": start.strftime("%Y-%m-%dT%H:%M"), "published": "on",
             "ends_at": (start + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")},
        )  # fmt: skip
    statuses = dict(event.registrations.values_list("user__username", "status"))
    assert statuses == {
        "biblio.bayeux": Status.REGISTERED,
        "biblio.lisieux": Status.REGISTERED,
        "admin.calvados": Status.WAITING,
    }
    assert [m.subject for m in mail.outbox] == ["Une place pour vous : Formation PNB"]
