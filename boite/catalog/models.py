"""Providers, the resources they offer, the records of each resource, and harvest runs."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from boite.catalog.categories import Category
from boite.lib.crypto import EncryptedTextField
from boite.lib.images import RasterImageField
from boite.lib.uploads import PrivateStorage, UploadCheck
from boite.networks.models import NetworkOwned

# What a resource's harvest file may be: the formats' files, checked by their content.
HARVEST_FILE_EXTENSIONS = ["csv", "tsv", "txt", "json", "xml", "mrc"]
harvest_files = PrivateStorage("CATALOG_FILES_ROOT")


def validate_harvest_address(value: str) -> None:
    from boite.catalog.harvest.base import SourceError
    from boite.catalog.harvest.sources import check_address

    try:
        check_address(value)
    except SourceError as error:
        raise ValidationError(str(error), code="unsupported_address") from None


def check_harvest_file(uploaded) -> None:
    """The upload checker, with the limit read at each use (CATALOG_MAX_UPLOAD_MB)."""
    UploadCheck(HARVEST_FILE_EXTENSIONS, settings.CATALOG_MAX_UPLOAD_BYTES)(uploaded)


class Provider(NetworkOwned):
    """A company or institution whose service the networks subscribe to: shared by every
    network, changed by its owner network's administrators only."""

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
        """Resources in service that the network's patrons may use, in the order the
        network chose for its portal (then by name)."""
        if network is None:
            return self.none()
        return self.filter(
            in_service=True, portal_settings__network=network, portal_settings__shown=True
        ).order_by("portal_settings__position", "name")

    def for_staff(self, access, manage: bool = False) -> ResourceQuerySet:
        """Resources a staff member may see (any role in one of their networks), or
        manage (network administrators of one of the networks the resource is open to:
        their own portal settings, quotas and connectors of it). The administrators of
        the owner network also see what it owns where it serves no portal of theirs.
        Changing the resource itself is `owned_by`'s."""
        if access.is_superuser:
            return self
        kinds = ["network_admin"] if manage else ["network_admin", "library_staff"]
        through = NetworkResource.objects.filter(network_id__in=access.network_ids(*kinds))
        return self.filter(
            models.Q(pk__in=through.values("resource_id"))
            | models.Q(owner__in=access.admin_network_ids)
        )

    def owned_by(self, access) -> ResourceQuerySet:
        """Resources whose shared settings (name, logo, harvest…) the staff member may
        change: those their network owns (all for a superuser)."""
        return access.scope_owned(self)


class Resource(NetworkOwned):
    """One offer of a provider as the portals show it, and how its catalogue is harvested.

    Shared by the networks it serves, changed by its owner network; each network keeps
    its own `NetworkResource` (shown on its portal or not, and where)."""

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
    logo = RasterImageField(
        _("logo"),
        upload_to="catalog/logos/",
        blank=True,
        help_text=_("PNG, JPEG, WebP or GIF; stored re-encoded (no SVG: it can carry scripts)."),
    )
    how_to_computer = models.TextField(_("how to use it on a computer"), blank=True)
    how_to_phone = models.TextField(_("how to use it on a phone or tablet"), blank=True)
    how_to_tv = models.TextField(_("how to use it on a TV"), blank=True)
    networks = models.ManyToManyField(
        "networks.Network",
        verbose_name=_("networks"),
        related_name="resources",
        blank=True,
        through="NetworkResource",
        help_text=_("The portals whose patrons may use this resource."),
    )
    in_service = models.BooleanField(_("in service"), default=True)

    # Harvest settings: where and how the provider's catalogue is read.
    harvest_format = models.CharField(_("source format"), max_length=20, blank=True)
    # A source is one of three: an http(s) address, a file uploaded here, or a file of
    # the server's drop directory chosen by a superuser. Never a path someone types.
    harvest_source = models.CharField(
        _("source address"),
        max_length=500,
        blank=True,
        validators=[validate_harvest_address],
        help_text=_("An http:// or https:// address."),
    )
    harvest_file = models.FileField(
        _("source file"),
        upload_to="harvests/%Y/",
        storage=harvest_files,
        blank=True,
        max_length=300,
        validators=[check_harvest_file],
        help_text=_("Or a file uploaded here: CSV, TSV, JSON, XML (ONIX, MARCXML) or MARC."),
    )
    harvest_drop_file = models.CharField(
        _("file of the drop directory"),
        max_length=500,
        blank=True,
        help_text=_("Or a file the server's operator put in the drop directory (superusers)."),
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
        if (
            len([x for x in (self.harvest_source, self.harvest_file, self.harvest_drop_file) if x])
            > 1
        ):
            raise ValidationError(
                _(
                    "Choose one source: an address, an uploaded file or a file of the drop "
                    "directory."
                ),
                code="several_sources",
            )

    @property
    def has_harvest_source(self) -> bool:
        return bool(self.harvest_source or self.harvest_file or self.harvest_drop_file)

    @property
    def harvest_source_label(self) -> str:
        """What a librarian reads for the source (never a server path)."""
        if self.harvest_file:
            return _("uploaded file « %(name)s »") % {"name": self.harvest_file.name.split("/")[-1]}
        if self.harvest_drop_file:
            return _("drop directory: %(name)s") % {"name": self.harvest_drop_file}
        return self.harvest_source

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


class NetworkResource(models.Model):
    """A resource as one network offers it: what that network decides alone, whoever
    owns the resource — whether its portal shows it, and where in the lists."""

    network = models.ForeignKey(
        "networks.Network",
        verbose_name=_("network"),
        on_delete=models.CASCADE,
        related_name="resource_settings",
    )
    resource = models.ForeignKey(
        Resource,
        verbose_name=_("resource"),
        on_delete=models.CASCADE,
        related_name="portal_settings",
    )
    shown = models.BooleanField(
        _("shown on the portal"),
        default=True,
        help_text=_("Untick to hide the resource from this network's portal and search."),
    )
    position = models.PositiveSmallIntegerField(
        _("order on the portal"),
        default=0,
        help_text=_("Smaller numbers come first; equal numbers are sorted by name."),
    )

    class Meta:
        verbose_name = _("resource on a portal")
        verbose_name_plural = _("resources on the portals")
        ordering = ["network", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["network", "resource"], name="one_setting_per_network_and_resource"
            )
        ]

    def __str__(self) -> str:
        return f"{self.resource} — {self.network}"


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
    # The source the run read, kept as it was when the run was queued: an address, the
    # resource's uploaded file (linked from the run's page), or a drop-directory name.
    source = models.CharField(_("source"), max_length=500, blank=True)
    source_file = models.FileField(
        _("source file"), upload_to="harvests/%Y/", storage=harvest_files, blank=True,
        max_length=300,
    )  # fmt: skip
    drop_file = models.CharField(_("file of the drop directory"), max_length=500, blank=True)
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
    def source_label(self) -> str:
        if self.source_file:
            return _("uploaded file « %(name)s »") % {"name": self.source_file_name}
        if self.drop_file:
            return _("drop directory: %(name)s") % {"name": self.drop_file}
        return self.source

    @property
    def source_file_name(self) -> str:
        return self.source_file.name.split("/")[-1] if self.source_file else ""

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
