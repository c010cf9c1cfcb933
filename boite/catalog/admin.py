"""Back office of the catalogue: network administrators manage the resources of their
network and launch harvests; library staff may look."""

from __future__ import annotations

from django.contrib import admin
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from boite.catalog.models import HarvestRun, Provider, Record, RejectedRecord, Resource
from boite.catalog.search import index_record, index_resource
from boite.networks.models import Network, StaffRole
from boite.networks.scoped_admin import ScopedInline, ScopedModelAdmin

Kind = StaffRole.Kind
VIEWERS = frozenset({Kind.NETWORK_ADMIN, Kind.LIBRARY_STAFF})


@admin.register(Provider)
class ProviderAdmin(ScopedModelAdmin):
    """Providers are shared by every network: administrators may add them, any staff
    may look; only the consortium's technical administrators delete them."""

    scope_library = None
    scope_network = None
    view_roles = VIEWERS
    delete_roles = frozenset()
    list_display = ["name", "website"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request: HttpRequest):
        return Provider.objects.all() if self.access(request).is_staff else Provider.objects.none()


@admin.register(Resource)
class ResourceAdmin(ScopedModelAdmin):
    scope_library = None
    scope_network = "networks"
    view_roles = VIEWERS
    list_display = ["name", "provider", "category", "in_service", "last_harvested_at"]
    list_filter = ["category", "in_service", "provider"]
    search_fields = ["name", "provider__name"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["last_harvested_at", "harvest_button"]
    fieldsets = [
        (None, {"fields": ["provider", "name", "slug", "category", "in_service", "networks"]}),
        (
            _("For patrons"),
            {
                "fields": [
                    "description",
                    "audience",
                    "age_min",
                    "age_max",
                    "logo",
                    "how_to_computer",
                    "how_to_phone",
                    "how_to_tv",
                ]
            },
        ),
        (
            _("Harvest"),
            {
                "fields": [
                    "harvest_format",
                    "harvest_source",
                    "harvest_auth",
                    "harvest_username",
                    "harvest_secret",
                    "harvest_options",
                    "harvest_schedule",
                    "last_harvested_at",
                    "harvest_button",
                ]
            },
        ),
    ]

    def get_queryset(self, request: HttpRequest):
        return Resource.objects.for_staff(self.access(request)).select_related("provider")

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return super().has_change_permission(request, obj) and (
            obj is None
            or Resource.objects.for_staff(self.access(request), manage=True)
            .filter(pk=obj.pk)
            .exists()
        )

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return self.has_change_permission(request, obj) and super().has_delete_permission(
            request, obj
        )

    def get_form(self, request, obj=None, **kwargs):
        from django import forms

        from boite.catalog.harvest import format_choices

        kwargs["widgets"] = {
            "harvest_format": forms.Select(choices=[("", "—"), *format_choices()]),
        }
        return super().get_form(request, obj, **kwargs)

    def formfield_for_manytomany(self, db_field, request: HttpRequest, **kwargs):
        access = self.access(request)
        if db_field.related_model is Network and not access.is_superuser:
            kwargs["queryset"] = Network.objects.filter(pk__in=access.admin_network_ids)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        if change and "category" in form.changed_data:
            # The category is in every document of the resource (its facet, its words).
            transaction.on_commit(lambda: index_resource(obj))

    def save_related(self, request, form, formsets, change) -> None:
        # An administrator sees only their own networks in the form: the other networks
        # the resource is open to must survive the save.
        kept = []
        if change and not self.access(request).is_superuser:
            kept = list(
                form.instance.networks.exclude(pk__in=self.access(request).admin_network_ids)
            )
        super().save_related(request, form, formsets, change)
        if kept:
            form.instance.networks.add(*kept)

    @admin.display(description=_("Harvest now"))
    def harvest_button(self, obj: Resource) -> str:
        if obj is None or not obj.pk:
            return "—"
        url = reverse("catalog:harvest_start", args=[obj.slug])
        return format_html('<a class="button" href="{}">{}</a>', url, _("Harvest this resource"))


class RejectedRecordInline(ScopedInline):
    model = RejectedRecord
    fields = ["position", "provider_id", "reason", "excerpt"]
    readonly_fields = fields
    can_delete = False
    max_num = 0


@admin.register(HarvestRun)
class HarvestRunAdmin(ScopedModelAdmin):
    scope_library = None
    scope_network = "resource__networks"
    view_roles = VIEWERS
    change_roles = frozenset()
    add_roles = frozenset()
    list_display = [
        "resource",
        "queued_at",
        "status",
        "mode",
        "created",
        "updated",
        "withdrawn",
        "rejected",
        "status_page",
    ]
    list_filter = ["status", "mode"]
    inlines = [RejectedRecordInline]

    def get_queryset(self, request: HttpRequest):
        visible = Resource.objects.for_staff(self.access(request)).values("pk")
        return HarvestRun.objects.filter(resource__in=visible).select_related("resource")

    @admin.display(description=_("Report"))
    def status_page(self, obj: HarvestRun) -> str:
        return format_html('<a href="{}">{}</a>', obj.get_absolute_url(), _("report"))


@admin.register(Record)
class RecordAdmin(ScopedModelAdmin):
    scope_library = None
    scope_network = "resource__networks"
    view_roles = VIEWERS
    add_roles = frozenset()
    list_display = ["title", "resource", "kind", "year", "withdrawn"]
    list_filter = ["withdrawn", "kind", "resource"]
    search_fields = ["title", "provider_id", "isbn"]
    readonly_fields = ["source_payload", "created_at", "updated_at"]
    list_select_related = ["resource"]

    def get_queryset(self, request: HttpRequest):
        visible = Resource.objects.for_staff(self.access(request)).values("pk")
        return Record.objects.filter(resource__in=visible)

    # A record edited, withdrawn or deleted here is found (or no longer found) by search
    # at once, not at the next harvest.
    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        obj._index_pk = obj.pk
        transaction.on_commit(lambda: index_record(obj))

    def delete_model(self, request, obj) -> None:
        obj._index_pk, obj._deleted = obj.pk, True
        super().delete_model(request, obj)
        transaction.on_commit(lambda: index_record(obj))

    def delete_queryset(self, request, queryset) -> None:
        resources = {record.resource for record in queryset.select_related("resource")}
        super().delete_queryset(request, queryset)
        for resource in resources:
            transaction.on_commit(lambda resource=resource: index_resource(resource))

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return super().has_change_permission(request, obj) and (
            obj is None
            or Resource.objects.for_staff(self.access(request), manage=True)
            .filter(pk=obj.resource_id)
            .exists()
        )

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return self.has_change_permission(request, obj) and super().has_delete_permission(
            request, obj
        )

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        if db_field.related_model is Resource:
            kwargs["queryset"] = Resource.objects.for_staff(self.access(request), manage=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
