"""Admin classes that see only what `boite.networks.access` lets the user see.

Every ModelAdmin of the project derives from `ScopedModelAdmin` and declares the
lookups to the owning library and network and which roles may view, change, add
and delete; querysets, object pages and foreign-key choices are scoped by the same
access helper as the staff pages.

Secrets (`boite.lib.crypto` fields) are write-only in every admin form, and a view-only
page shows only their state (« défini » / « non défini »). Never list a secret in
`readonly_fields` (its value would be printed): list its `<name>_state` instead.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.db import models
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from boite.lib.crypto import secret_fields
from boite.networks.access import StaffAccess, staff_access
from boite.networks.models import Library, Network, StaffRole

Kind = StaffRole.Kind
ALL_ROLES = frozenset(Kind.values)


class BoiteAdminSite(admin.AdminSite):
    site_header = _("Boîte — back office")
    site_title = _("Boîte back office")
    index_title = _("Administration of the portal")

    def has_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and staff_access(request.user).is_staff

    def login(self, request: HttpRequest, extra_context=None):
        # Every staff login lands on the desk (/gestion/), unless a page sent it here.
        if REDIRECT_FIELD_NAME not in request.GET and REDIRECT_FIELD_NAME not in request.POST:
            request.GET = request.GET.copy()
            request.GET[REDIRECT_FIELD_NAME] = reverse("networks:desk")
        return super().login(request, extra_context)


class ScopedModelAdmin(admin.ModelAdmin):
    scope_library: str | None = "library"
    scope_network: str | None = "network"
    view_roles: frozenset[str] = frozenset({Kind.NETWORK_ADMIN})
    change_roles: frozenset[str] = frozenset({Kind.NETWORK_ADMIN})
    add_roles: frozenset[str] = frozenset({Kind.NETWORK_ADMIN})
    delete_roles: frozenset[str] = frozenset({Kind.NETWORK_ADMIN})
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    @staticmethod
    def access(request: HttpRequest) -> StaffAccess:
        return staff_access(request.user)

    def _has_role(self, request: HttpRequest, roles: frozenset[str]) -> bool:
        access = self.access(request)
        return access.is_superuser or any(kind in roles for kind, _n, _l in access.roles)

    def _owns(self, request: HttpRequest, obj) -> bool:
        return obj is None or self.get_queryset(request).filter(pk=obj.pk).exists()

    def get_queryset(self, request: HttpRequest):
        return self.access(request).scope(
            super().get_queryset(request), library=self.scope_library, network=self.scope_network
        )

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        roles = self.view_roles | self.change_roles
        return self._has_role(request, roles) and self._owns(request, obj)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._has_role(request, self.change_roles) and self._owns(request, obj)

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._has_role(request, self.add_roles)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._has_role(request, self.delete_roles) and self._owns(request, obj)

    def get_fieldsets(self, request: HttpRequest, obj=None):
        # A view-only page prints every field's value: a secret shows only its state.
        hidden = {f.name for f in secret_fields(self.model)}
        if not hidden or obj is None or self.has_change_permission(request, obj):
            return super().get_fieldsets(request, obj)
        return [
            (name, {**options, "fields": _state_instead(options["fields"], hidden)})
            for name, options in super().get_fieldsets(request, obj)
        ]

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # An error report never carries a typed secret.
        typed = [f.name for f in secret_fields(self.model) if f.editable]
        already = getattr(request, "sensitive_post_parameters", ())
        if typed and already != "__ALL__":
            request.sensitive_post_parameters = [*already, *typed]
        return super().changeform_view(request, object_id, form_url, extra_context)

    def get_prepopulated_fields(self, request: HttpRequest, obj=None) -> dict:
        readonly = set(self.get_readonly_fields(request, obj))
        return {k: v for k, v in self.prepopulated_fields.items() if k not in readonly}

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        access = self.access(request)
        if db_field.related_model is Library:
            kwargs["queryset"] = access.libraries().select_related("network")
        elif db_field.related_model is Network and not access.is_superuser:
            kwargs["queryset"] = Network.objects.filter(pk__in=access.network_ids())
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def _state_instead(fields, secrets: set[str]) -> list:
    """A fieldset's field names with each secret replaced by its `<name>_state`."""
    return [
        _state_instead(name, secrets)
        if isinstance(name, (list, tuple))
        else (f"{name}_state" if name in secrets else name)
        for name in fields
    ]


class ScopedInline(admin.TabularInline):
    """An inline shown and editable when its parent page is: it asks the parent's admin,
    so the roles of the page decide, not Django's per-model permissions."""

    extra = 0
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def _parent_admin(self) -> admin.ModelAdmin | None:
        return self.admin_site._registry.get(self.parent_model)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        parent = self._parent_admin()
        return bool(parent) and (
            parent.has_view_permission(request, obj) or parent.has_change_permission(request, obj)
        )

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        parent = self._parent_admin()
        return bool(parent) and parent.has_change_permission(request, obj)

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return self.has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return self.has_change_permission(request, obj)

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        if db_field.related_model is Library:
            kwargs["queryset"] = staff_access(request.user).libraries()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
