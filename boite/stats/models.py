"""Statistics: the event store, its daily and monthly roll-ups, and provider reports.

Events are pseudonymous and append-only; roll-ups hold counts only, so they stay when
patrons are erased. COUNTER reports are stored per network and provider key with the
period they cover.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from boite.lib.crypto import EncryptedTextField


class EventKind(models.TextChoices):
    REGISTRATION = "registration", _("registration")
    CONFIRMATION = "email_confirmed", _("e-mail confirmation")
    VALIDATION = "validation", _("validation")
    RENEWAL = "renewal", _("renewal")
    SUSPENSION = "suspension", _("suspension")
    EXPIRY = "expiry", _("expiry")
    ACCESS_GRANTED = "access_granted", _("access granted")
    ACCESS_REFUSED = "access_refused", _("access refused")
    LOAN = "loan", _("loan")
    RETURN = "return", _("return")
    HOLD = "hold", _("hold")
    HOLD_FILLED = "hold_filled", _("hold filled")
    HOLD_CANCELLED = "hold_cancelled", _("hold cancelled")


# Why the gate refused an access (the `reason` of ACCESS_REFUSED events).
REFUSAL_REASONS = {
    "expired": _("registration expired"),
    "trial_over": _("trial over, awaiting validation"),
    "unconfirmed": _("e-mail not confirmed"),
    "suspended": _("account suspended"),
    "rejected": _("registration rejected"),
    "erased": _("account erased"),
    "quota": _("quota reached"),
    "age": _("outside the resource's ages"),
    "age_unknown": _("age unknown for a youth resource"),
    "other_network": _("patron of another network"),
    "no_connector": _("resource not connected"),
    "connector_off": _("connection switched off"),
    "handover": _("provider connection failed"),
    "not_validated": _("account not validated"),
}


class AgeBand(models.TextChoices):
    UNKNOWN = "", _("unknown age")
    CHILD = "0-11", _("0 to 11 years")
    TEEN = "12-17", _("12 to 17 years")
    YOUNG_ADULT = "18-25", _("18 to 25 years")
    ADULT = "26-64", _("26 to 64 years")
    SENIOR = "65+", _("65 years and over")


class Event(models.Model):
    """One thing that happened, written once by `boite.stats.events.record_event`.

    Foreign keys carry no database index (only `day`, `kind` does) so that an insert
    stays cheap; reads go through the roll-ups.
    """

    kind = models.CharField(_("kind"), max_length=20, choices=EventKind.choices)
    occurred_at = models.DateTimeField(_("time"))
    day = models.DateField(_("day"), help_text=_("Local day of the event, for the roll-ups."))
    patron = models.CharField(
        _("pseudonymous patron"),
        max_length=64,
        blank=True,
        help_text=_("A keyed hash, never a name, e-mail or card number."),
    )
    network = models.ForeignKey(
        "networks.Network",
        verbose_name=_("network"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_index=False,
        related_name="+",
    )
    library = models.ForeignKey(
        "networks.Library",
        verbose_name=_("library"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_index=False,
        related_name="+",
    )
    commune = models.ForeignKey(
        "networks.Authority",
        verbose_name=_("commune"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_index=False,
        related_name="+",
    )
    age_band = models.CharField(
        _("age band"), max_length=8, choices=AgeBand.choices, blank=True, default=""
    )
    resource = models.CharField(_("resource"), max_length=100, blank=True)
    record = models.CharField(_("record"), max_length=200, blank=True)
    connector = models.CharField(_("connector"), max_length=50, blank=True)
    result = models.CharField(_("result"), max_length=30, blank=True)
    reason = models.CharField(_("reason"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        indexes = [models.Index(fields=["day", "kind"], name="stats_event_day_kind")]

    def __str__(self) -> str:
        return f"{self.day} {self.kind}"


class DailyCount(models.Model):
    """Events of one day grouped by their dimensions: rebuilt whole for a day by the
    roll-up, never edited by hand."""

    day = models.DateField(_("day"))
    network = models.ForeignKey(
        "networks.Network", null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    library = models.ForeignKey(
        "networks.Library", null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    commune = models.ForeignKey(
        "networks.Authority", null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    resource = models.CharField(_("resource"), max_length=100, blank=True)
    age_band = models.CharField(_("age band"), max_length=8, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=EventKind.choices)
    reason = models.CharField(_("reason"), max_length=50, blank=True)
    count = models.PositiveIntegerField(_("events"))
    patrons = models.PositiveIntegerField(_("unique patrons that day"))

    class Meta:
        verbose_name = _("daily count")
        verbose_name_plural = _("daily counts")
        indexes = [
            models.Index(fields=["day"], name="stats_daily_day"),
            models.Index(fields=["kind", "day"], name="stats_daily_kind_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.kind} {self.count}"


class MonthlyCount(models.Model):
    """The daily counts of a month summed over commune and age band: what the
    dashboards read, small enough for a year of a whole network."""

    month = models.DateField(_("month"))
    network = models.ForeignKey(
        "networks.Network", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    library = models.ForeignKey(
        "networks.Library", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    resource = models.CharField(_("resource"), max_length=100, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=EventKind.choices)
    reason = models.CharField(_("reason"), max_length=50, blank=True)
    count = models.PositiveBigIntegerField(_("events"))

    class Meta:
        verbose_name = _("monthly count")
        verbose_name_plural = _("monthly counts")
        indexes = [
            models.Index(fields=["month", "kind"], name="stats_monthly_count_month"),
            models.Index(fields=["network", "month"], name="stats_monthly_count_network"),
            models.Index(fields=["library", "month"], name="stats_monthly_count_library"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.kind} {self.count}"


class MonthlyUnique(models.Model):
    """Distinct patrons of a month, counted from the events (a sum of daily uniques
    would count a patron once per day).

    `level` says which dimensions the row keeps: the network total, one library, one
    resource in the network, or one resource in one library. `kind` empty means any
    kind of event.
    """

    class Level(models.TextChoices):
        NETWORK = "network", _("network")
        LIBRARY = "library", _("library")
        RESOURCE = "resource", _("resource")
        LIBRARY_RESOURCE = "library_resource", _("resource in a library")

    month = models.DateField(_("month"))
    level = models.CharField(_("level"), max_length=20, choices=Level.choices)
    network = models.ForeignKey(
        "networks.Network", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    library = models.ForeignKey(
        "networks.Library", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    resource = models.CharField(_("resource"), max_length=100, blank=True)
    kind = models.CharField(_("kind"), max_length=20, blank=True)
    patrons = models.PositiveIntegerField(_("unique patrons"))

    class Meta:
        verbose_name = _("monthly unique patrons")
        verbose_name_plural = _("monthly unique patrons")
        indexes = [models.Index(fields=["month", "level"], name="stats_monthly_month_level")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.level} {self.patrons}"


class MonthlyTitleCount(models.Model):
    """Loans and holds of a month per title and library: what « loans per title » and
    « holds waiting » read. `record` is the events' title key (`<resource>:<id>`)."""

    KINDS = ("loan", "return", "hold", "hold_filled", "hold_cancelled")

    month = models.DateField(_("month"))
    network = models.ForeignKey(
        "networks.Network", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    library = models.ForeignKey(
        "networks.Library", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    resource = models.CharField(_("resource"), max_length=100, blank=True)
    record = models.CharField(_("title"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=EventKind.choices)
    count = models.PositiveIntegerField(_("events"))

    class Meta:
        verbose_name = _("monthly count per title")
        verbose_name_plural = _("monthly counts per title")
        indexes = [models.Index(fields=["month", "kind"], name="stats_title_month_kind")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.record} {self.kind} {self.count}"


class YearlyUnique(models.Model):
    """Distinct patrons of a calendar year per network, and per resource of a network,
    counted from the year's events each time the roll-up touches the year: what the
    yearly report and the cost per unique user read (a sum of monthly uniques would
    count a patron once per month).

    `kind` is an event kind, `use` (opened or borrowed: ACCESS_GRANTED or LOAN) or
    empty (any event: active patrons); `resource` empty means the whole network.
    """

    USE = "use"

    year = models.PositiveSmallIntegerField(_("year"))
    network = models.ForeignKey(
        "networks.Network", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    resource = models.CharField(_("resource"), max_length=100, blank=True)
    kind = models.CharField(_("kind"), max_length=20, blank=True)
    patrons = models.PositiveIntegerField(_("unique patrons"))

    class Meta:
        verbose_name = _("yearly unique patrons")
        verbose_name_plural = _("yearly unique patrons")
        indexes = [models.Index(fields=["year", "network"], name="stats_yearly_year_network")]

    def __str__(self) -> str:
        return f"{self.year} {self.resource or '*'} {self.kind or '*'} {self.patrons}"


class RollupRun(models.Model):
    """A trace of each roll-up: what it covered, and its error if it failed."""

    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    first_day = models.DateField(_("first day"))
    last_day = models.DateField(_("last day"))
    events = models.PositiveBigIntegerField(_("events read"), default=0)
    ok = models.BooleanField(_("succeeded"), default=False)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("roll-up run")
        verbose_name_plural = _("roll-up runs")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.first_day} – {self.last_day}"


class ProviderAccount(models.Model):
    """A network's account with a provider: what COUNTER reports must name, and how
    to fetch them with SUSHI."""

    network = models.ForeignKey(
        "networks.Network",
        verbose_name=_("network"),
        on_delete=models.CASCADE,
        related_name="provider_accounts",
    )
    catalog_provider = models.ForeignKey(
        "catalog.Provider",
        verbose_name=_("provider of the catalogue"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="usage_accounts",
        help_text=_(
            "Its reports are shown beside the portal's own counts of this provider's resources."
        ),
    )
    provider = models.CharField(
        _("provider key"),
        max_length=100,
        blank=True,
        help_text=_(
            "Short name the reports are filed under; left empty, the catalogue provider's."
        ),
    )
    name = models.CharField(_("name"), max_length=200)
    customer_id = models.CharField(
        _("customer ID"),
        max_length=200,
        blank=True,
        help_text=_("The customer ID the provider writes in its COUNTER reports."),
    )
    sushi_url = models.URLField(
        _("SUSHI server URL"), blank=True, help_text=_("Base URL, before /reports/tr.")
    )
    requestor_id = models.CharField(_("requestor ID"), max_length=200, blank=True)
    api_key = EncryptedTextField(_("API key"), max_length=200, blank=True)
    sushi_reports = models.CharField(
        _("reports to fetch"),
        max_length=50,
        default="TR",
        help_text=_("COUNTER report IDs separated by commas, e.g. TR, PR."),
    )
    last_fetch_at = models.DateTimeField(_("last fetch"), null=True, blank=True)
    last_fetch_result = models.TextField(_("result of the last fetch"), blank=True)

    class Meta:
        verbose_name = _("provider account")
        verbose_name_plural = _("provider accounts")
        ordering = ["network", "name"]
        constraints = [
            models.UniqueConstraint(fields=["network", "provider"], name="one_account_a_provider")
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if not self.provider and self.catalog_provider_id:
            self.provider = self.catalog_provider.slug
        if not self.provider:
            raise ValidationError(
                {"provider": _("Choose a provider of the catalogue or give a provider key.")}
            )

    @property
    def report_ids(self) -> list[str]:
        return [r.strip().upper() for r in self.sushi_reports.split(",") if r.strip()]


class CounterReport(models.Model):
    """One imported usage report: a COUNTER TR/PR/DR/IR or a simple CSV."""

    class Source(models.TextChoices):
        UPLOAD = "upload", _("upload")
        SUSHI = "sushi", _("SUSHI")

    network = models.ForeignKey(
        "networks.Network",
        verbose_name=_("network"),
        on_delete=models.CASCADE,
        related_name="counter_reports",
    )
    provider = models.CharField(_("provider key"), max_length=100)
    report_id = models.CharField(_("report"), max_length=10)
    release = models.CharField(_("release"), max_length=10)
    customer_id = models.CharField(_("customer ID"), max_length=200, blank=True)
    begin = models.DateField(_("first month"))
    end = models.DateField(_("last day"))
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    filename = models.CharField(_("file name"), max_length=200, blank=True)
    imported_at = models.DateTimeField(_("imported"), auto_now_add=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("usage report")
        verbose_name_plural = _("usage reports")
        ordering = ["-begin", "provider"]
        indexes = [models.Index(fields=["network", "provider", "report_id"], name="stats_cr_key")]

    def __str__(self) -> str:
        return f"{self.provider} {self.report_id} {self.begin:%Y-%m}–{self.end:%Y-%m}"


class CounterMetric(models.Model):
    """One count of a report: an item (title, database or platform), a metric, a month."""

    report = models.ForeignKey(CounterReport, on_delete=models.CASCADE, related_name="metrics")
    month = models.DateField(_("month"))
    item = models.CharField(_("item"), max_length=500, blank=True)
    item_id = models.CharField(_("item identifier"), max_length=200, blank=True)
    platform = models.CharField(_("platform"), max_length=200, blank=True)
    data_type = models.CharField(_("data type"), max_length=50, blank=True)
    access_type = models.CharField(_("access type"), max_length=50, blank=True)
    metric = models.CharField(_("metric"), max_length=50)
    count = models.PositiveBigIntegerField(_("count"))

    class Meta:
        verbose_name = _("usage figure")
        verbose_name_plural = _("usage figures")
        indexes = [models.Index(fields=["report", "month"], name="stats_cm_report_month")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.metric} {self.count}"
