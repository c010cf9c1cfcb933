"""Back office of the professional space, scoped like every admin of the project.

Editors and network administrators manage their network's content; editors are not
covered by `StaffAccess.scope()` (which knows administrators and library staff), so
the querysets here keep the rows of the networks where the person holds one of the
writing roles, as told by the same access helper.
"""

from django.contrib import admin

from boite.catalog.models import Record, Resource
from boite.networks.access import staff_access
from boite.networks.models import Library, Network
from boite.networks.scoped_admin import Kind, ScopedInline, ScopedModelAdmin
from boite.pro.models import (
    Attachment,
    Comment,
    Document,
    DocumentVersion,
    Event,
    NewsItem,
    OfferContact,
    Post,
    Registration,
    Selection,
    SelectionItem,
)

WRITERS = frozenset({Kind.NETWORK_ADMIN, Kind.EDITOR})


def writer_choices(request, model):
    """The rows of `model` a writer of the professional space may point to: those of the
    networks where they write (posts, libraries), the resources those networks serve and
    their records; everything for a superuser. A forged id outside them is refused by the
    form field (« choisissez une option valide »), not only hidden."""
    queryset = model._default_manager.all()
    if request.user.is_superuser:
        return queryset
    networks = staff_access(request.user).network_ids(*WRITERS)
    if model is Network:
        return queryset.filter(pk__in=networks)
    if model is Resource:
        return queryset.filter(
            pk__in=Resource.networks.through.objects.filter(network__in=networks).values(
                "resource_id"
            )
        )
    if model is Record:
        served = Resource.networks.through.objects.filter(network__in=networks)
        return queryset.filter(resource__in=served.values("resource_id"))
    if model in (Library, Post):
        return queryset.filter(network__in=networks)
    return None


class ProAdmin(ScopedModelAdmin):
    scope_library = None
    network_lookup = "network"
    view_roles = change_roles = add_roles = delete_roles = WRITERS

    def get_queryset(self, request):
        access = self.access(request)
        queryset = admin.ModelAdmin.get_queryset(self, request)
        if access.is_superuser:
            return queryset
        networks = access.network_ids(*WRITERS)
        return queryset.filter(**{f"{self.network_lookup}__in": networks})

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        choices = writer_choices(request, db_field.related_model)
        if choices is not None:
            kwargs["queryset"] = choices
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class _WrittenBy(ProAdmin):
    """Posts and comments are signed by whoever writes them: the author is not a field
    of the form, it is the logged-in person when the row is created and stays the
    original author when someone else edits it."""

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "author"]

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            obj.author = request.user
        super().save_model(request, obj, form, change)


class AttachmentInline(ScopedInline):
    model = Attachment
    fields = ["original_name", "description", "size"]
    readonly_fields = ["original_name", "size"]
    can_delete = True

    def has_add_permission(self, request, obj=None):
        return False  # files are added on the post's page, where they are checked


@admin.register(Post)
class PostAdmin(_WrittenBy):
    list_display = ["title", "category", "network", "shared", "published_at"]
    list_filter = ["category", "shared", "network"]
    search_fields = ["title", "body"]
    inlines = [AttachmentInline]


@admin.register(Comment)
class CommentAdmin(_WrittenBy):
    network_lookup = "post__network"
    list_display = ["post", "author", "created_at"]
    search_fields = ["body"]
    raw_id_fields = ["post"]  # the posts of the person's networks only (writer_choices)


class RegistrationInline(ScopedInline):
    model = Registration
    fields = ["user", "status", "created_at"]
    readonly_fields = ["user", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False  # registration goes through boite.pro.events (places, waiting list)


@admin.register(Event)
class EventAdmin(ProAdmin):
    list_display = ["title", "kind", "starts_at", "place", "capacity", "network", "shared"]
    list_filter = ["kind", "network"]
    inlines = [RegistrationInline]


class VersionInline(ScopedInline):
    model = DocumentVersion
    fields = ["number", "original_name", "size", "note", "uploaded_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False  # versions are uploaded on the document's page, where they are checked


@admin.register(Document)
class DocumentAdmin(ProAdmin):
    list_display = ["title", "kind", "resource", "offer", "audience", "network", "shared"]
    list_filter = ["kind", "audience", "network"]
    search_fields = ["title", "offer"]
    inlines = [VersionInline]


@admin.register(OfferContact)
class OfferContactAdmin(ProAdmin):
    list_display = ["offer_name", "name", "role", "library", "network"]
    search_fields = ["offer", "name"]


@admin.register(NewsItem)
class NewsItemAdmin(ProAdmin):
    list_display = ["title", "kind", "publish_at", "network"]
    list_filter = ["kind", "network"]
    prepopulated_fields = {"slug": ["title"]}
    search_fields = ["title"]


class SelectionItemInline(ScopedInline):
    model = SelectionItem
    extra = 1
    raw_id_fields = ["record"]  # records of the resources the network serves only

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        choices = writer_choices(request, db_field.related_model)
        if choices is not None:
            kwargs["queryset"] = choices
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Selection)
class SelectionAdmin(ProAdmin):
    list_display = ["title", "publish_at", "network"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [SelectionItemInline]
