"""The OpenID Connect provider's validator: the connector of the client decides the
claims; `prompt=none` is answered for a patron already logged in (the authorisation
view sends anyone else a `login_required`); a second exchange of one authorisation code
revokes what the first one gave (RFC 6749 §4.1.2)."""

from __future__ import annotations

import hashlib
import logging

from django.core.exceptions import ObjectDoesNotExist
from oauth2_provider.models import (
    get_access_token_model,
    get_refresh_token_model,
    revoke_access_token,
)
from oauth2_provider.oauth2_validators import OAuth2Validator

from boite.access.identity import identity_for

log = logging.getLogger(__name__)

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

    # -- prompt=none: the view lets only a logged-in patron of the network reach this --
    def validate_silent_login(self, request) -> bool:
        # oauthlib asks before the toolkit puts the user on its request; the view has
        # already answered every visitor who is not a logged-in patron of the network
        # (login_required), so whoever reaches this point is logged in.
        return True

    def validate_silent_authorization(self, request) -> bool:
        # Connectors' clients skip the consent screen: nothing to ask the patron.
        return True

    # -- a code exchanged twice revokes the tokens of the first exchange --------------
    def _save_bearer_token(self, token, request, *args, **kwargs):
        from boite.access.models import UsedAuthorizationCode

        result = super()._save_bearer_token(token, request, *args, **kwargs)
        code = getattr(request, "code", None)
        if request.grant_type == "authorization_code" and code and token.get("access_token"):
            checksum = hashlib.sha256(token["access_token"].encode()).hexdigest()
            access_token = get_access_token_model().objects.filter(token_checksum=checksum).first()
            UsedAuthorizationCode.objects.update_or_create(
                code_checksum=_code_checksum(code), defaults={"access_token": access_token}
            )
        return result

    def validate_code(self, client_id, code, client, request, *args, **kwargs):
        if super().validate_code(client_id, code, client, request, *args, **kwargs):
            return True
        from boite.access.models import UsedAuthorizationCode

        used = (
            UsedAuthorizationCode.objects.filter(code_checksum=_code_checksum(code))
            .select_related("access_token")
            .first()
        )
        if used is not None and used.access_token is not None:
            access_token = used.access_token
            refresh = get_refresh_token_model().objects.filter(access_token=access_token).first()
            if refresh is not None and refresh.token_family:
                get_refresh_token_model().revoke_family(refresh.token_family)
            revoke_access_token(access_token)
            log.warning("OIDC code of client %s used twice: its tokens are revoked", client_id)
        return False


def _code_checksum(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()
