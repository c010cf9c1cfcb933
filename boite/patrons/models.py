"""Patrons: their account, its state, its history, and each network's patron rules.

`Patron.is_active_on(day)` is the one place that decides whether a patron may use the
resources; `Patron.refusal_reason(day)` says why not, in words for the patron. The
access and lending apps ask these two and nothing else.
"""

from __future__ import annotations

import secrets
from datetime import date, timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from boite.lib.crypto import EncryptedTextField
from boite.networks.models import Library, Network


def new_pseudonym() -> str:
    return secrets.token_hex(16)


class PatronRules(models.Model):
    """How a network registers and checks its patrons."""

    class IdentitySource(models.TextChoices):
        LOCAL = "local", _("local accounts validated by the libraries")
        SIP2 = "sip2", _("library system (SIP2)")

    network = models.OneToOneField(
        Network, verbose_name=_("network"), on_delete=models.CASCADE, related_name="patron_rules"
    )
    trial_days = models.PositiveSmallIntegerField(_("length of the trial (days)"), default=21)
    validity_days = models.PositiveSmallIntegerField(
        _("length of a validated registration (days)"), default=365
    )
    reminder_days = models.PositiveSmallIntegerField(_("reminder before expiry (days)"), default=15)
    anonymise_after_months = models.PositiveSmallIntegerField(
        _("anonymise accounts expired for (months)"), default=24
    )
    identity_source = models.CharField(
        _("identity source"),
        max_length=10,
        choices=IdentitySource.choices,
        default=IdentitySource.LOCAL,
    )
    sip2_host = models.CharField(_("SIP2 host"), max_length=253, blank=True)
    sip2_port = models.PositiveIntegerField(_("SIP2 port"), null=True, blank=True)
    sip2_institution = models.CharField(_("SIP2 institution id"), max_length=60, blank=True)
    sip2_login_user = models.CharField(_("SIP2 login user"), max_length=60, blank=True)
    sip2_login_password = EncryptedTextField(_("SIP2 login password"), max_length=60, blank=True)
    sip2_location = models.CharField(_("SIP2 location code"), max_length=60, blank=True)
    sip2_timeout = models.FloatField(
        _("SIP2 timeout (seconds)"),
        default=3.0,
        validators=[MinValueValidator(0.5), MaxValueValidator(30)],
        help_text=_(
            "Each login waits this long at most for a silent library system: keep it short (2–3 s)."
        ),
    )
    sip2_tls = models.BooleanField(_("SIP2 over TLS"), default=False)
    sip2_profile = models.CharField(
        _("library system (SIP2 profile)"),
        max_length=20,
        default="generic",
        choices=[
            ("generic", _("SIP2 2.00 as specified")),
            ("koha", "Koha"),
            ("evergreen", "Evergreen"),
            ("sierra", "Sierra"),
            ("polaris", "Polaris"),
            ("pmb", "PMB"),
        ],
        help_text=_(
            "How the library system speaks SIP2: message pair, character set, expiry "
            "field, blocks (see the documentation)."
        ),
    )
    sip2_charset = models.CharField(
        _("SIP2 character set"),
        max_length=12,
        blank=True,
        choices=[
            ("", _("the profile's")),
            ("utf-8", "UTF-8"),
            ("cp850", "CP850"),
            ("iso-8859-1", "ISO 8859-1"),
        ],
        help_text=_("Only when the library system is set up otherwise than its profile says."),
    )

    class Meta:
        verbose_name = _("patron rules")
        verbose_name_plural = _("patron rules")

    def __str__(self) -> str:
        return str(self.network)

    @classmethod
    def for_network(cls, network: Network) -> PatronRules:
        """The network's rules, or the defaults (unsaved) when it has none yet."""
        try:
            return network.patron_rules
        except cls.DoesNotExist:
            return cls(network=network)

    @property
    def uses_sip2(self) -> bool:
        return self.identity_source == self.IdentitySource.SIP2


