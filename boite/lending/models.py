"""PNB licences, the distributor accounts they come from, and the record of every sync."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Coalesce, Least
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from boite.lending import distributors
from boite.lending.distributors.base import (
    Connection,
    Distributor,
    LicenceRef,
    LicenceState,
    LicenceStatus,
    LoanRef,
)
from boite.lib.crypto import EncryptedTextField
from boite.networks.models import Network, NetworkOwned

if TYPE_CHECKING:
    from boite.lending.copies import CopyPool

EXPIRING_SOON_DAYS = 92  # « expiring within 3 months »


def _new_token() -> str:
    return secrets.token_urlsafe(24)


class DistributorAccount(NetworkOwned):
    """The portal's contract with one distributor: where to call it and with what login.

    Dilicom identifies the library network by its GLN (« GLN contractant »); ODL servers by
    a login and password. The networks listed share what is bought through this account;
    only its owner network's administrators change it."""

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("protocol"), max_length=20, choices=distributors.choices())
    base_url = models.URLField(
        _("address of the service"),
        help_text=_("Dilicom: address of the PNB loan service. ODL: address of the OPDS feed."),
    )
    login = models.CharField(
        _("login"), max_length=100, blank=True, help_text=_("Dilicom: the contractor's GLN.")
    )
    password = EncryptedTextField(_("password"), max_length=200, blank=True)
    timeout_seconds = models.PositiveSmallIntegerField(_("timeout (seconds)"), default=10)
    networks = models.ManyToManyField(
        Network, verbose_name=_("networks"), related_name="distributor_accounts"
    )
    is_active = models.BooleanField(_("active"), default=True)
    # Part of the notification URL given to the distributor: only it can post loan changes.
    notification_token = models.CharField(max_length=64, default=_new_token, editable=False)

    class Meta:
        verbose_name = _("distributor account")
        verbose_name_plural = _("distributor accounts")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def notification_path(self) -> str:
        """Where the distributor posts loan changes (ODL); prefix it with the portal's host."""
        return reverse("lending:notification", args=[self.pk, self.notification_token])

    def connect(self, notification_url: str = "") -> Distributor:
        """The adapter of this account (close it after use, or use it in `with`)."""
        return distributors.connect(
            self.kind,
            Connection(
                base_url=self.base_url,
                login=self.login,
                password=self.password,
                timeout=float(self.timeout_seconds),
                notification_url=notification_url,
            ),
        )


