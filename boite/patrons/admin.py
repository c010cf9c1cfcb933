from django.contrib import admin

from boite.networks.scoped_admin import Kind, ScopedInline, ScopedModelAdmin
from boite.patrons.models import Patron, PatronEvent, PatronRules


class PatronEventInline(ScopedInline):
    model = PatronEvent
    fields = ["at", "kind", "actor", "library", "note"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Patron)
class PatronAdmin(ScopedModelAdmin):
    scope_library = "home_library"
    view_roles = change_roles = frozenset({Kind.NETWORK_ADMIN, Kind.LIBRARY_STAFF})
    add_roles = frozenset()  # patrons register online or arrive by the import
    delete_roles = frozenset()  # erasure goes through the patron page (keeps the pseudonym)
    list_display = ["__str__", "card_number", "home_library", "state", "expires_on"]
    list_filter = ["state"]
    search_fields = ["search_text"]
    list_select_related = ["user", "home_library"]
    raw_id_fields = ["user"]
    readonly_fields = [
        "user",
        "network",
        "pseudonym",
        "registered_at",
        "consent_at",
        "email_confirmed_at",
        "validated_at",
        "erased_at",
    ]
    inlines = [PatronEventInline]


@admin.register(PatronRules)
class PatronRulesAdmin(ScopedModelAdmin):
    scope_library = None
    list_display = ["network", "identity_source", "trial_days", "validity_days"]
