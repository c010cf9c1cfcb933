"""What happens to a patron: registration, confirmation, validation, renewal, expiry,
erasure. Views, jobs and the import call these; each one changes the state, writes the
history and sends the patron an e-mail, in one transaction."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from functools import partial

from django.core import signing
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone, translation

from boite.lib.mail import forget_mail_to, send_mail_later
from boite.lib.models import UndeliveredMail
from boite.networks.models import Library, Network, User
from boite.patrons import personal_data
from boite.patrons.models import Patron, PatronEvent, PatronRules
from boite.stats.events import EventKind, patron_fields, record_event

CONFIRM_SALT = "boite.patrons.confirm"
CONFIRM_MAX_AGE = 3 * 24 * 3600
Kind = PatronEvent.Kind
State = Patron.State


def new_username() -> str:
    """Patrons log in by e-mail or card; their Django username is a random handle."""
    return "patron-" + uuid.uuid4().hex


def _mail(patron: Patron, template: str, request=None, **context) -> None:
    if not patron.email:
        return
    base = ""
    if request is not None:
        base = f"{request.scheme}://{request.get_host()}"
    context.update(patron=patron, network=patron.network, library=patron.home_library, base=base)
    send_mail_later(
        patron.email,
        f"patrons/mail/{template}",
        context,
        language=translation.get_language(),
        reply_to=patron.home_library.email or None,
    )


# -- registration -------------------------------------------------------------
def confirmation_token(patron: Patron) -> str:
    return signing.dumps({"p": patron.pk, "g": patron.pseudonym[:8]}, salt=CONFIRM_SALT)


def read_confirmation_token(token: str) -> Patron | None:
    """The patron a confirmation link names, or None when it is forged or expired."""
    try:
        data = signing.loads(token, salt=CONFIRM_SALT, max_age=CONFIRM_MAX_AGE)
    except signing.BadSignature:  # includes SignatureExpired
        return None
    patron = Patron.objects.filter(pk=data.get("p")).select_related("network").first()
    if patron is None or not patron.pseudonym.startswith(str(data.get("g"))):
        return None
    return patron


@transaction.atomic
def register(
    *,
    network: Network,
    library: Library,
    email: str,
    password: str,
    first_name: str,
    last_name: str,
    birth_date: date | None,
    phone: str = "",
    request=None,
) -> Patron:
    user = User(username=new_username(), email=email, first_name=first_name, last_name=last_name)
    user.set_password(password)
    user.save()
    patron = Patron.objects.create(
        user=user,
        network=network,
        home_library=library,
        birth_date=birth_date,
        phone=phone,
        consent_at=timezone.now(),
    )
    patron.log(Kind.REGISTERED)
    record_event(EventKind.REGISTRATION, **patron_fields(patron))
    link = reverse("patrons:confirm", args=[confirmation_token(patron)])
    _mail(patron, "confirm", request, link=link, days=CONFIRM_MAX_AGE // 86400)
    return patron


@transaction.atomic
def confirm_email(patron: Patron, today: date | None = None) -> bool:
    """Start the trial; False when the address was already confirmed (nothing changes)."""
    if patron.state != State.UNCONFIRMED:
        return False
    today = today or timezone.localdate()
    patron.state = State.TRIAL
    patron.email_confirmed_at = timezone.now()
    patron.trial_ends_on = today + timedelta(days=patron.rules.trial_days)
    patron.save()
    patron.log(Kind.CONFIRMED)
    record_event(EventKind.CONFIRMATION, **patron_fields(patron))
    return True


# -- staff steps ---------------------------------------------------------------
@transaction.atomic
def approve(patron: Patron, *, card_number: str, expires_on: date, actor, request=None) -> None:
    patron.state = State.ACTIVE
    patron.card_number = card_number
    patron.expires_on = expires_on
    patron.validated_at = timezone.now()
    patron.document_requested = False
    patron.state_reason = ""
    if not patron.email_confirmed_at:
        patron.email_confirmed_at = timezone.now()
    patron.save()
    patron.log(Kind.APPROVED, actor, expires_on.isoformat())
    record_event(EventKind.VALIDATION, **patron_fields(patron))
    _mail(patron, "approved", request)


@transaction.atomic
def reject(patron: Patron, *, reason: str, actor, request=None) -> None:
    patron.state = State.REJECTED
    patron.state_reason = reason
    patron.save()
    patron.log(Kind.REJECTED, actor, reason)
    _mail(patron, "rejected", request, reason=reason)


@transaction.atomic
def request_document(patron: Patron, *, message: str, actor, request=None) -> None:
    patron.document_requested = True
    patron.save(update_fields=["document_requested"])
    patron.log(Kind.DOCUMENT_REQUESTED, actor, message)
    _mail(patron, "document", request, message=message)


@transaction.atomic
def renew(patron: Patron, *, expires_on: date, actor, request=None) -> None:
    patron.state = State.ACTIVE
    patron.expires_on = expires_on
    patron.reminded_for = None
    patron.save()
    patron.log(Kind.RENEWED, actor, expires_on.isoformat())
    record_event(EventKind.RENEWAL, **patron_fields(patron))
    _mail(patron, "renewed", request)


@transaction.atomic
def suspend(patron: Patron, *, reason: str, actor, request=None) -> None:
    patron.state = State.SUSPENDED
    patron.state_reason = reason
    patron.save()
    patron.log(Kind.SUSPENDED, actor, reason)
    record_event(EventKind.SUSPENSION, **patron_fields(patron))
    _mail(patron, "suspended", request, reason=reason)


@transaction.atomic
def reinstate(patron: Patron, *, actor, request=None) -> None:
    """Lift a suspension: the patron is active again if validated, else back in the queue."""
    if patron.validated_at and patron.expires_on:
        today = timezone.localdate()
        patron.state = State.ACTIVE if patron.expires_on >= today else State.EXPIRED
    else:
        patron.state = State.AWAITING
    patron.state_reason = ""
    patron.save()
    patron.log(Kind.REINSTATED, actor)
    _mail(patron, "reinstated", request)


@transaction.atomic
def change_library(patron: Patron, *, library: Library, actor, request=None) -> None:
    old = patron.home_library
    patron.home_library = library
    if patron.state == State.ACTIVE:
        # The new library validates the patron itself; access continues until then.
        pass
    elif patron.state in (State.REJECTED, State.EXPIRED):
        patron.state = State.AWAITING
    patron.save()
    patron.log(Kind.LIBRARY_CHANGED, actor, f"{old.name} → {library.name}")
    _mail(patron, "library_changed", request, old_library=old)


# -- erasure -------------------------------------------------------------------
@transaction.atomic
def erase(patron: Patron, *, actor=None) -> None:
    """Erase the personal data now; the pseudonym, network and library stay for statistics."""
    user = patron.user
    patron.user = None
    patron.card_number = ""
    patron.birth_date = None
    patron.phone = ""
    patron.state_reason = ""
    patron.state = State.ERASED
    patron.erased_at = timezone.now()
    patron.session_generation += 1
    patron.save()
    patron.events.update(note="")
    patron.log(Kind.ERASED, actor if actor and actor != user else None)
    if user is not None:
        if user.email:
            UndeliveredMail.objects.addressed_to(user.email).delete()
            # The e-mails still queued for them go too, once the erasure is committed.
            transaction.on_commit(partial(forget_mail_to, user.email))
        user.delete()


def export(patron: Patron) -> dict:
    """Everything the portal holds about the patron (the right of access): the account and
    its history here, then the part of each app that keeps data about them (loans, holds,
    resources opened, statistical events — see `personal_data`)."""
    user = patron.user
    iso = personal_data.iso
    account = {
        "network": patron.network.name,
        "home_library": patron.home_library.name,
        "first_name": user.first_name if user else "",
        "last_name": user.last_name if user else "",
        "email": user.email if user else "",
        "birth_date": iso(patron.birth_date),
        "phone": patron.phone,
        "card_number": patron.card_number,
        "state": patron.state,
        "state_in_words": patron.state_in_words(),
        "trial_ends_on": iso(patron.trial_ends_on),
        "expires_on": iso(patron.expires_on),
        "registered_at": iso(patron.registered_at),
        "consent_at": iso(patron.consent_at),
        "email_confirmed_at": iso(patron.email_confirmed_at),
        "validated_at": iso(patron.validated_at),
        "last_login": iso(user.last_login) if user else None,
        "history": [
            {"at": iso(e.at), "event": e.kind, "note": e.note} for e in patron.events.all()
        ],
    }
    return account | personal_data.sections(patron)


# -- daily jobs ----------------------------------------------------------------
def end_trials(today: date | None = None) -> int:
    today = today or timezone.localdate()
    count = 0
    for patron in Patron.objects.filter(state=State.TRIAL, trial_ends_on__lt=today):
        with transaction.atomic():
            patron.state = State.AWAITING
            patron.save(update_fields=["state"])
            patron.log(Kind.TRIAL_ENDED)
            _mail(patron, "trial_ended")
        count += 1
    return count


def send_reminders(today: date | None = None) -> int:
    today = today or timezone.localdate()
    count = 0
    for rules_network, days in _reminder_days():
        limit = today + timedelta(days=days)
        due = Patron.objects.filter(
            network_id=rules_network,
            state=State.ACTIVE,
            expires_on__gte=today,
            expires_on__lte=limit,
        ).exclude(reminded_for=F("expires_on"))
        for patron in due.select_related("user", "home_library", "network"):
            with transaction.atomic():
                patron.reminded_for = patron.expires_on
                patron.save(update_fields=["reminded_for"])
                patron.log(Kind.REMINDED)
                _mail(patron, "reminder")
            count += 1
    return count


def expire_accounts(today: date | None = None) -> int:
    today = today or timezone.localdate()
    count = 0
    expiring = Patron.objects.filter(state=State.ACTIVE, expires_on__lt=today)
    for patron in expiring.select_related("network", "home_library__authority"):
        with transaction.atomic():
            patron.state = State.EXPIRED
            patron.save(update_fields=["state"])
            patron.log(Kind.EXPIRED)
            record_event(EventKind.EXPIRY, **patron_fields(patron))
            _mail(patron, "expired")
        count += 1
    return count


UNCONFIRMED_KEPT_DAYS = 30


def anonymise_expired(today: date | None = None) -> int:
    """Erase accounts expired (or rejected) for longer than the network's delay, and
    registrations never confirmed after UNCONFIRMED_KEPT_DAYS."""
    today = today or timezone.localdate()
    now = timezone.now()
    count = 0
    for network_id, months in _anonymise_months():
        limit = today - timedelta(days=round(months * 30.44))
        stale = Patron.objects.filter(network_id=network_id).filter(
            Q(state=State.EXPIRED, expires_on__lt=limit)
            | Q(state=State.REJECTED, registered_at__date__lt=limit)
        )
        for patron in stale:
            erase(patron)
            count += 1
    unconfirmed = Patron.objects.filter(
        state=State.UNCONFIRMED,
        registered_at__lt=now - timedelta(days=UNCONFIRMED_KEPT_DAYS),
    )
    for patron in unconfirmed:
        erase(patron)
        count += 1
    return count


def _rules_values(field: str) -> list[tuple[int, int]]:
    default = PatronRules._meta.get_field(field).default
    configured = dict(PatronRules.objects.values_list("network_id", field))
    return [
        (pk, configured.get(pk, default)) for pk in Network.objects.values_list("pk", flat=True)
    ]


def _reminder_days() -> list[tuple[int, int]]:
    return _rules_values("reminder_days")


def _anonymise_months() -> list[tuple[int, int]]:
    return _rules_values("anonymise_after_months")