class LicenceQuerySet(models.QuerySet):
    def for_network(self, network: Network | int) -> LicenceQuerySet:
        return self.filter(networks=network)

    def active(self) -> LicenceQuerySet:
        return self.filter(state=Licence.State.ACTIVE)

    def with_free_copies(self, now: datetime | None = None) -> LicenceQuerySet:
        """Each licence's `free_copies`: the one rule of a licence's own counters — active,
        valid now, loans left, simultaneous loans below the maximum. Holds are the pool's
        part (`copy_pools`)."""
        now = now or timezone.now()
        return self.annotate(
            free_copies=Case(
                When(
                    Q(state=Licence.State.ACTIVE)
                    & (Q(valid_until__isnull=True) | Q(valid_until__gt=now))
                    & (Q(loans_left__isnull=True) | Q(loans_left__gt=0))
                    & Q(concurrent_in_use__lt=F("concurrent_max")),
                    then=Least(
                        F("concurrent_max") - F("concurrent_in_use"),
                        Coalesce(F("loans_left"), F("concurrent_max")),
                    ),
                ),
                default=Value(0),
                output_field=models.IntegerField(),
            )
        )

    def lendable(self, now: datetime | None = None) -> LicenceQuerySet:
        """Licences with a copy free on their own counters (before holds)."""
        return self.with_free_copies(now).filter(free_copies__gt=0)

    def lock_title(self, record) -> list[Licence]:
        """Lock every licence of a title, whatever network it serves, in a fixed order: all
        that changes who may have a copy of it then waits (PostgreSQL row locks; SQLite's
        IMMEDIATE transaction holds the database's write lock already)."""
        return list(self.filter(record=record).select_for_update(of=("self",)).order_by("pk"))

    def copy_pools(
        self, record_ids, *, patron=None, now: datetime | None = None
    ) -> dict[int, CopyPool]:
        """The copy pool of each title: its licences in every network, their free copies,
        and the copies kept for READY holds (the patron's own left out)."""
        from boite.lending.copies import CopyPool

        record_ids = list(record_ids)
        pools = {rid: CopyPool(free={}, serves={}) for rid in record_ids}
        rows = (
            self.model.objects.filter(record__in=record_ids)
            .with_free_copies(now)
            .values_list("pk", "record_id", "free_copies", "valid_until", "loans_left")
        )
        by_pk = {}
        for pk, record_id, free, valid_until, loans_left in rows:
            pool = pools[record_id]
            pool.free[pk] = free
            pool.serves[pk] = frozenset()
            pool.expiry[pk] = valid_until
            pool.loans_left[pk] = loans_left
            by_pk[pk] = pool
        served: dict[int, set[int]] = {}
        for licence_id, network_id in Licence.networks.through.objects.filter(
            licence_id__in=list(by_pk)
        ).values_list("licence_id", "network_id"):
            served.setdefault(licence_id, set()).add(network_id)
        for pk, networks in served.items():
            by_pk[pk].serves[pk] = frozenset(networks)
        ready = Hold.objects.filter(record__in=record_ids, state=Hold.State.READY)
        if patron is not None:
            ready = ready.exclude(patron=patron)
        for record_id, network_id in ready.values_list("record_id", "network_id"):
            pools[record_id].keep(network_id)
        return pools

    def copy_pool(self, record, *, patron=None, now: datetime | None = None) -> CopyPool:
        return self.copy_pools([record.pk], patron=patron, now=now)[record.pk]

    def lendable_copies(
        self, record, network: Network, *, patron=None, now: datetime | None = None
    ) -> int:
        """How many copies of this title this network may lend now — to `patron`, whose own
        kept copy counts for them: loans and kept copies of every network counted on the
        licences they share. Borrowing, the queue, the record page and the OPDS feed ask
        this (or the pool it reads)."""
        network_id = network if isinstance(network, int) else network.pk
        return self.copy_pool(record, patron=patron, now=now).lendable(network_id)

    def expiring_within(self, days: int = EXPIRING_SOON_DAYS, now=None) -> LicenceQuerySet:
        now = now or timezone.now()
        return self.active().filter(valid_until__gt=now, valid_until__lte=now + timedelta(days))

    def due_to_expire(self, now: datetime | None = None) -> LicenceQuerySet:
        return self.active().filter(valid_until__lte=now or timezone.now())


