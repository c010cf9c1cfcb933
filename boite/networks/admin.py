from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from boite.networks.access import staff_access
from boite.networks.models import (
    Authority,
    AuthorityPopulation,
    Library,
    Network,
    NetworkHost,
    StaffRole,
    User,
)
from boite.networks.scoped_admin import Kind, ScopedInline, ScopedModelAdmin


class NetworkHostInline(ScopedInline):
    """Host names route requests to portals: only the superuser changes them."""

    model = NetworkHost

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(Network)
class NetworkAdmin(ScopedModelAdmin):
    scope_library = None
    scope_network = "pk"
    add_roles = delete_roles = frozenset()  # networks are created by the superuser only
    inlines = [NetworkHostInline]
    list_display = ["name", "partner", "is_active"]
    prepopulated_fields = {"slug": ["name"]}
    fieldsets = [
        (None, {"fields": ["name", "slug", "partner", "is_active"]}),
        (_("Branding"), {"fields": ["logo", "primary_colour", "accent_colour", "tagline"]}),
        (_("Home page"), {"fields": ["welcome_text"]}),
        (_("Contact"), {"fields": ["contact_email", "contact_phone", "contact_address"]}),
        (
            _("Legal pages"),
            {
                "fields": [
                    "legal_notice",
                    "privacy_notice",
                    "accessibility_status",
                    "accessibility_audit_date",
                    "accessibility_details",
                ]
            },
        ),
    ]

    def get_readonly_fields(self, request, obj=None):
        return () if self.access(request).is_superuser else ("slug", "partner", "is_active")


@admin.register(Library)
class LibraryAdmin(ScopedModelAdmin):
    scope_library = "pk"
    view_roles = change_roles = frozenset({Kind.NETWORK_ADMIN, Kind.LIBRARY_STAFF})
    list_display = ["name", "authority", "network", "membership"]
    list_filter = ["membership", "network"]
    search_fields = ["name", "authority__name", "postal_code"]
    list_select_related = ["authority", "network"]
    autocomplete_fields = ["authority"]
    prepopulated_fields = {"slug": ["name"]}

    def get_readonly_fields(self, request, obj=None):
        # Staff of a library keep its details up to date but do not move it or end
        # its membership: that is the network administrator's decision.
        if self.access(request).is_superuser or self.access(request).admin_network_ids:
            return ()
        return ("network", "authority", "slug", "membership")


class PopulationInline(ScopedInline):
    model = AuthorityPopulation


@admin.register(Authority)
class AuthorityAdmin(ScopedModelAdmin):
    scope_library = scope_network = None  # authorities are shared by every network
    view_roles = frozenset({Kind.NETWORK_ADMIN, Kind.FINANCE, Kind.LIBRARY_STAFF})
    change_roles = add_roles = delete_roles = frozenset({Kind.FINANCE})
    inlines = [PopulationInline]
    list_display = ["name", "code", "kind", "postal_codes"]
    list_filter = ["kind"]
    search_fields = ["name", "code", "postal_codes"]
    autocomplete_fields = ["parent"]


@admin.register(StaffRole)
class StaffRoleAdmin(ScopedModelAdmin):
    list_display = ["user", "kind", "network", "library"]
    list_filter = ["kind", "network"]
    list_select_related = ["user", "network", "library"]
    search_fields = ["user__username", "user__email", "library__name"]
    autocomplete_fields = ["user", "library"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.related_model is User:
            kwargs["queryset"] = self.access(request).assignable_users(User.objects.all())
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Accounts are the superuser's; network administrators only pick staff accounts
    through the autocomplete of the role form."""

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        if request.user.is_superuser:
            return True
        match = request.resolver_match
        return (
            obj is None
            and bool(staff_access(request.user).admin_network_ids)
            and match is not None
            and match.url_name == "autocomplete"
        )

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def get_search_results(self, request, queryset, search_term):
        queryset = staff_access(request.user).assignable_users(queryset)
        return super().get_search_results(request, queryset, search_term)