class PatronQuerySet(models.QuerySet):
    def awaiting_validation(self) -> PatronQuerySet:
        return self.filter(state__in=[Patron.State.TRIAL, Patron.State.AWAITING])

    def for_network(self, network: Network) -> PatronQuerySet:
        return self.filter(network=network)


class Patron(models.Model):
    """A patron of one network, registered with one home library."""

    class State(models.TextChoices):
        UNCONFIRMED = "unconfirmed", _("e-mail not yet confirmed")
        TRIAL = "trial", _("trial")
        AWAITING = "awaiting", _("awaiting validation")
        ACTIVE = "active", _("active")
        EXPIRED = "expired", _("expired")
        SUSPENDED = "suspended", _("suspended")
        REJECTED = "rejected", _("rejected")
        ERASED = "erased", _("erased")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="patron",
    )
    network = models.ForeignKey(
        Network, verbose_name=_("network"), on_delete=models.PROTECT, related_name="patrons"
    )
    home_library = models.ForeignKey(
        Library, verbose_name=_("home library"), on_delete=models.PROTECT, related_name="patrons"
    )
    card_number = models.CharField(_("card number"), max_length=40, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    state = models.CharField(
        _("state"), max_length=12, choices=State.choices, default=State.UNCONFIRMED
    )
    state_reason = models.TextField(_("reason"), blank=True)
    trial_ends_on = models.DateField(_("end of the trial"), null=True, blank=True)
    expires_on = models.DateField(_("expiry date"), null=True, blank=True)
    document_requested = models.BooleanField(_("document requested"), default=False)
    consent_at = models.DateTimeField(_("consent to the personal-data notice"), null=True)
    email_confirmed_at = models.DateTimeField(_("e-mail confirmed"), null=True, blank=True)
    registered_at = models.DateTimeField(_("registered"), default=timezone.now)
    validated_at = models.DateTimeField(_("validated"), null=True, blank=True)
    reminded_for = models.DateField(null=True, blank=True, editable=False)
    erased_at = models.DateTimeField(_("personal data erased"), null=True, blank=True)
    pseudonym = models.CharField(
        _("pseudonym"), max_length=32, unique=True, default=new_pseudonym, editable=False
    )
    session_generation = models.PositiveIntegerField(default=0, editable=False)
    # Copy of the name and e-mail, folded, for the staff search.
    search_text = models.TextField(default="", editable=False)

    objects = PatronQuerySet.as_manager()

    class Meta:
        verbose_name = _("patron")
        verbose_name_plural = _("patrons")
        ordering = ["registered_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["network", "card_number"],
                condition=~models.Q(card_number=""),
                name="card_number_per_network",
            )
        ]
        indexes = [models.Index(fields=["home_library", "state", "registered_at"])]

    def __str__(self) -> str:
        if self.user_id and self.user:
            return self.user.get_full_name() or self.pseudonym[:8]
        return self.pseudonym[:8]

    def save(self, *args, **kwargs) -> None:
        from boite.lib.text import fold

        user = self.user if self.user_id else None
        parts = [self.card_number]
        if user:
            parts += [user.first_name, user.last_name, user.email]
        self.search_text = fold(" ".join(parts))
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = set(kwargs["update_fields"]) | {"search_text"}
        super().save(*args, **kwargs)

    @classmethod
    def of(cls, user, network: Network) -> Patron | None:
        """The patron account of this user on this portal, or None (staff, anonymous,
        a patron of the other network). Access and lending start from here."""
        if user is None or not user.is_authenticated:
            return None
        return (
            cls.objects.select_related("home_library", "network", "user")
            .filter(user=user, network=network)
            .first()
        )

    # -- names -----------------------------------------------------------------
    @property
    def email(self) -> str:
        return self.user.email if self.user_id else ""

    @property
    def full_name(self) -> str:
        return self.user.get_full_name() if self.user_id else ""

    @property
    def rules(self) -> PatronRules:
        return PatronRules.for_network(self.network)

    # -- entitlement: the one place that decides --------------------------------
    def is_active_on(self, day: date | None = None) -> bool:
        """May the patron use the resources on this day (today by default)?"""
        return self.refusal_reason(day) is None

    def refusal_reason(self, day: date | None = None) -> str | None:
        """Why the patron may not use the resources on this day, in words; None if they may."""
        day = day or timezone.localdate()
        library = self.home_library.name
        state = self.State
        if self.state == state.TRIAL and self.trial_ends_on and day <= self.trial_ends_on:
            return None
        if self.state == state.ACTIVE and (self.expires_on is None or day <= self.expires_on):
            return None
        if self.state == state.UNCONFIRMED:
            return str(_("Please confirm your e-mail address: follow the link we sent you."))
        if self.state in (state.TRIAL, state.AWAITING):
            return str(
                _("Your trial is over: visit %(library)s to validate your registration.")
                % {"library": library}
            )
        if self.state in (state.ACTIVE, state.EXPIRED):
            return str(
                _("Your registration expired on %(date)s: contact the library %(library)s.")
                % {"date": formats.date_format(self.expires_on, "j F Y"), "library": library}
                if self.expires_on
                else _("Your registration has expired: contact the library %(library)s.")
                % {"library": library}
            )
        if self.state == state.SUSPENDED:
            return str(
                _("Your access is suspended: contact the library %(library)s.")
                % {"library": library}
            )
        if self.state == state.REJECTED:
            return str(
                _("Your registration was not accepted: contact the library %(library)s.")
                % {"library": library}
            )
        return str(_("This account no longer exists."))

    def state_in_words(self, day: date | None = None) -> str:
        """What the patron's account page says about their access."""
        day = day or timezone.localdate()
        if self.state == self.State.TRIAL and self.is_active_on(day):
            return str(
                _(
                    "You are trying the service until %(date)s. Visit %(library)s to validate "
                    "your registration and keep your access."
                )
                % {
                    "date": formats.date_format(self.trial_ends_on, "j F Y"),
                    "library": self.home_library.name,
                }
            )
        if self.state == self.State.ACTIVE and self.is_active_on(day):
            if self.expires_on is None:
                return str(_("Your access is valid."))
            return str(
                _("Your access is valid until %(date)s.")
                % {"date": formats.date_format(self.expires_on, "j F Y")}
            )
        return self.refusal_reason(day) or ""

    # -- transitions ------------------------------------------------------------
    def log(self, kind: str, actor=None, note: str = "") -> PatronEvent:
        return PatronEvent.objects.create(
            patron=self, kind=kind, actor=actor, note=note, library=self.home_library
        )

    def default_expiry(self, day: date | None = None) -> date:
        day = day or timezone.localdate()
        return day + timedelta(days=self.rules.validity_days)


