"""Back office of the professional space, scoped like every admin of the project.

Editors and network administrators manage their network's content; editors are not
covered by `StaffAccess.scope()` (which knows administrators and library staff), so
the querysets here keep the rows of the networks where the person holds one of the
writing roles, as told by the same access helper.
"""

from django.contrib import admin

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
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        access = self.access(request)
        if db_field.related_model is Network and not access.is_superuser:
            field.queryset = Network.objects.filter(pk__in=access.network_ids(*WRITERS))
        elif db_field.related_model is Library and not access.is_superuser:
            field.queryset = Library.objects.filter(network__in=access.network_ids(*WRITERS))
        return field


class AttachmentInline(ScopedInline):
    model = Attachment
    fields = ["original_name", "description", "size"]
    readonly_fields = ["original_name", "size"]
    can_delete = True

    def has_add_permission(self, request, obj=None):
        return False  # files are added on the post's page, where they are checked


@admin.register(Post)
class PostAdmin(ProAdmin):
    list_display = ["title", "category", "network", "shared", "published_at"]
    list_filter = ["category", "shared", "network"]
    search_fields = ["title", "body"]
    inlines = [AttachmentInline]
    raw_id_fields = ["author"]


@admin.register(Comment)
class CommentAdmin(ProAdmin):
    network_lookup = "post__network"
    list_display = ["post", "author", "created_at"]
    search_fields = ["body"]
    raw_id_fields = ["post", "author"]


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
    raw_id_fields = ["record"]


@admin.register(Selection)
class SelectionAdmin(ProAdmin):
    list_display = ["title", "publish_at", "network"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [SelectionItemInline]
