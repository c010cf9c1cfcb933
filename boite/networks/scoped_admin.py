"""Admin classes that see only what `boite.networks.access` lets the user see.

Every ModelAdmin of the project derives from `ScopedModelAdmin` and declares the
lookups to the owning library and network and which roles may view, change, add
and delete; querysets, object pages and foreign-key choices are scoped by the same
access helper as the staff pages.

Shared models (providers, resources, distributor accounts) name their owner lookup in
`shared_owner`: only the owner network's administrators and the superusers change or
delete a row (`StaffAccess.may_change_shared`); the administrators of the other networks
it serves see it read-only, with a notice saying whose it is. When the model keeps
per-network settings in inlines (`keeps_own_settings`), those stay editable — each
network its own rows — and the shared row itself is never written by them.

Every foreign-key choice to a network lists the networks where the person holds a role
that may write this model; to a library, the libraries they manage.

Secrets (`boite.lib.crypto` fields) are write-only in every admin form, and a view-only
page shows only their state (« défini » / « non défini »). Never list a secret in
`readonly_fields` (its value would be printed): list its `<name>_state` instead.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.db import models
from django.db.models import Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from boite.lib.crypto import secret_fields
from boite.networks.access import StaffAccess, staff_access
from boite.networks.forms import StaffLoginForm
from boite.networks.models import Library, Network, StaffRole

Kind = StaffRole.Kind
ALL_ROLES = frozenset(Kind.values)


class BoiteAdminSite(admin.AdminSite):
    site_header = _("Boîte — back office")
    site_title = _("Boîte back office")
    index_title = _("Administration of the portal")
    login_form = StaffLoginForm

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
    # Shared models: the lookup to the owner network (None: not a shared model).
    shared_owner: str | None = None
    # Shared models whose inlines hold each network's own settings: non-owners may save
    # the page for them, every field of the shared row being read-only.
    keeps_own_settings: bool = False
    # Whether the owner's administrators see its rows even where their network is not
    # served (a licence stays visible to the networks that share it only).
    owner_sees_owned: bool = True
    # What a non-owner reads on the page: (owned by a network, owned by the consortium).
    shared_notice = (
        _("This belongs to the network « %(owner)s »: only its administrators change it."),
        _("This belongs to the consortium: only its technical administrators change it."),
    )
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
        access = self.access(request)
        base = super().get_queryset(request)
        scoped = access.scope(base, library=self.scope_library, network=self.scope_network)
        if (
            self.shared_owner
            and self.owner_sees_owned
            and not access.is_superuser
            and access.admin_network_ids
        ):
            # The owner sees what it owns, even where it does not use it.
            owned = access.scope_owned(base, self.shared_owner)
            return base.filter(Q(pk__in=scoped.values("pk")) | Q(pk__in=owned.values("pk")))
        return scoped

    # -- shared rows ----------------------------------------------------------------
    def may_change_shared(self, request: HttpRequest, obj) -> bool:
        """For a shared model, whether the person may change the row itself."""
        if obj is None or obj.pk is None or self.shared_owner is None:
            return True
        return self.access(request).may_change_shared(obj, self.shared_owner)

    def _shared_notice(self, obj) -> str:
        owned_by_network, owned_by_consortium = self.shared_notice
        *path, last = self.shared_owner.split("__")
        holder = obj
        for name in path:
            holder = getattr(holder, name)
        owner = getattr(holder, last)
        return owned_by_network % {"owner": owner} if owner else str(owned_by_consortium)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "GET" and self.shared_owner:
            obj = self.get_object(request, unquote(object_id))
            if obj is not None and not self.may_change_shared(request, obj):
                messages.info(request, self._shared_notice(obj))
        return super().change_view(request, object_id, form_url, extra_context)

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if self.may_change_shared(request, obj):
            return readonly
        # Every field of someone else's shared row; a secret shows only its state.
        if self.fieldsets:
            names = flatten_fieldsets(self.fieldsets)
        elif self.fields:
            names = list(self.fields)
        else:
            opts = self.model._meta
            names = [f.name for f in [*opts.fields, *opts.many_to_many] if f.editable]
        hidden = {f.name for f in secret_fields(self.model)}
        shown = [f"{n}_state" if n in hidden else n for n in names]
        return readonly + [n for n in shown if n not in readonly]

    def save_model(self, request, obj, form, change) -> None:
        if change and not self.may_change_shared(request, obj):
            return  # only the network's own settings (the inlines) are saved
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change) -> None:
        if change and not self.may_change_shared(request, form.instance):
            for formset in formsets:
                self.save_formset(request, form, formset, change=change)
            return
        super().save_related(request, form, formsets, change)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        roles = self.view_roles | self.change_roles
        return self._has_role(request, roles) and self._owns(request, obj)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return (
            self._has_role(request, self.change_roles)
            and self._owns(request, obj)
            and (self.keeps_own_settings or self.may_change_shared(request, obj))
        )

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._has_role(request, self.add_roles)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return (
            self._has_role(request, self.delete_roles)
            and self._owns(request, obj)
            and self.may_change_shared(request, obj)
        )

    def get_fieldsets(self, request: HttpRequest, obj=None):
        # A view-only page prints every field's value: a secret shows only its state.
        hidden = {f.name for f in secret_fields(self.model)}
        if (
            not hidden
            or obj is None
            or (self.has_change_permission(request, obj) and self.may_change_shared(request, obj))
        ):
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

    def writable_networks(self, request: HttpRequest):
        """Networks a new or changed row may point to: those where the person holds a
        role that writes this model (every network for a superuser)."""
        access = self.access(request)
        if access.is_superuser:
            return Network.objects.all()
        return Network.objects.filter(
            pk__in=access.network_ids(*(self.change_roles | self.add_roles))
        )

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        access = self.access(request)
        if "queryset" in kwargs:
            pass  # the subclass chose (finance, professional space)
        elif db_field.related_model is Library:
            kwargs["queryset"] = access.libraries().select_related("network")
        elif self.shared_owner and db_field.name == self.shared_owner:
            # An administrator gives what they create to their own network; only the
            # superuser leaves it to the consortium or hands it to another network.
            kwargs["queryset"] = access.networks()
            if not access.is_superuser:
                kwargs["required"] = True
                own = list(access.admin_network_ids)
                if len(own) == 1:
                    kwargs["initial"] = own[0]
        elif db_field.related_model is Network:
            kwargs["queryset"] = self.writable_networks(request)
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
        access = staff_access(request.user)
        if "queryset" in kwargs:
            pass  # the subclass chose
        elif db_field.related_model is Library:
            kwargs["queryset"] = access.libraries()
        elif db_field.related_model is Network:
            kwargs["queryset"] = access.networks()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
