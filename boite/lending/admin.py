from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from boite.lending.models import DistributorAccount, LendingRules, Licence, SyncRun
from boite.lib.crypto import SecretsFollowAddress
from boite.networks.models import Network
from boite.networks.scoped_admin import Kind, ScopedModelAdmin


class _NetworkScoped(ScopedModelAdmin):
    """Licences and accounts belong to one or more networks (a many-to-many)."""

    scope_library = None

    def get_queryset(self, request):
        return super().get_queryset(request).distinct()

    def save_related(self, request, form, formsets, change):
        """The form only offers the person's own networks: saving it must not take a shared
        licence or account away from the other network."""
        hidden = []
        if change and not self.access(request).is_superuser:
            own = set(self.access(request).networks().values_list("pk", flat=True))
            hidden = [n for n in form.instance.networks.all() if n.pk not in own]
        super().save_related(request, form, formsets, change)
        if hidden:
            form.instance.networks.add(*hidden)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.related_model is Network:
            kwargs["queryset"] = self.access(request).networks()
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class DistributorAccountForm(SecretsFollowAddress, forms.ModelForm):
    """The password is for the account's address and login only."""

    address_fields = ("base_url", "login")
    base_url = DistributorAccount._meta.get_field("base_url").formfield(assume_scheme="https")

    class Meta:
        model = DistributorAccount
        fields = [
            "name",
            "kind",
            "base_url",
            "login",
            "password",
            "timeout_seconds",
            "networks",
            "owner",
            "is_active",
        ]


@admin.register(DistributorAccount)
class DistributorAccountAdmin(_NetworkScoped):
    """An account is shared by the networks it serves; its owner network's administrators
    change it (address, login, password, networks), the others see it read-only."""

    scope_network = "networks"
    shared_owner = "owner"
    shared_notice = (
        _(
            "This distributor account belongs to the network « %(owner)s »: only its "
            "administrators change it."
        ),
        _(
            "This distributor account belongs to the consortium: only its technical "
            "administrators change it."
        ),
    )
    form = DistributorAccountForm
    list_display = ["name", "kind", "base_url", "owner", "is_active"]
    list_filter = ["kind", "is_active"]


@admin.register(Licence)
class LicenceAdmin(_NetworkScoped):
    """A licence is bought through an account: the account's owner network changes it."""

    scope_network = "networks"
    shared_owner = "account__owner"
    owner_sees_owned = False
    shared_notice = (
        _(
            "This licence was bought through an account of the network « %(owner)s »: "
            "only its administrators change it."
        ),
        _(
            "This licence was bought through an account of the consortium: only its "
            "technical administrators change it."
        ),
    )
    add_roles = frozenset()  # licences come from the distributors' offers
    list_display = [
        "title",
        "ean",
        "format",
        "loans_left",
        "loans_total",
        "concurrent_in_use",
        "concurrent_max",
        "valid_until",
        "state",
    ]
    list_filter = ["state", "format", "account"]
    search_fields = ["title", "ean", "distributor_key"]
    list_select_related = ["account"]
    # Counters belong to the distributor: the sync writes them, nobody edits them here.
    readonly_fields = [
        "account",
        "distributor_key",
        "ean",
        "format",
        "loans_total",
        "loans_left",
        "concurrent_max",
        "concurrent_in_use",
        "loan_max_days",
        "valid_from",
        "valid_until",
        "state",
        "info_url",
        "checkout_url",
        "price",
        "synced_at",
    ]


@admin.register(SyncRun)
class SyncRunAdmin(_NetworkScoped):
    scope_network = "account__networks"
    view_roles = frozenset({Kind.NETWORK_ADMIN})
    change_roles = add_roles = delete_roles = frozenset()
    list_display = ["started_at", "account", "kind", "outcome", "seen", "problem_count"]
    list_filter = ["kind", "outcome", "account"]


@admin.register(LendingRules)
class LendingRulesAdmin(ScopedModelAdmin):
    """Each network administrator sets the limits of their own network."""

    scope_library = None
    scope_network = "network"
    list_display = ["network", "max_loans", "max_loans_per_month", "max_holds", "hold_window_hours"]
