"""Claims of the OpenID Connect provider: the connector of the client decides them."""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist
from oauth2_provider.oauth2_validators import OAuth2Validator

from boite.access.identity import identity_for

# Identity attribute → OIDC claim (standard names where OpenID Connect has one).
CLAIM_NAMES = {
    "email": "email",
    "first_name": "given_name",
    "last_name": "family_name",
    "birth_date": "birthdate",
}


def _connector_of(app):
    if app is None:
        return None
    try:
        return app.connector
    except ObjectDoesNotExist:
        return None


def _connector(request):
    client = getattr(request, "client", None)
    if client is None and getattr(request, "access_token", None) is not None:
        client = request.access_token.application
    return _connector_of(client)


class ConnectorValidator(OAuth2Validator):
    # The connector's settings choose the claims, not the scopes.
    oidc_claim_scope = None

    def _load_application(self, client_id, request):
        # A client whose connector is gone or out of service is an unknown client.
        app = super()._load_application(client_id, request)
        connector = _connector_of(app)
        if connector is None or not connector.is_active:
            request.client = None
            return None
        return app

    def get_claim_dict(self, request):
        connector = _connector(request)
        network = connector.network if connector else None
        identity = identity_for(request.user, network, connector) if network else None
        if identity is None:
            # Not (or no longer) a patron of the client's network: nothing to tell.
            return {"sub": ""}
        allowed = connector.settings.get("claims", [])
        claims = {"sub": identity.pseudonym}
        for name, value in identity.attributes(allowed).items():
            claims[CLAIM_NAMES.get(name, name)] = value
        return claims

    def get_discovery_claims(self, request):
        return ["sub", *CLAIM_NAMES.values(), "card_number", "library_code", "network"]
