"""Factories of patrons for the tests, the demo and the benchmarks."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone

from boite.networks.models import Library, User
from boite.patrons.models import Patron
from boite.patrons.services import new_username

State = Patron.State


def make_patron(
    library: Library,
    *,
    state: str = State.ACTIVE,
    email: str | None = None,
    first_name: str = "Camille",
    last_name: str = "Martin",
    password: str | None = None,
    card_number: str = "",
    birth_date: date | None = date(1990, 5, 17),
    expires_on: date | None = None,
    trial_ends_on: date | None = None,
    today: date | None = None,
) -> Patron:
    """A patron of the library in the given state, with coherent dates."""
    today = today or timezone.localdate()
    user = User(
        username=new_username(),
        email=email if email is not None else f"{new_username()[7:19]}@example.org",
        first_name=first_name,
        last_name=last_name,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    now = timezone.now()
    patron = Patron(
        user=user,
        network=library.network,
        home_library=library,
        card_number=card_number,
        birth_date=birth_date,
        state=state,
        consent_at=now,
    )
    if state != State.UNCONFIRMED:
        patron.email_confirmed_at = now
    if state in (State.TRIAL, State.AWAITING):
        patron.trial_ends_on = trial_ends_on or (
            today + timedelta(days=10) if state == State.TRIAL else today - timedelta(days=1)
        )
    if state in (State.ACTIVE, State.EXPIRED, State.SUSPENDED):
        patron.validated_at = now
        patron.expires_on = expires_on or (
            today + timedelta(days=365) if state != State.EXPIRED else today - timedelta(days=30)
        )
    patron.save()
    return patron
