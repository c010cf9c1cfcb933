from django import forms
from django.contrib import admin
from django.utils.text import capfirst

from boite.lib.crypto import SecretsFollowAddress
from boite.networks.scoped_admin import ScopedModelAdmin
from boite.stats.models import CounterReport, ProviderAccount, RollupRun

_SUSHI_URL = ProviderAccount._meta.get_field("sushi_url")


class ProviderAccountForm(SecretsFollowAddress, forms.ModelForm):
    """The SUSHI API key is for the account's server and requestor only."""

    address_fields = ("sushi_url", "requestor_id")
    sushi_url = forms.URLField(
        label=capfirst(_SUSHI_URL.verbose_name),
        help_text=_SUSHI_URL.help_text,
        required=False,
        assume_scheme="https",
    )

    class Meta:
        model = ProviderAccount
        fields = [
            "network",
            "catalog_provider",
            "provider",
            "name",
            "customer_id",
            "sushi_url",
            "requestor_id",
            "api_key",
            "sushi_reports",
        ]


@admin.register(ProviderAccount)
class ProviderAccountAdmin(ScopedModelAdmin):
    """Network administrators keep their network's provider accounts."""

    form = ProviderAccountForm
    scope_library = None
    list_display = [
        "name",
        "catalog_provider",
        "provider",
        "network",
        "customer_id",
        "last_fetch_at",
    ]
    list_filter = ["network"]
    readonly_fields = ["last_fetch_at", "last_fetch_result"]


@admin.register(CounterReport)
class CounterReportAdmin(ScopedModelAdmin):
    """Imported reports can be read and deleted here; they are imported from the
    statistics pages."""

    scope_library = None
    add_roles = change_roles = frozenset()
    list_display = ["provider", "report_id", "release", "begin", "end", "network", "source"]
    list_filter = ["network", "report_id", "source"]
    readonly_fields = [f.name for f in CounterReport._meta.fields]


@admin.register(RollupRun)
class RollupRunAdmin(ScopedModelAdmin):
    """The roll-up's runs and failures, for the consortium's technical administrators."""

    scope_library = scope_network = None
    view_roles = add_roles = change_roles = delete_roles = frozenset()
    list_display = ["started_at", "first_day", "last_day", "events", "ok"]
    readonly_fields = [f.name for f in RollupRun._meta.fields]
