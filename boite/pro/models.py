"""The professional space: blog, events, documents, directory, and news for patrons.

Everything belongs to one network (`network`). Blog posts, events and documents
may also be *shared* with every network: the two networks run one offer together,
so a post on PNB written by the department is useful to Caen la Mer's librarians.
Unshared content is read only by the staff of its own network.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from boite.lib.uploads import PrivateStorage, kind_of
from boite.networks.models import Library, Network
from boite.pro.rendering import render_markdown

# Files staff share live outside MEDIA_ROOT and are sent only by this app's views.
private_storage = PrivateStorage("PRO_FILES_ROOT")


class VisibleQuerySet(models.QuerySet):
    def for_network(self, network: Network):
        """What the staff of this network may read: its own rows and the shared ones."""
        return self.filter(Q(network=network) | Q(shared=True))


class Post(models.Model):
    class Category(models.TextChoices):
        TECHNICAL = "technique", _("technical")
        NEWS = "actualites", _("news")
        RESOURCES = "ressources", _("resources")
        PNB = "pnb", _("PNB")
        MEDIATION = "mediation", _("mediation")

    network = models.ForeignKey(
        Network, verbose_name=_("network"), on_delete=models.CASCADE, related_name="pro_posts"
    )
    shared = models.BooleanField(
        _("shared with every network"),
        default=False,
        help_text=_("Staff of the other networks may read it too."),
    )
    title = models.CharField(_("title"), max_length=200)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    body = models.TextField(_("text"), help_text=_("Markdown: **bold**, *italics*, [link](url)…"))
    body_html = models.TextField(editable=False, default="")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="pro_posts",
    )
    published_at = models.DateTimeField(
        _("published on"), null=True, blank=True, help_text=_("Empty: a draft.")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = VisibleQuerySet.as_manager()

    class Meta:
        verbose_name = _("blog post")
        verbose_name_plural = _("blog posts")
        ordering = ["-published_at", "-created_at"]
        indexes = [models.Index(fields=["network", "-published_at"])]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        self.body_html = render_markdown(self.body)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("pro:post", args=[self.pk])

    @property
    def is_published(self) -> bool:
        return self.published_at is not None and self.published_at <= timezone.now()


class Attachment(models.Model):
    """A file or an image attached to a post; images are shown, other files linked."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to="posts/%Y/", storage=private_storage)
    original_name = models.CharField(_("file name"), max_length=200)
    description = models.CharField(
        _("description"),
        max_length=300,
        blank=True,
        help_text=_("For an image: what it shows (its text alternative)."),
    )
    size = models.PositiveBigIntegerField(_("size"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_image(self) -> bool:
        return kind_of(self.original_name).image


class Comment(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pro_comments"
    )
    body = models.TextField(_("comment"), max_length=5000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.author} — {self.post}"


class Profile(models.Model):
    """A staff member's choices in the professional space."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pro_profile"
    )
    weekly_digest = models.BooleanField(
        _("receive the weekly digest"),
        default=False,
        help_text=_("Every Monday morning, an e-mail listing the posts of the past week."),
    )
    last_digest_at = models.DateTimeField(null=True, blank=True, editable=False)

    class DeskDigest(models.TextChoices):
        NEVER = "never", _("never")
        DAILY = "daily", _("every morning")
        WEEKLY = "weekly", _("every Monday morning")

    desk_digest = models.CharField(
        _("what is waiting on my desk, by e-mail"),
        max_length=6,
        choices=DeskDigest.choices,
        default=DeskDigest.NEVER,
        help_text=_(
            "Registrations to validate, failed harvests, licences running out… as the desk "
            "shows them; no e-mail when nothing is waiting."
        ),
    )
    last_desk_digest_on = models.DateField(null=True, blank=True, editable=False)
    feed_token = models.CharField(
        _("private feed key"), max_length=64, unique=True, null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("professional space profile")
        verbose_name_plural = _("professional space profiles")

    def __str__(self) -> str:
        return str(self.user)

    def new_feed_token(self) -> str:
        """A new secret for the private feed addresses; the old addresses stop working."""
        self.feed_token = secrets.token_urlsafe(32)
        self.save(update_fields=["feed_token"])
        return self.feed_token


class Event(models.Model):
    class Kind(models.TextChoices):
        PROFESSIONAL_DAY = "professional_day", _("professional day")
        TRAINING = "training", _("training session")

    network = models.ForeignKey(
        Network, verbose_name=_("network"), on_delete=models.CASCADE, related_name="pro_events"
    )
    shared = models.BooleanField(
        _("open to every network"),
        default=False,
        help_text=_("Staff of the other networks may see it and register."),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    theme = models.CharField(_("theme"), max_length=200, blank=True)
    programme = models.TextField(_("programme"), blank=True, help_text=_("Markdown."))
    programme_html = models.TextField(editable=False, default="")
    place = models.CharField(_("place"), max_length=300)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    capacity = models.PositiveIntegerField(_("number of places"))
    published = models.BooleanField(_("published"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = VisibleQuerySet.as_manager()

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gte=models.F("starts_at")), name="event_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        self.programme_html = render_markdown(self.programme)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("pro:event", args=[self.pk])

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.starts_at and self.ends_at and self.ends_at < self.starts_at:
            raise ValidationError({"ends_at": _("The event cannot end before it starts.")})


class Registration(models.Model):
    class Status(models.TextChoices):
        REGISTERED = "registered", _("registered")
        WAITING = "waiting", _("on the waiting list")
        CANCELLED = "cancelled", _("cancelled")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="registrations")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pro_registrations"
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices)
    created_at = models.DateTimeField(_("asked on"), default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["event", "user"], name="one_registration_per_person")
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.event} ({self.get_status_display()})"


class Document(models.Model):
    class Kind(models.TextChoices):
        GUIDE = "guide", _("guide to an offer")
        TRAINING = "training", _("training material")
        WORKING_GROUP = "working_group", _("working group")
        COMMITTEE = "committee", _("steering committee")

    class Audience(models.TextChoices):
        STAFF = "staff", _("all staff of the network")
        WRITERS = "writers", _("editors and network administrators")
        ADMINS = "admins", _("network administrators only")

    network = models.ForeignKey(
        Network, verbose_name=_("network"), on_delete=models.CASCADE, related_name="pro_documents"
    )
    shared = models.BooleanField(
        _("shared with every network"),
        default=False,
        help_text=_("Staff of the other networks with the same role may read it too."),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    resource = models.ForeignKey(
        "catalog.Resource",
        verbose_name=_("resource"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="pro_documents",
        help_text=_("For a guide: the resource of the catalogue it presents."),
    )
    offer = models.CharField(
        _("offer"),
        max_length=200,
        blank=True,
        help_text=_("For an offer outside the catalogue: its name (e.g. a trial)."),
    )
    description = models.TextField(_("description"), blank=True)
    audience = models.CharField(
        _("who may read it"), max_length=10, choices=Audience.choices, default=Audience.STAFF
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = VisibleQuerySet.as_manager()

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["kind", "title"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("pro:document", args=[self.pk])

    @property
    def offer_name(self) -> str:
        return self.resource.name if self.resource_id else self.offer

    @property
    def current(self) -> DocumentVersion | None:
        return self.versions.order_by("-number").first()


class DocumentVersion(models.Model):
    """Each upload is kept: the latest is the current one."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    file = models.FileField(_("file"), upload_to="documents/%Y/", storage=private_storage)
    original_name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveBigIntegerField(_("size"))
    note = models.CharField(_("what changed"), max_length=300, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded on"), auto_now_add=True)

    class Meta:
        verbose_name = _("document version")
        verbose_name_plural = _("document versions")
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="one_version_number")
        ]

    def __str__(self) -> str:
        return f"{self.document} v{self.number}"


class OfferContact(models.Model):
    """Who to ask about an online offer: a resource of the catalogue, or an offer named
    in words when it is not (yet) in the catalogue."""

    network = models.ForeignKey(
        Network, verbose_name=_("network"), on_delete=models.CASCADE, related_name="pro_contacts"
    )
    resource = models.ForeignKey(
        "catalog.Resource",
        verbose_name=_("resource"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="pro_contacts",
    )
    offer = models.CharField(
        _("offer"),
        max_length=200,
        blank=True,
        help_text=_("For an offer outside the catalogue: its name."),
    )
    name = models.CharField(_("name"), max_length=200)
    role = models.CharField(_("role"), max_length=200, blank=True)
    library = models.ForeignKey(
        Library, verbose_name=_("library"), null=True, blank=True, on_delete=models.SET_NULL
    )
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("contact for an offer")
        verbose_name_plural = _("contacts for offers")
        ordering = ["offer", "name"]

    def __str__(self) -> str:
        return f"{self.offer_name} — {self.name}"

    @property
    def offer_name(self) -> str:
        return self.resource.name if self.resource_id else self.offer

    def clean(self) -> None:
        if not self.resource_id and not self.offer:
            raise ValidationError(
                {"offer": _("Choose a resource of the catalogue or name the offer.")}
            )


class PublishedQuerySet(models.QuerySet):
    def published(self, network: Network):
        return self.filter(network=network, publish_at__lte=timezone.now())


class NewsItem(models.Model):
    """News for patrons on a network's portal, shown from `publish_at` on."""

    class Kind(models.TextChoices):
        HIGHLIGHT = "highlight", _("highlight")
        NEW_RESOURCE = "new_resource", _("new resource")
        NEWS = "news", _("news")

    network = models.ForeignKey(
        Network, verbose_name=_("network"), on_delete=models.CASCADE, related_name="news"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.NEWS)
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("short name"), max_length=200)
    summary = models.CharField(_("summary"), max_length=300)
    body = models.TextField(_("text"), blank=True, help_text=_("Markdown."))
    body_html = models.TextField(editable=False, default="")
    link = models.URLField(_("link"), blank=True, help_text=_("E.g. the resource's page."))
    publish_at = models.DateTimeField(
        _("publish on"), default=timezone.now, help_text=_("Hidden from patrons until then.")
    )

    objects = PublishedQuerySet.as_manager()

    class Meta:
        verbose_name = _("news item")
        verbose_name_plural = _("news")
        ordering = ["-publish_at"]
        constraints = [
            models.UniqueConstraint(fields=["network", "slug"], name="news_slug_per_network")
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        self.body_html = render_markdown(self.body)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("pro:news_detail", args=[self.slug])


class Selection(models.Model):
    """« Coups de cœur »: a list chosen by librarians, each item a record of the
    catalogue or a free text."""

    network = models.ForeignKey(
        Network, verbose_name=_("network"), on_delete=models.CASCADE, related_name="selections"
    )
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("short name"), max_length=200)
    introduction = models.TextField(_("introduction"), blank=True)
    publish_at = models.DateTimeField(_("publish on"), default=timezone.now)

    objects = PublishedQuerySet.as_manager()

    class Meta:
        verbose_name = _("selection")
        verbose_name_plural = _("selections")
        ordering = ["-publish_at"]
        constraints = [
            models.UniqueConstraint(fields=["network", "slug"], name="selection_slug_per_network")
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("pro:selection", args=[self.slug])


class SelectionItem(models.Model):
    """One pick of a selection: a record of the catalogue (its title, cover and page
    are taken from it) or a title and a link written by hand."""

    selection = models.ForeignKey(Selection, on_delete=models.CASCADE, related_name="items")
    record = models.ForeignKey(
        "catalog.Record",
        verbose_name=_("record of the catalogue"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Its title, cover and page are shown; leave the title and link empty."),
    )
    title = models.CharField(_("title"), max_length=200, blank=True)
    link = models.URLField(_("link"), blank=True)
    description = models.TextField(_("why we like it"), blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("selected item")
        verbose_name_plural = _("selected items")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.shown_title

    def clean(self) -> None:
        if not self.record_id and not self.title:
            raise ValidationError({"title": _("Choose a record of the catalogue or give a title.")})

    @property
    def shown_title(self) -> str:
        return self.title or (self.record.title if self.record_id else "")

    @property
    def shown_link(self) -> str:
        if self.record_id:
            return self.link or self.record.get_absolute_url()
        return self.link

    @property
    def cover_url(self) -> str:
        return self.record.cover_url if self.record_id else ""