class Licence(models.Model):
    """A licence bought through PNB: a number of loans, of simultaneous loans, a maximum loan
    length and a validity period, as the distributor counts them after the last sync.

    `record` is the catalogue's title with the same EAN / ISBN (see `sync.link_records`);
    loans pick among the licences of a record through its copy pool (`copies.CopyPool`).
    """

    class Format(models.TextChoices):
        EBOOK = "ebook", _("e-book")
        AUDIOBOOK = "audiobook", _("audiobook")

    class State(models.TextChoices):
        ACTIVE = "active", _("active")
        EXHAUSTED = "exhausted", _("no loans left")
        EXPIRED = "expired", _("expired")
        WITHDRAWN = "withdrawn", _("withdrawn by the distributor")

    account = models.ForeignKey(
        DistributorAccount,
        verbose_name=_("distributor account"),
        on_delete=models.PROTECT,
        related_name="licences",
    )
    networks = models.ManyToManyField(
        Network,
        verbose_name=_("networks"),
        related_name="licences",
        help_text=_("The collections this licence belongs to; two networks may share one."),
    )
    distributor_key = models.CharField(
        _("distributor's licence id"),
        max_length=200,
        help_text=_("Dilicom order line id, or ODL licence identifier."),
    )
    ean = models.CharField(_("EAN / ISBN"), max_length=13, db_index=True)
    title = models.CharField(_("title"), max_length=500, blank=True)
    format = models.CharField(
        _("format"), max_length=10, choices=Format.choices, default=Format.EBOOK
    )
    loans_total = models.PositiveIntegerField(
        _("loans bought"), null=True, blank=True, help_text=_("Empty: no limit.")
    )
    loans_left = models.PositiveIntegerField(
        _("loans left"), null=True, blank=True, help_text=_("Empty: no limit.")
    )
    concurrent_max = models.PositiveIntegerField(_("simultaneous loans allowed"), default=1)
    concurrent_in_use = models.PositiveIntegerField(_("simultaneous loans in use"), default=0)
    loan_max_days = models.PositiveSmallIntegerField(_("maximum loan length (days)"), default=21)
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.ACTIVE)
    record = models.ForeignKey(
        "catalog.Record",
        verbose_name=_("catalogue record"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="licences",
        help_text=_("Found by EAN / ISBN at each import of offers."),
    )
    info_url = models.URLField(_("License Info Document"), max_length=1000, blank=True)
    checkout_url = models.CharField(_("checkout link"), max_length=1000, blank=True)
    price = models.DecimalField(
        _("price (euros)"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    synced_at = models.DateTimeField(_("last sync"), null=True, blank=True)
    created_at = models.DateTimeField(_("added"), auto_now_add=True)

    objects = LicenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("licence")
        verbose_name_plural = _("licences")
        ordering = ["valid_until", "title"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "distributor_key"], name="one_licence_per_distributor_key"
            ),
            models.CheckConstraint(
                condition=Q(concurrent_in_use__lte=F("concurrent_max")),
                name="licence_in_use_within_max",
            ),
            models.CheckConstraint(
                condition=Q(loans_left__isnull=True)
                | Q(loans_total__isnull=True)
                | Q(loans_left__lte=F("loans_total")),
                name="licence_left_within_total",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title or self.ean} ({self.distributor_key})"

    def ref(self) -> LicenceRef:
        return LicenceRef(self.distributor_key, self.info_url, self.checkout_url)

    def expires_soon(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.valid_until is not None and now < self.valid_until <= now + timedelta(
            days=EXPIRING_SOON_DAYS
        )

    def apply_status(self, status: LicenceStatus, now: datetime) -> bool:
        """Take the distributor's counters; True when something changed."""
        before = self._counters()
        told = {
            name
            for name in ("loans_total", "loans_left", "concurrent_max", "expires")
            if name not in status.unknown
        }
        if "loans_total" in told:
            self.loans_total = status.loans_total
        if "loans_left" in told:
            self.loans_left = status.loans_left
        if self.loans_total is not None and self.loans_left is not None:
            self.loans_left = min(self.loans_left, self.loans_total)
        if "concurrent_max" in told:
            self.concurrent_max = status.concurrent_max
        if status.in_use is not None:
            in_use = status.in_use
        else:
            in_use = self.concurrent_max - status.concurrent_available
        self.concurrent_in_use = min(self.concurrent_max, max(0, in_use))
        if status.expires is not None:
            self.valid_until = status.expires
        if status.loan_max_days:
            self.loan_max_days = status.loan_max_days
        self.state = {
            LicenceState.AVAILABLE: self.State.ACTIVE,
            LicenceState.UNAVAILABLE: self.State.EXHAUSTED,
            LicenceState.EXPIRED: self.State.EXPIRED,
            LicenceState.WITHDRAWN: self.State.WITHDRAWN,
        }[status.state]
        # ODL says « unavailable » for a pre-order too: only no loans left is exhaustion.
        if self.state == self.State.EXHAUSTED and self.loans_left != 0:
            self.state = self.State.ACTIVE
        self.synced_at = now
        return self._counters() != before

    def _counters(self) -> tuple:
        return (
            self.loans_total,
            self.loans_left,
            self.concurrent_max,
            self.concurrent_in_use,
            self.valid_until,
            self.loan_max_days,
            self.state,
        )


class SyncRun(models.Model):
    """One import or refresh, kept like a harvest run: what was done and what went wrong."""

    class Kind(models.TextChoices):
        OFFERS_FULL = "offers_full", _("full offer file")
        OFFERS_DELTA = "offers_delta", _("offer update file")
        FEED = "feed", _("harvest of the offers feed")
        COUNTERS = "counters", _("counters refresh")
        NOTIFICATION = "notification", _("notification from the distributor")
        EXPIRY = "expiry", _("expiry of licences")

    class Outcome(models.TextChoices):
        RUNNING = "running", _("running")
        SUCCESS = "success", _("success")
        PARTIAL = "partial", _("done, with problems")
        FAILED = "failed", _("failed")

    account = models.ForeignKey(
        DistributorAccount,
        verbose_name=_("distributor account"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sync_runs",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    source = models.CharField(_("source"), max_length=500, blank=True)
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=10, choices=Outcome.choices, default=Outcome.RUNNING
    )
    seen = models.PositiveIntegerField(_("seen"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    ended = models.PositiveIntegerField(_("ended"), default=0)
    problem_count = models.PositiveIntegerField(_("problems"), default=0)
    problems = models.JSONField(_("problems"), default=list, blank=True)

    MAX_PROBLEMS_KEPT = 200

    class Meta:
        verbose_name = _("sync run")
        verbose_name_plural = _("sync runs")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.started_at:%Y-%m-%d %H:%M}"

    def problem(self, where: str, message: str) -> None:
        """Record a problem (kept up to MAX_PROBLEMS_KEPT, all counted)."""
        self.problem_count += 1
        if len(self.problems) < self.MAX_PROBLEMS_KEPT:
            self.problems.append({"where": where, "message": str(message)})

    def finish(self, failed: bool = False) -> SyncRun:
        self.finished_at = timezone.now()
        if failed:
            self.outcome = self.Outcome.FAILED
        else:
            self.outcome = self.Outcome.PARTIAL if self.problem_count else self.Outcome.SUCCESS
        self.save()
        return self

    @property
    def duration(self) -> timedelta | None:
        return self.finished_at - self.started_at if self.finished_at else None


class LendingRules(models.Model):
    """A network's lending limits. Absent: the defaults below (`for_network`)."""

    network = models.OneToOneField(
        Network, verbose_name=_("network"), on_delete=models.CASCADE, related_name="lending_rules"
    )
    max_loans = models.PositiveSmallIntegerField(_("simultaneous loans per patron"), default=3)
    max_loans_per_month = models.PositiveSmallIntegerField(
        _("loans per patron per calendar month"), default=6
    )
    max_holds = models.PositiveSmallIntegerField(_("holds per patron"), default=3)
    hold_window_hours = models.PositiveSmallIntegerField(
        _("reservation window (hours)"),
        default=72,
        help_text=_("How long a patron whose turn has come may borrow before the next one's turn."),
    )

    class Meta:
        verbose_name = _("lending rules")
        verbose_name_plural = _("lending rules")

    def __str__(self) -> str:
        return str(self.network)

    @classmethod
    def for_network(cls, network: Network) -> LendingRules:
        rules = cls.objects.filter(network=network).first()
        return rules or cls(network=network)


class Loan(models.Model):
    """A patron's loan of one licence's copy.

    A loan is written (PENDING, the copy reserved on the licence) before the distributor is
    called, outside the lock; its `uuid` is the id sent to the distributor, so that calling
    again with the same loan never makes two. UNCERTAIN: the distributor did not answer —
    the copy stays reserved until a retry or the sync settles it."""

    class State(models.TextChoices):
        PENDING = "pending", _("being made")
        UNCERTAIN = "uncertain", _("awaiting the distributor")
        ACTIVE = "active", _("in progress")
        RETURNED = "returned", _("returned")
        EXPIRED = "expired", _("ended")
        REVOKED = "revoked", _("ended by the distributor")
        FAILED = "failed", _("not made")

    OPEN_STATES = (State.PENDING, State.UNCERTAIN, State.ACTIVE)

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    licence = models.ForeignKey(
        Licence, verbose_name=_("licence"), on_delete=models.PROTECT, related_name="loans"
    )
    record = models.ForeignKey(
        "catalog.Record",
        verbose_name=_("record"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="loans",
    )
    patron = models.ForeignKey(
        "patrons.Patron", verbose_name=_("patron"), on_delete=models.CASCADE, related_name="loans"
    )
    network = models.ForeignKey(
        Network, verbose_name=_("network"), on_delete=models.CASCADE, related_name="loans"
    )
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    created_at = models.DateTimeField(_("requested"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended on"), null=True, blank=True)
    hint = models.CharField(_("passphrase hint"), max_length=200, blank=True)
    download_url = models.URLField(_("download link"), max_length=1000, blank=True)
    status_url = models.URLField(_("status link"), max_length=1000, blank=True)
    # ODL: the License Status Document's id, given at checkout; later documents must match.
    distributor_id = models.CharField(
        _("distributor's loan id"), max_length=200, blank=True, db_index=True
    )
    can_renew = models.BooleanField(_("may be extended"), default=False)
    problem = models.CharField(_("problem"), max_length=500, blank=True)
    # Written before the return is sent to the distributor: if its answer is lost (the
    # database restarting just after the distributor took the book back), the sync asks
    # the distributor and ends the loan (loans.settle_uncertain_loans).
    return_requested_at = models.DateTimeField(_("return requested"), null=True, blank=True)

    class Meta:
        verbose_name = _("loan")
        verbose_name_plural = _("loans")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["patron", "state"]),
            models.Index(fields=["state", "ends_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.licence} — {self.get_state_display()}"

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN_STATES

    def ref(self) -> LoanRef:
        return LoanRef(
            str(self.uuid),
            self.licence.ref(),
            status_url=self.status_url,
            distributor_id=self.distributor_id,
        )

    def latest_end(self) -> datetime:
        """The latest end an extension may ask for: the licence's maximum from the start."""
        return (self.started_at or self.created_at) + timedelta(days=self.licence.loan_max_days)


class Hold(models.Model):
    """A patron's place in the queue of a title. READY: their turn has come, a copy is kept
    for them until `expires_at`."""

    class State(models.TextChoices):
        WAITING = "waiting", _("waiting")
        READY = "ready", _("ready to borrow")
        FULFILLED = "fulfilled", _("borrowed")
        CANCELLED = "cancelled", _("cancelled")
        EXPIRED = "expired", _("not borrowed in time")

    OPEN_STATES = (State.WAITING, State.READY)

    record = models.ForeignKey(
        "catalog.Record", verbose_name=_("record"), on_delete=models.CASCADE, related_name="holds"
    )
    patron = models.ForeignKey(
        "patrons.Patron", verbose_name=_("patron"), on_delete=models.CASCADE, related_name="holds"
    )
    network = models.ForeignKey(
        Network, verbose_name=_("network"), on_delete=models.CASCADE, related_name="holds"
    )
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.WAITING
    )
    created_at = models.DateTimeField(_("placed"), default=timezone.now)
    ready_at = models.DateTimeField(_("ready since"), null=True, blank=True)
    expires_at = models.DateTimeField(_("kept until"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended on"), null=True, blank=True)

    class Meta:
        verbose_name = _("hold")
        verbose_name_plural = _("holds")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["record", "patron"],
                condition=Q(state__in=["waiting", "ready"]),
                name="one_open_hold_per_patron_and_title",
            )
        ]
        indexes = [models.Index(fields=["record", "network", "state"])]

    def __str__(self) -> str:
        return f"{self.record} — {self.get_state_display()}"

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN_STATES

    def position(self) -> int:
        """1 for the first in the queue of this title in this network."""
        if self.state == self.State.READY:
            return 1
        return (
            Hold.objects.filter(
                record_id=self.record_id,
                network_id=self.network_id,
                state__in=self.OPEN_STATES,
            )
            .filter(
                Q(created_at__lt=self.created_at) | Q(created_at=self.created_at, pk__lt=self.pk)
            )
            .count()
            + 1
        )
