"""Providers, the resources they offer, the records of each resource, and harvest runs."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from boite.catalog.categories import Category
from boite.lib.crypto import EncryptedTextField


class Provider(models.Model):
    """A company or institution whose service the network subscribes to."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    slug = models.SlugField(_("short name"), unique=True)
    website = models.URLField(_("website"), blank=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("provider")
        verbose_name_plural = _("providers")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Audience(models.TextChoices):
    ALL = "all", _("Everyone")
    ADULT = "adult", _("Adults")
    TEEN = "teen", _("Teenagers")
    YOUTH = "youth", _("Youth (3–12 years)")


class ResourceQuerySet(models.QuerySet):
    def open_to(self, network) -> ResourceQuerySet:
        """Resources in service that the network's patrons may use."""
        if network is None:
            return self.none()
        return self.filter(in_service=True, networks=network)

    def for_staff(self, access, manage: bool = False) -> ResourceQuerySet:
        """Resources a staff member may see (any role in one of their networks), or
        manage (network administrators of one of the networks the resource is open to)."""
        if access.is_superuser:
            return self
        kinds = ["network_admin"] if manage else ["network_admin", "library_staff"]
        through = Resource.networks.through.objects.filter(
            network_id__in=access.network_ids(*kinds)
        )
        return self.filter(pk__in=through.values("resource_id"))


class Resource(models.Model):
    """One offer of a provider as the portal shows it, and how its catalogue is harvested."""

    class Auth(models.TextChoices):
        NONE = "none", _("none")
        BASIC = "basic", _("HTTP Basic (user name and password)")
        TOKEN = "token", _("token (Authorization: Bearer)")

    class Schedule(models.TextChoices):
        MANUAL = "manual", _("manual only")
        DAILY = "daily", _("every day")
        WEEKLY = "weekly", _("every week (Monday)")

    provider = models.ForeignKey(
        Provider, verbose_name=_("provider"), on_delete=models.PROTECT, related_name="resources"
    )
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name"), unique=True)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    description = models.TextField(_("description"), blank=True)
    audience = models.CharField(
        _("audience"), max_length=10, choices=Audience.choices, default=Audience.ALL
    )
    age_min = models.PositiveSmallIntegerField(_("minimum age"), null=True, blank=True)
    age_max = models.PositiveSmallIntegerField(_("maximum age"), null=True, blank=True)
    logo = models.FileField(
        _("logo"),
        upload_to="catalog/logos/",
        blank=True,
        validators=[FileExtensionValidator(["png", "jpg", "jpeg", "webp", "svg"])],
    )
    how_to_computer = models.TextField(_("how to use it on a computer"), blank=True)
    how_to_phone = models.TextField(_("how to use it on a phone or tablet"), blank=True)
    how_to_tv = models.TextField(_("how to use it on a TV"), blank=True)
    networks = models.ManyToManyField(
        "networks.Network",
        verbose_name=_("networks"),
        related_name="resources",
        blank=True,
        help_text=_("The portals whose patrons may use this resource."),
    )
    in_service = models.BooleanField(_("in service"), default=True)

    # Harvest settings: where and how the provider's catalogue is read.
    harvest_format = models.CharField(_("source format"), max_length=20, blank=True)
    harvest_source = models.CharField(
        _("source"),
        max_length=500,
        blank=True,
        help_text=_("An https:// address or a file path on the server."),
    )
    harvest_auth = models.CharField(
        _("authentication"), max_length=10, choices=Auth.choices, default=Auth.NONE
    )
    harvest_username = models.CharField(_("user name"), max_length=200, blank=True)
    harvest_secret = EncryptedTextField(_("password or token"), max_length=500, blank=True)
    harvest_options = models.JSONField(
        _("format options"),
        default=dict,
        blank=True,
        help_text=_(
            'For CSV: {"mapping": {"title": "Titre", …}, "delimiter": ";"}; '
            'for OAI-PMH: {"metadata_prefix": "oai_dc", "set": "…"}.'
        ),
    )
    harvest_schedule = models.CharField(
        _("scheduled harvest"), max_length=10, choices=Schedule.choices, default=Schedule.DAILY
    )
    last_harvested_at = models.DateTimeField(_("last successful harvest"), null=True, blank=True)

    objects = ResourceQuerySet.as_manager()

    class Meta:
        verbose_name = _("resource")
        verbose_name_plural = _("resources")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("catalog:resource", args=[self.slug])

    def clean(self) -> None:
        from boite.catalog.harvest import FORMATS

        if self.harvest_format and self.harvest_format not in FORMATS:
            raise ValidationError({"harvest_format": _("Unknown source format.")})
        if self.age_min and self.age_max and self.age_min > self.age_max:
            raise ValidationError({"age_max": _("The maximum age is below the minimum age.")})
        if not isinstance(self.harvest_options, dict):
            raise ValidationError({"harvest_options": _('Enter an object: {"key": value}.')})

    @property
    def is_lent(self) -> bool:
        """E-books and audiobooks are borrowed through PNB (boite.lending), title by title,
        not opened at the provider: their record pages offer « Emprunter », not « Accéder »."""
        return self.category in (Category.BOOK, Category.AUDIOBOOK)

    def get_access_url(self, record: Record | None = None) -> str:
        """The access gate of the resource (served by the access app)."""
        if record is not None:
            return reverse("access:gate_record", args=[self.slug, record.pk])
        return reverse("access:gate", args=[self.slug])

    @property
    def category_label(self) -> str:
        return Category(self.category).label

    def is_open_to(self, network) -> bool:
        return Resource.objects.open_to(network).filter(pk=self.pk).exists()


class RecordType(models.TextChoices):
    FILM = "film", _("film")
    SERIES = "serie", _("series")
    DOCUMENTARY = "documentaire", _("documentary")
    CONCERT = "concert", _("concert")
    MAGAZINE = "magazine", _("magazine")
    NEWSPAPER = "journal", _("newspaper")
    EBOOK = "ebook", _("e-book")
    AUDIOBOOK = "livre-audio", _("audiobook")
    COURSE = "cours", _("course")
    GAME = "jeu", _("game")
    MUSIC = "musique", _("music")
    OTHER = "autre", _("other")


class RecordQuerySet(models.QuerySet):
    def visible_to(self, network) -> RecordQuerySet:
        """Records not withdrawn, in a resource open to the network."""
        return self.filter(
            withdrawn=False, resource__in=Resource.objects.open_to(network).values("pk")
        )


class Record(models.Model):
    """One title of a resource, normalised from whatever the provider sends."""

    resource = models.ForeignKey(
        Resource, verbose_name=_("resource"), on_delete=models.CASCADE, related_name="records"
    )
    provider_id = models.CharField(_("provider identifier"), max_length=200)
    title = models.CharField(_("title"), max_length=500)
    subtitle = models.CharField(_("subtitle"), max_length=500, blank=True)
    # The title without the words the source marks as non-sorting (« Stato innovatore »
    # for « Lo Stato innovatore »); empty when it marks none.
    sort_title = models.CharField(_("title for sorting"), max_length=500, blank=True)
    contributors = models.JSONField(
        _("contributors"), default=list, blank=True, help_text=_('[{"name": …, "role": …}]')
    )
    description = models.TextField(_("description"), blank=True)
    cover_url = models.URLField(_("cover image"), max_length=1000, blank=True)
    kind = models.CharField(
        _("type"), max_length=20, choices=RecordType.choices, default=RecordType.OTHER
    )
    audience = models.CharField(
        _("audience"), max_length=10, choices=Audience.choices, default=Audience.ALL
    )
    languages = models.JSONField(_("languages"), default=list, blank=True)
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"), null=True, blank=True)
    subjects = models.JSONField(_("subjects and genres"), default=list, blank=True)
    isbn = models.CharField(_("ISBN / EAN"), max_length=20, blank=True)
    identifiers = models.JSONField(_("other identifiers"), default=dict, blank=True)
    deep_link = models.URLField(_("link at the provider"), max_length=1000, blank=True)
    available_from = models.DateField(_("available from"), null=True, blank=True)
    available_until = models.DateField(_("available until"), null=True, blank=True)
    source_payload = models.TextField(_("source data"), blank=True)
    fingerprint = models.CharField(max_length=64, editable=False, default="")
    withdrawn = models.BooleanField(_("withdrawn"), default=False)
    withdrawn_at = models.DateTimeField(_("withdrawn on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now, editable=False)

    objects = RecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("record")
        verbose_name_plural = _("records")
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(
                fields=["resource", "provider_id"], name="one_record_per_provider_id"
            )
        ]
        indexes = [models.Index(fields=["resource", "withdrawn"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("catalog:record", args=[self.pk])

    def get_access_url(self) -> str:
        return self.resource.get_access_url(self)

    def contributors_text(self) -> str:
        return ", ".join(c.get("name", "") for c in self.contributors if c.get("name"))


class HarvestRun(models.Model):
    """One harvest of a resource: what was read, what changed, what was refused."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        SUCCEEDED = "succeeded", _("succeeded")
        FAILED = "failed", _("failed")
        REFUSED = "refused", _("refused (too many withdrawals)")

    class Mode(models.TextChoices):
        FULL = "full", _("full")
        INCREMENTAL = "incremental", _("incremental")

    resource = models.ForeignKey(
        Resource, verbose_name=_("resource"), on_delete=models.CASCADE, related_name="runs"
    )
    mode = models.CharField(_("mode"), max_length=12, choices=Mode.choices, default=Mode.FULL)
    format = models.CharField(_("format"), max_length=20)
    source = models.CharField(_("source"), max_length=500)
    force = models.BooleanField(_("withdrawals forced"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    queued_at = models.DateTimeField(_("queued"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # Stamped every few seconds while the run works (boite.lib.heartbeat): a run still
    # « running » with an old stamp was killed with its worker.
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)
    read = models.PositiveIntegerField(_("read"), default=0)
    total = models.PositiveIntegerField(_("expected"), null=True, blank=True)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    withdrawn = models.PositiveIntegerField(_("withdrawn"), default=0)
    rejected = models.PositiveIntegerField(_("rejected"), default=0)
    duplicates = models.PositiveIntegerField(_("merged duplicates"), default=0)
    # {"warnings": {kind: count}, "duplicate_ids": [the first identifiers read twice]}
    details = models.JSONField(_("details"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("harvest run")
        verbose_name_plural = _("harvest runs")
        ordering = ["-queued_at"]

    def __str__(self) -> str:
        return f"{self.resource} — {self.queued_at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self) -> str:
        return reverse("catalog:run", args=[self.pk])

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.SUCCEEDED, self.Status.FAILED, self.Status.REFUSED}

    @property
    def warnings(self) -> list[tuple[str, int]]:
        """(label, count) of each kind of warning counted on the records kept."""
        from boite.catalog.harvest.base import WARNING_LABELS

        counts = (self.details or {}).get("warnings", {})
        return [(str(WARNING_LABELS.get(kind, kind)), n) for kind, n in sorted(counts.items())]

    @property
    def duplicate_ids(self) -> list[str]:
        return (self.details or {}).get("duplicate_ids", [])

    @property
    def percent(self) -> int | None:
        if self.is_finished:
            return 100
        if not self.total:
            return None
        return min(99, round(100 * self.read / self.total))


class RejectedRecord(models.Model):
    """A record of a source that could not be read, and why."""

    run = models.ForeignKey(HarvestRun, on_delete=models.CASCADE, related_name="rejections")
    position = models.PositiveIntegerField(_("position in the source"))
    provider_id = models.CharField(_("provider identifier"), max_length=200, blank=True)
    reason = models.CharField(_("reason"), max_length=500)
    excerpt = models.TextField(_("excerpt"), blank=True)

    class Meta:
        verbose_name = _("rejected record")
        verbose_name_plural = _("rejected records")
        ordering = ["position"]

    def __str__(self) -> str:
        return f"#{self.position}: {self.reason}"


class StagedRecord(models.Model):
    """An identifier a running harvest has read: at the end of a full harvest, the active
    records whose identifier was not read are the ones that disappeared. Emptied when the
    run ends."""

    run = models.ForeignKey(HarvestRun, on_delete=models.CASCADE, related_name="+")
    provider_id = models.CharField(max_length=200)

    class Meta:
        indexes = [models.Index(fields=["run", "provider_id"])]

    def __str__(self) -> str:
        return self.provider_id
