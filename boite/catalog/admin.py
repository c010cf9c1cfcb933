"""Back office of the catalogue: network administrators manage the resources of their
network and launch harvests; library staff may look."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from boite.catalog.models import (
    HarvestRun,
    NetworkResource,
    Provider,
    Record,
    RejectedRecord,
    Resource,
)
from boite.catalog.search import index_record, index_resource
from boite.networks.access import staff_access
from boite.networks.models import StaffRole
from boite.networks.scoped_admin import ScopedInline, ScopedModelAdmin

Kind = StaffRole.Kind
VIEWERS = frozenset({Kind.NETWORK_ADMIN, Kind.LIBRARY_STAFF})


@admin.register(Provider)
class ProviderAdmin(ScopedModelAdmin):
    """Providers are shared by every network: administrators may add them (for their
    network, which owns them), any staff may look, only the owner network's
    administrators change them; only the consortium's technical administrators delete
    them."""

    scope_library = None
    scope_network = None
    shared_owner = "owner"
    shared_notice = (
        _("This provider belongs to the network « %(owner)s »: only its administrators change it."),
        _("This provider belongs to the consortium: only its technical administrators change it."),
    )
    view_roles = VIEWERS
    delete_roles = frozenset()
    list_display = ["name", "website", "owner"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    fields = ["name", "slug", "website", "description", "owner"]

    def get_queryset(self, request: HttpRequest):
        return Provider.objects.all() if self.access(request).is_staff else Provider.objects.none()


class _OwnPortalSettings(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        # A posted row id outside the person's own rows (another network's) finds no
        # instance: refuse the page rather than silently ignore the row.
        if any(form.instance.pk is None for form in self.initial_forms):
            raise ValidationError(_("These settings belong to another network's portal."))


class PortalSettingsInline(ScopedInline):
    """Each network's own settings of a resource: shown on its portal or not, and where.
    An administrator sees and edits the rows of their own networks only, whoever owns
    the resource; the superuser opens a resource to another network here."""

    model = NetworkResource
    formset = _OwnPortalSettings
    fields = ["network", "shown", "position"]
    verbose_name = _("setting on a portal")
    verbose_name_plural = _("on the portals")

    def get_queryset(self, request: HttpRequest):
        access = staff_access(request.user)
        queryset = super().get_queryset(request).select_related("network")
        if access.is_superuser:
            return queryset
        return queryset.filter(network__in=access.admin_network_ids)

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return () if request.user.is_superuser else ("network",)

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        # Which networks a resource serves is the consortium's decision; an administrator's
        # new resource is opened to their network when it is saved.
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_superuser


@admin.register(Resource)
class ResourceAdmin(ScopedModelAdmin):
    """A resource is shared by the networks it serves and changed by its owner network;
    the administrators of the other networks keep, on the same page, their own portal
    settings (inline), quotas and connectors (their own pages)."""

    scope_library = None
    scope_network = "networks"
    shared_owner = "owner"
    keeps_own_settings = True
    shared_notice = (
        _(
            "This resource belongs to the network « %(owner)s »: you may set its "
            "visibility and its order on your portal."
        ),
        _(
            "This resource belongs to the consortium: you may set its visibility and its "
            "order on your portal."
        ),
    )
    view_roles = VIEWERS
    inlines = [PortalSettingsInline]
    list_display = ["name", "provider", "category", "in_service", "owner", "last_harvested_at"]
    list_filter = ["category", "in_service", "provider"]
    search_fields = ["name", "provider__name"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["served_networks", "last_harvested_at", "harvest_button"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "provider",
                    "name",
                    "slug",
                    "category",
                    "in_service",
                    "owner",
                    "served_networks",
                ]
            },
        ),
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
                    "harvest_file",
                    "harvest_drop_file",
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

    def get_form(self, request, obj=None, **kwargs):
        from django import forms

        from boite.catalog.forms import ResourceAdminForm
        from boite.catalog.harvest import format_choices

        kwargs["widgets"] = {
            "harvest_format": forms.Select(choices=[("", "—"), *format_choices()]),
        }
        kwargs["form"] = type(
            "ResourceAdminForm",
            (ResourceAdminForm,),
            {"superuser": self.access(request).is_superuser},
        )
        return super().get_form(request, obj, **kwargs)

    def get_fieldsets(self, request: HttpRequest, obj=None):
        from boite.catalog.harvest.sources import drop_dir

        fieldsets = super().get_fieldsets(request, obj)
        if drop_dir() is not None or (obj is not None and obj.harvest_drop_file):
            return fieldsets
        # No drop directory on this server: the choice is not offered at all.
        return [
            (name, {**opts, "fields": [f for f in opts["fields"] if f != "harvest_drop_file"]})
            for name, opts in fieldsets
        ]

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        if change and "category" in form.changed_data:
            # The category is in every document of the resource (its facet, its words).
            transaction.on_commit(lambda: index_resource(obj))

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        if not change and form.instance.owner_id:
            # A new resource is opened to the network that owns it.
            NetworkResource.objects.get_or_create(
                resource=form.instance, network_id=form.instance.owner_id
            )

    @admin.display(description=_("networks served"))
    def served_networks(self, obj: Resource) -> str:
        if obj is None or not obj.pk:
            return "—"
        return ", ".join(str(n) for n in obj.networks.all()) or "—"

    @admin.display(description=_("Harvest now"))
    def harvest_button(self, obj: Resource) -> str:
        if obj is None or not obj.pk or not getattr(obj, "_may_harvest", True):
            return "—"
        url = reverse("catalog:harvest_start", args=[obj.slug])
        return format_html('<a class="button" href="{}">{}</a>', url, _("Harvest this resource"))

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            # Harvesting rewrites the records every network shows: the owner's call.
            obj._may_harvest = self.may_change_shared(request, obj)
        return obj


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
    # The uploaded file has no public address: the run's report links to it.
    exclude = ["source_file"]

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

    # Records belong to their resource: only its owner network changes them (every
    # network serving the resource shows them).
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
            or Resource.objects.owned_by(self.access(request)).filter(pk=obj.resource_id).exists()
        )

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return self.has_change_permission(request, obj) and super().has_delete_permission(
            request, obj
        )

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        if db_field.related_model is Resource:
            kwargs["queryset"] = Resource.objects.owned_by(self.access(request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
