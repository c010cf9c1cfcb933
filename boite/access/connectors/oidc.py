"""OpenID Connect: the portal is the provider (django-oauth-toolkit), one client per
connector.

The connector keeps an OAuth application in step with its settings: redirect URIs,
confidential client, authorisation code with PKCE (required by OAUTH2_PROVIDER),
RS256 ID tokens. The client secret is a connector secret; the application stores only
its hash. Claims are those of `claims`, computed by boite.access.oidc_validator.
"""

from __future__ import annotations

from django import forms
from django.http import HttpResponseRedirect
from django.utils.translation import gettext_lazy as _
from oauth2_provider.models import get_application_model
from oauth2_provider.settings import oauth2_settings

from boite.access.connectors import ConnectorKind, JSONListField, register
from boite.access.connectors.cas import AttributesField


class OidcSettings(forms.Form):
    url = forms.URLField(label=_("address of the provider's entry page"), assume_scheme="https")
    redirect_uris = JSONListField(
        label=_("redirect addresses of the provider"),
        item_field=forms.URLField(assume_scheme="https"),
        required=True,
    )
    claims = AttributesField(label=_("claims sent to the provider"))

    def clean(self) -> dict:
        if not oauth2_settings.OIDC_ENABLED:
            raise forms.ValidationError(
                _("OpenID Connect is off on this server: OIDC_RSA_PRIVATE_KEY is not set.")
            )
        return super().clean()


@register
class Oidc(ConnectorKind):
    kind = "oidc"
    label = _("OpenID Connect (the portal identifies the patron)")
    settings_form = OidcSettings
    secret_names = ("client_secret",)

    def handover(self, connector, request, identity, target=""):
        return HttpResponseRedirect(self.target_or_home(connector, target))

    def saved(self, connector, changed_secrets):
        Application = get_application_model()
        app = connector.oauth_application
        if app is None:
            app = Application(
                client_type=Application.CLIENT_CONFIDENTIAL,
                authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
                skip_authorization=True,
                algorithm=Application.RS256_ALGORITHM,
            )
        app.name = f"{connector.network.slug}: {connector.name}"[:255]
        app.redirect_uris = " ".join(connector.settings.get("redirect_uris", []))
        # RP-initiated logout returns only to the provider's own addresses.
        after_logout = [*connector.settings.get("redirect_uris", []), connector.settings["url"]]
        app.post_logout_redirect_uris = " ".join(dict.fromkeys(after_logout))
        if "client_secret" in changed_secrets or app.pk is None:
            # Without a secret set, a random one nobody knows keeps the client closed.
            from oauth2_provider.generators import generate_client_secret

            app.client_secret = connector.secret("client_secret") or generate_client_secret()
        app.save()
        if connector.oauth_application_id != app.pk:
            type(connector).objects.filter(pk=connector.pk).update(oauth_application=app)
            connector.oauth_application = app
