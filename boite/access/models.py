"""Connectors (how a patron is handed over to a provider) and CAS service tickets."""

from __future__ import annotations

import secrets as _secrets
from datetime import date, timedelta

from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import connection, models, transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from boite.access import connectors
from boite.access.identity import Identity
from boite.lib.crypto import EncryptedJSONField

TICKET_LIFETIME = timedelta(seconds=60)


class Connector(models.Model):
    """How one offer's patrons enter the provider: a kind, its settings, its secrets.

    Settings are validated by the kind's schema; secrets live in their own column,
    are never rendered by any form or page and never logged (see `__repr__`).
    """

    network = models.ForeignKey(
        "networks.Network",
        verbose_name=_("network"),
        on_delete=models.CASCADE,
        related_name="connectors",
    )
    resource = models.ForeignKey(
        "catalog.Resource",
        verbose_name=_("resource"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="connectors",
        help_text=_("The resource this connector opens for the network's patrons."),
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20)
    settings = models.JSONField(_("settings"), default=dict, blank=True)
    secrets = EncryptedJSONField(_("secrets"), default=dict, blank=True, editable=False)
    is_active = models.BooleanField(_("in service"), default=True)
    requires_card = models.BooleanField(
        _("requires a validated library card"),
        default=False,
        help_text=_(
            "Patrons in trial (no card number yet) are told before « Access » to validate "
            "their registration at their library. Otherwise they enter with an identifier "
            "of their own for this provider."
        ),
    )
    oauth_application = models.OneToOneField(
        django_settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
        verbose_name=_("OpenID Connect client"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="connector",
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("connector")
        verbose_name_plural = _("connectors")
        ordering = ["network", "name"]
        constraints = [
            # Each network has its own contract, hence its own keys, for a resource.
            models.UniqueConstraint(
                fields=["network", "resource"],
                condition=models.Q(resource__isnull=False),
                name="one_connector_per_network_and_resource",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"<Connector {self.pk} {self.kind} {self.name!r}>"

    def save(self, *args, **kwargs) -> None:
        super().save(*args, **kwargs)
        changed = getattr(self, "_changed_secrets", set())
        self._changed_secrets = set()
        self.implementation.saved(self, changed)

    # -- kind and settings ----------------------------------------------------
    @property
    def implementation(self) -> connectors.ConnectorKind:
        return connectors.get_kind(self.kind)

    def clean(self) -> None:
        if (
            self.resource_id
            and self.network_id
            and not self.resource.networks.filter(pk=self.network_id).exists()
        ):
            raise ValidationError(
                {"resource": _("This resource is not open to the connector's network.")}
            )
        choices = dict(connectors.kind_choices())
        if self.kind not in choices:
            raise ValidationError({"kind": _("Choose a kind of connector from the list.")})
        cleaned, errors = type(self.implementation).validate_settings(self.settings)
        if errors:
            raise ValidationError(
                {
                    "settings": [
                        f"{name}: {message}" for name, ms in errors.items() for message in ms
                    ]
                }
            )
        self.settings = cleaned

    def secret(self, name: str) -> str:
        return self.secrets.get(name, "")

    def has_secret(self, name: str) -> bool:
        return bool(self.secrets.get(name))

    def set_secret(self, name: str, value: str) -> None:
        """Replace a secret (an empty value clears it)."""
        self._changed_secrets = {*getattr(self, "_changed_secrets", set()), name}
        if value:
            self.secrets = {**self.secrets, name: value}
        else:
            self.secrets = {k: v for k, v in self.secrets.items() if k != name}

    # -- the interface the gate calls ------------------------------------------
    def handover(self, request: HttpRequest, identity: Identity, target: str = "") -> HttpResponse:
        """The response that takes the patron into the provider, already recognised.

        `target` is a deep link into the provider (a record's URL) or "" for its home
        page; a target outside the provider's configured origin raises
        `connectors.HandoverError` (no open redirect).
        """
        return self.implementation.handover(self, request, identity, target)

    # -- CAS ------------------------------------------------------------------
    def allows_service(self, service: str) -> bool:
        """A CAS service URL is allowed when, parsed and normalised (dot segments,
        escapes, default port, no user-info), it has the origin of a whitelisted URL and
        a path whose segments begin with the whitelisted path's."""
        from boite.access.connectors.cas import service_allowed

        return service_allowed(service, self.settings.get("services", []))


def _new_ticket() -> str:
    return "ST-" + _secrets.token_urlsafe(32)


class ServiceTicketQuerySet(models.QuerySet):
    def consume(self, ticket: str) -> ServiceTicket | None:
        """Mark a ticket used, once: the second caller gets None (replay)."""
        try:
            row = self.select_related("connector__network", "user").get(
                ticket=ticket, consumed_at__isnull=True
            )
        except self.model.DoesNotExist:
            return None
        claimed = self.filter(pk=row.pk, consumed_at__isnull=True).update(
            consumed_at=timezone.now()
        )
        return row if claimed == 1 else None

    def purge_expired(self) -> int:
        return self.filter(created_at__lt=timezone.now() - timedelta(hours=1)).delete()[0]


class ServiceTicket(models.Model):
    """A CAS service ticket: single use, valid `TICKET_LIFETIME`, for one service URL."""

    ticket = models.CharField(max_length=100, unique=True, default=_new_ticket)
    connector = models.ForeignKey(Connector, on_delete=models.CASCADE, related_name="tickets")
    user = models.ForeignKey(django_settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    service = models.TextField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    consumed_at = models.DateTimeField(null=True, blank=True)
    # Issued right after the patron typed their credentials (CAS `renew`).
    from_new_login = models.BooleanField(default=False)

    objects = ServiceTicketQuerySet.as_manager()

    class Meta:
        verbose_name = _("CAS service ticket")
        verbose_name_plural = _("CAS service tickets")

    def __str__(self) -> str:
        return f"ST-… ({self.connector_id})"

    @property
    def is_expired(self) -> bool:
        return timezone.now() - self.created_at > TICKET_LIFETIME


class UsedAuthorizationCode(models.Model):
    """An OpenID Connect authorisation code already exchanged, and the access token it
    gave: a second exchange of the same code revokes that token (RFC 6749 §4.1.2).
    Only a hash of the code is kept; rows are purged after a day."""

    code_checksum = models.CharField(max_length=64, unique=True)
    access_token = models.ForeignKey(
        django_settings.OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    used_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("used authorisation code")
        verbose_name_plural = _("used authorisation codes")

    def __str__(self) -> str:
        return f"code {self.code_checksum[:8]}…"


# -- quotas and the patron's counters ---------------------------------------------------


class Quota(models.Model):
    """At most `limit` accesses to a resource per patron and period, on one network."""

    class Period(models.TextChoices):
        DAY = "day", _("day")
        WEEK = "week", _("week")
        MONTH = "month", _("month")

    network = models.ForeignKey(
        "networks.Network", verbose_name=_("network"), on_delete=models.CASCADE, related_name="+"
    )
    resource = models.ForeignKey(
        "catalog.Resource",
        verbose_name=_("resource"),
        on_delete=models.CASCADE,
        related_name="quotas",
    )
    limit = models.PositiveSmallIntegerField(
        _("accesses allowed per period"), validators=[MinValueValidator(1)]
    )
    period = models.CharField(_("period"), max_length=5, choices=Period.choices)
    unit_singular = models.CharField(
        _("what is counted (singular)"), max_length=40, help_text=_("e.g. film, magazine")
    )
    unit_plural = models.CharField(
        _("what is counted (plural)"), max_length=40, help_text=_("e.g. films, magazines")
    )

    class Meta:
        verbose_name = _("quota")
        verbose_name_plural = _("quotas")
        constraints = [
            models.UniqueConstraint(fields=["network", "resource"], name="one_quota_per_resource")
        ]

    def __str__(self) -> str:
        return f"{self.resource} — {self.limit} / {self.get_period_display()}"

    def clean(self) -> None:
        if (
            self.resource_id
            and self.network_id
            and not self.resource.networks.filter(pk=self.network_id).exists()
        ):
            raise ValidationError(
                {"resource": _("This resource is not open to the quota's network.")}
            )

    def unit(self, count: int) -> str:
        return self.unit_singular if count == 1 else self.unit_plural


def period_start(period: str, day: date) -> date:
    """First day of the period holding `day` (weeks start on Monday)."""
    if period == Quota.Period.DAY:
        return day
    if period == Quota.Period.WEEK:
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def next_period_start(period: str, day: date) -> date:
    start = period_start(period, day)
    if period == Quota.Period.DAY:
        return start + timedelta(days=1)
    if period == Quota.Period.WEEK:
        return start + timedelta(days=7)
    return (start + timedelta(days=32)).replace(day=1)


class AccessCounter(models.Model):
    """How many times a patron opened a resource in one period (a month when the resource
    has no quota). The quota is enforced on this row; « Mes ressources » reads it."""

    patron = models.ForeignKey(
        "patrons.Patron", on_delete=models.CASCADE, related_name="access_counters"
    )
    resource = models.ForeignKey(
        "catalog.Resource", on_delete=models.CASCADE, related_name="access_counters"
    )
    period_start = models.DateField()
    opened = models.PositiveIntegerField(default=0)
    last_opened_at = models.DateTimeField(default=timezone.now)
    last_record = models.ForeignKey(
        "catalog.Record", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("access counter")
        verbose_name_plural = _("access counters")
        constraints = [
            models.UniqueConstraint(
                fields=["patron", "resource", "period_start"], name="one_counter_per_period"
            )
        ]
        indexes = [models.Index(fields=["patron", "-last_opened_at"])]

    def __str__(self) -> str:
        return f"{self.resource_id} {self.period_start}: {self.opened}"

    @classmethod
    def take(cls, patron, resource, quota: Quota | None, record=None, now=None) -> bool:
        """Count one access; False (and nothing counted) when the quota is used up.

        Atomic under concurrent clicks: the period's row is locked (SELECT … FOR UPDATE
        on PostgreSQL) and incremented by one conditional UPDATE (`opened < limit`),
        which SQLite also runs atomically (it serialises writers).
        """
        now = now or timezone.now()
        start = period_start(quota.period if quota else Quota.Period.MONTH, timezone.localdate(now))
        rows = cls.objects.filter(patron=patron, resource=resource, period_start=start)
        changes = {"opened": F("opened") + 1, "last_opened_at": now, "last_record": record}
        with transaction.atomic(savepoint=False):
            if connection.features.has_select_for_update:
                locked = list(rows.select_for_update().values_list("opened", flat=True))
            else:
                locked = list(rows.values_list("opened", flat=True))
            if not locked:
                # First access of the period: create the row, ignoring a concurrent twin.
                cls.objects.bulk_create(
                    [cls(patron=patron, resource=resource, period_start=start, opened=0)],
                    ignore_conflicts=True,
                )
                if connection.features.has_select_for_update:
                    list(rows.select_for_update().values_list("pk", flat=True))
            limited = rows.filter(opened__lt=quota.limit) if quota else rows
            return limited.update(**changes) == 1
