from django.contrib import admin
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters
from oauth2_provider import models as oauth2_models

from boite.access import connectors
from boite.access.forms import ConnectorForm
from boite.access.models import Connector, Quota
from boite.catalog.models import Resource
from boite.networks.scoped_admin import ScopedModelAdmin


@admin.register(Connector)
class ConnectorAdmin(ScopedModelAdmin):
    """Network administrators only: connectors carry the providers' secrets."""

    form = ConnectorForm
    scope_library = None
    scope_network = "network"
    list_display = ["name", "resource", "kind", "network", "is_active", "secret_state"]
    list_filter = ["kind", "is_active"]
    list_select_related = ["resource", "network"]
    search_fields = ["name"]
    readonly_fields = ["oidc_client_id"]

    @method_decorator(
        sensitive_post_parameters(*(f"secret_{n}" for n in connectors.all_secret_names()))
    )
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # An error report never carries a typed secret.
        return super().changeform_view(request, object_id, form_url, extra_context)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.related_model is Resource:
            kwargs["queryset"] = Resource.objects.for_staff(self.access(request), manage=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("secrets"))
    def secret_state(self, obj: Connector) -> str:
        return _("set") if obj.secrets else _("none")

    @admin.display(description=_("OpenID Connect client id"))
    def oidc_client_id(self, obj: Connector) -> str:
        return obj.oauth_application.client_id if obj and obj.oauth_application else "—"


@admin.register(Quota)
class QuotaAdmin(ScopedModelAdmin):
    """Network administrators: how many accesses per patron and period a resource allows
    (« 4 films a month »), shown to patrons before they click « Accéder »."""

    scope_library = None
    scope_network = "network"
    list_display = ["resource", "network", "limit", "unit_plural", "period"]
    list_filter = ["period"]
    list_select_related = ["resource", "network"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.related_model is Resource:
            kwargs["queryset"] = Resource.objects.for_staff(self.access(request), manage=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def unregister_toolkit_admin() -> None:
    """OAuth clients and tokens are the toolkit's internals: clients are made by OIDC
    connectors only, and the toolkit's admin classes are not scoped by network."""
    for model in (
        oauth2_models.get_application_model(),
        oauth2_models.get_access_token_model(),
        oauth2_models.get_grant_model(),
        oauth2_models.get_id_token_model(),
        oauth2_models.get_refresh_token_model(),
    ):
        if admin.site.is_registered(model):
            admin.site.unregister(model)