class PatronEvent(models.Model):
    """One step in a patron's history: who did what, when."""

    class Kind(models.TextChoices):
        REGISTERED = "registered", _("registered online")
        CONFIRMED = "confirmed", _("e-mail confirmed")
        APPROVED = "approved", _("validated")
        REJECTED = "rejected", _("rejected")
        DOCUMENT_REQUESTED = "document", _("document requested")
        RENEWED = "renewed", _("renewed")
        SUSPENDED = "suspended", _("suspended")
        REINSTATED = "reinstated", _("reinstated")
        LIBRARY_CHANGED = "library", _("home library changed")
        TRIAL_ENDED = "trial_ended", _("trial ended")
        REMINDED = "reminded", _("expiry reminder sent")
        EXPIRED = "expired", _("expired")
        IMPORTED = "imported", _("imported from the library system")
        UPDATED = "updated", _("details changed")
        EXPORTED = "exported", _("personal data downloaded")
        ERASED = "erased", _("personal data erased")
        SIP2_LOGIN = "sip2", _("checked by the library system")

    patron = models.ForeignKey(Patron, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("event"), max_length=20, choices=Kind.choices)
    at = models.DateTimeField(_("date"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    library = models.ForeignKey(
        Library, verbose_name=_("library"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("patron event")
        verbose_name_plural = _("patron events")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d}"
