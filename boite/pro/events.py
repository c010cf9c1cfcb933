"""Registration to events: places, waiting list, cancellation, calendar file.

`register()` and `cancel()` lock the event's row (SELECT … FOR UPDATE on PostgreSQL;
SQLite's write transactions are already serialised by `transaction_mode=IMMEDIATE`),
so two people asking for the last place at the same moment never both get it:
the second one is put on the waiting list. A cancellation promotes the first person
waiting, in the order they asked.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from icalendar import Calendar
from icalendar import Event as CalendarEvent

from boite.lib.mail import send_mail_later
from boite.pro.models import Event, Registration

Status = Registration.Status


def _locked(event: Event) -> Event:
    return Event.objects.select_for_update().get(pk=event.pk)


def _notify(registration: Registration, template: str) -> None:
    # Sent when the transaction commits (send_mail_later): a rolled-back step says nothing.
    if registration.user.email:
        send_mail_later(
            registration.user.email,
            f"pro/mail/{template}",
            {"event": registration.event, "registration": registration},
        )


def register(event: Event, user) -> Registration:
    """Register the person, or put them on the waiting list when the event is full.
    Asking again while registered or waiting changes nothing."""
    with transaction.atomic():
        event = _locked(event)
        registration = Registration.objects.filter(event=event, user=user).first()
        if registration and registration.status != Status.CANCELLED:
            return registration
        taken = event.registrations.filter(status=Status.REGISTERED).count()
        status = Status.REGISTERED if taken < event.capacity else Status.WAITING
        if registration is None:
            registration = Registration(event=event, user=user)
        registration.status = status
        registration.created_at = timezone.now()
        registration.save()
        _notify(registration, "registered" if status == Status.REGISTERED else "waiting")
    return registration


def cancel(event: Event, user) -> Registration | None:
    """Cancel the person's registration; the first person waiting takes the place."""
    with transaction.atomic():
        event = _locked(event)
        registration = (
            Registration.objects.filter(event=event, user=user)
            .exclude(status=Status.CANCELLED)
            .first()
        )
        if registration is None:
            return None
        had_place = registration.status == Status.REGISTERED
        registration.status = Status.CANCELLED
        registration.save(update_fields=["status", "updated_at"])
        _notify(registration, "cancelled")
        if had_place:
            _promote(event)
    return registration


def fill_places(event: Event) -> list[Registration]:
    """Give the free places to the people waiting (after the capacity was raised).
    Lowering the capacity never removes anyone already registered."""
    with transaction.atomic():
        return _promote(_locked(event))


def _promote(event: Event) -> list[Registration]:
    """Inside a transaction holding the event's lock: the first people waiting take the
    free places, in the order they asked, and are told by e-mail."""
    free = event.capacity - event.registrations.filter(status=Status.REGISTERED).count()
    if free <= 0:
        return []
    promoted = list(
        event.registrations.filter(status=Status.WAITING)
        .select_related("user", "event")
        .order_by("created_at", "pk")[:free]
    )
    for registration in promoted:
        registration.status = Status.REGISTERED
        registration.save(update_fields=["status", "updated_at"])
        _notify(registration, "promoted")
    return promoted


def calendar_file(event: Event, uid_domain: str) -> bytes:
    """The event as an iCalendar (RFC 5545) file."""
    calendar = Calendar()
    calendar.add("prodid", "-//Boîte//Espace professionnel//FR")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    entry = CalendarEvent()
    entry.add("uid", f"pro-event-{event.pk}@{uid_domain}")
    entry.add("dtstamp", timezone.now())
    entry.add("dtstart", event.starts_at)
    entry.add("dtend", event.ends_at)
    entry.add("summary", event.title)
    entry.add("location", event.place)
    description = "\n\n".join(part for part in [event.theme, event.programme] if part)
    if description:
        entry.add("description", description)
    calendar.add_component(entry)
    return calendar.to_ical()
