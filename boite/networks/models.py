"""Networks (one portal each), local authorities, libraries and staff roles."""

from __future__ import annotations

import re

from django.contrib.auth.models import AbstractUser
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from boite.lib.images import RasterImageField
from boite.lib.text import fold

_HEX_COLOUR = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Enter a colour as #RRGGBB."))
_HOST_CACHE_SECONDS = 60


class User(AbstractUser):
    """Everyone who logs in: staff through their roles, patrons through patrons.Patron."""

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")


class Authority(models.Model):
    """A local authority: a commune, an intercommunality or a department."""

    class Kind(models.TextChoices):
        COMMUNE = "commune", _("commune")
        INTERCOMMUNALITY = "intercommunality", _("intercommunality")
        DEPARTMENT = "department", _("department")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200)
    code = models.CharField(
        _("official code"),
        max_length=12,
        unique=True,
        help_text=_("INSEE code of a commune or department, SIREN of an intercommunality."),
    )
    postal_codes = models.CharField(
        _("postal codes"), max_length=200, blank=True, help_text=_("Separated by spaces.")
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("intercommunality"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    # Simplified boundary for the territory map (boite.networks.outlines), not edited by hand.
    outline = models.TextField(_("outline"), blank=True, editable=False)

    class Meta:
        verbose_name = _("local authority")
        verbose_name_plural = _("local authorities")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def population(self, year: int) -> int | None:
        """Legal population of the given reference year, or None when it is not known."""
        row = self.populations.filter(year=year).first()
        return row.population if row else None


class AuthorityPopulation(models.Model):
    """Legal population of an authority for one reference year (INSEE)."""

    authority = models.ForeignKey(Authority, on_delete=models.CASCADE, related_name="populations")
    year = models.PositiveSmallIntegerField(_("reference year"))
    population = models.PositiveIntegerField(_("legal population"))

    class Meta:
        verbose_name = _("legal population")
        verbose_name_plural = _("legal populations")
        constraints = [
            models.UniqueConstraint(fields=["authority", "year"], name="one_population_a_year")
        ]
        ordering = ["-year"]

    def __str__(self) -> str:
        return f"{self.authority} {self.year}: {self.population}"


def _relative_luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_with_white(hex_colour: str) -> float:
    """WCAG contrast ratio of white text on the colour (4.5 is the AA minimum)."""
    return 1.05 / (_relative_luminance(hex_colour) + 0.05)


class Network(models.Model):
    """One portal: its branding, its host names and the authority that funds it."""

    class Accessibility(models.TextChoices):
        NOT_COMPLIANT = "non", _("not compliant")
        PARTIAL = "partial", _("partially compliant")
        COMPLIANT = "full", _("fully compliant")

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name"), unique=True)
    partner = models.ForeignKey(
        Authority,
        verbose_name=_("partner authority"),
        on_delete=models.PROTECT,
        related_name="networks",
        help_text=_("The authority that funds and runs this portal."),
    )
    logo = RasterImageField(
        _("logo"),
        upload_to="networks/logos/",
        blank=True,
        help_text=_("PNG, JPEG, WebP or GIF; stored re-encoded (no SVG: it can carry scripts)."),
    )
    primary_colour = models.CharField(
        _("main colour"),
        max_length=7,
        default="#1d4f91",
        validators=[_HEX_COLOUR],
        help_text=_("White text is written on it: it must contrast at least 4.5:1 (RGAA)."),
    )
    accent_colour = models.CharField(
        _("accent colour"), max_length=7, default="#b3164b", validators=[_HEX_COLOUR]
    )
    tagline = models.CharField(_("tagline"), max_length=200, blank=True)
    welcome_text = models.TextField(_("welcome text"), blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    contact_address = models.TextField(_("contact address"), blank=True)
    legal_notice = models.TextField(
        _("legal notice"),
        blank=True,
        help_text=_("Publisher, publication director and host of the site (mentions légales)."),
    )
    privacy_notice = models.TextField(
        _("personal data notice"),
        blank=True,
        help_text=_("Controller, purposes, legal basis, retention and rights."),
    )
    accessibility_status = models.CharField(
        _("accessibility compliance"),
        max_length=10,
        choices=Accessibility.choices,
        default=Accessibility.PARTIAL,
    )
    accessibility_audit_date = models.DateField(
        _("date of the accessibility audit"), null=True, blank=True
    )
    accessibility_details = models.TextField(
        _("accessibility details"),
        blank=True,
        help_text=_("What was tested, how, and the content that is not accessible."),
    )
    is_active = models.BooleanField(_("online"), default=True)

    class Meta:
        verbose_name = _("network")
        verbose_name_plural = _("networks")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        super().save(*args, **kwargs)
        self.forget_hosts()

    def clean(self) -> None:
        if _HEX_COLOUR.regex.match(self.primary_colour or ""):
            ratio = contrast_with_white(self.primary_colour)
            if ratio < 4.5:
                raise ValidationError(
                    {
                        "primary_colour": _(
                            "White text on this colour contrasts %(ratio).1f:1; "
                            "choose a darker colour (at least 4.5:1)."
                        )
                        % {"ratio": ratio}
                    }
                )

    def forget_hosts(self) -> None:
        cache.delete_many([_host_cache_key(h.host) for h in self.hosts.all()])

    @classmethod
    def for_host(cls, host: str) -> Network | None:
        """The active network serving this host name, cached for a minute."""
        host = host.lower().rstrip(".")
        key = _host_cache_key(host)
        network = cache.get(key)
        if network is None:
            network = (
                cls.objects.select_related("partner")
                .filter(hosts__host=host, is_active=True)
                .first()
            ) or False
            cache.set(key, network, _HOST_CACHE_SECONDS)
        return network or None


def _host_cache_key(host: str) -> str:
    return "network-host:" + re.sub(r"[^a-z0-9.\-\[\]:]", "_", host)


class NetworkHost(models.Model):
    """A host name that selects its network, e.g. « caen.localhost »."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="hosts")
    host = models.CharField(_("host name"), max_length=253, unique=True)

    class Meta:
        verbose_name = _("host name")
        verbose_name_plural = _("host names")

    def __str__(self) -> str:
        return self.host

    def save(self, *args, **kwargs) -> None:
        self.host = self.host.lower().strip().rstrip(".")
        super().save(*args, **kwargs)
        cache.delete(_host_cache_key(self.host))


class NetworkOwned(models.Model):
    """A thing several networks may use but only one changes: a provider, a resource, a
    distributor account. The administrators of its owner network (and the superusers)
    change and delete it; the other networks see it read-only. Without an owner it is
    the consortium's: only the superusers change it — also what a row created outside
    the back office gets until someone chooses."""

    owner = models.ForeignKey(
        Network,
        verbose_name=_("owner network"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_(
            "Only the administrators of this network and the consortium's technical "
            "administrators change it. Empty: the consortium's."
        ),
    )

    class Meta:
        abstract = True

    @property
    def owner_name(self) -> str:
        return str(self.owner) if self.owner_id else str(_("the consortium"))


class LibraryQuerySet(models.QuerySet):
    def members(self) -> LibraryQuerySet:
        return self.filter(membership=Library.Membership.MEMBER)

    def matching(self, text: str) -> LibraryQuerySet:
        """Libraries whose name, commune or postal code contain every word of the text."""
        qs = self
        for word in fold(text).split():
            qs = qs.filter(search_text__contains=word)
        return qs


class Library(models.Model):
    """A member library: it belongs to one network and one authority (its commune)."""

    class Membership(models.TextChoices):
        MEMBER = "member", _("member")
        PENDING = "pending", _("joining")
        LEFT = "left", _("left")

    network = models.ForeignKey(
        Network, verbose_name=_("network"), on_delete=models.PROTECT, related_name="libraries"
    )
    authority = models.ForeignKey(
        Authority, verbose_name=_("commune"), on_delete=models.PROTECT, related_name="libraries"
    )
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name"), max_length=120)
    code = models.CharField(
        _("library code"),
        max_length=30,
        blank=True,
        help_text=_("Code sent to providers that ask for the patron's library."),
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=5, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    website = models.URLField(_("website"), blank=True)
    opening_hours = models.TextField(_("opening hours"), blank=True)
    membership = models.CharField(
        _("membership"), max_length=10, choices=Membership.choices, default=Membership.MEMBER
    )
    search_text = models.TextField(editable=False, default="")

    objects = LibraryQuerySet.as_manager()

    class Meta:
        verbose_name = _("library")
        verbose_name_plural = _("libraries")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["network", "slug"], name="library_slug_per_network")
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.search_text = fold(
            " ".join(
                [self.name, self.authority.name, self.postal_code, self.authority.postal_codes]
            )
        )
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("networks:library", args=[self.slug])


class StaffRole(models.Model):
    """What a staff member may do, and where: the roles of DESIGN.md."""

    class Kind(models.TextChoices):
        NETWORK_ADMIN = "network_admin", _("network administrator")
        LIBRARY_STAFF = "library_staff", _("library staff")
        FINANCE = "finance", _("finance")
        EDITOR = "editor", _("editor")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="staff_roles")
    kind = models.CharField(_("role"), max_length=20, choices=Kind.choices)
    network = models.ForeignKey(
        Network, verbose_name=_("network"), on_delete=models.CASCADE, related_name="staff_roles"
    )
    library = models.ForeignKey(
        Library,
        verbose_name=_("library"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="staff_roles",
        help_text=_("Required for library staff: the library whose patrons they manage."),
    )

    class Meta:
        verbose_name = _("staff role")
        verbose_name_plural = _("staff roles")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "network", "library"], name="one_role_once"
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="library_staff") | models.Q(library__isnull=False),
                name="library_staff_has_library",
            ),
        ]

    def __str__(self) -> str:
        where = self.library or self.network
        return f"{self.user} — {self.get_kind_display()} — {where}"

    def clean(self) -> None:
        if self.kind == self.Kind.LIBRARY_STAFF and not self.library_id:
            raise ValidationError({"library": _("Library staff must belong to a library.")})
        if self.library_id and self.network_id and self.library.network_id != self.network_id:
            raise ValidationError({"library": _("This library belongs to another network.")})
