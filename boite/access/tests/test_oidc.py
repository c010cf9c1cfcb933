"""The OpenID Connect provider, driven by a real OIDC client (authlib + joserfc)."""

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from django.test import Client
from joserfc import jwt
from joserfc.jwk import KeySet

from boite.access.identity import identity_for
from boite.access.models import Connector
from boite.access.tests.conftest import http_session

pytestmark = pytest.mark.django_db(transaction=True)

REDIRECT = "https://provider.example/oidc/callback"
SECRET = "client-secret-of-the-provider-0123456789"


@pytest.fixture
def oidc_connector(calvados) -> Connector:
    connector = Connector(
        network=calvados,
        name="Cafeyn (OIDC)",
        kind="oidc",
        settings={
            "url": "https://provider.example/",
            "redirect_uris": [REDIRECT],
            "claims": ["card_number", "email", "first_name", "last_name", "network"],
        },
    )
    connector.full_clean()
    connector.set_secret("client_secret", SECRET)
    connector.save()
    return connector


def _browser(user) -> requests.Session:
    client = Client()
    client.force_login(user)
    session = http_session()
    session.cookies.set("sessionid", client.cookies["sessionid"].value)
    return session


def _discovery(live_server) -> dict:
    url = f"{live_server.url}/o/.well-known/openid-configuration"
    return http_session().get(url, timeout=10).json()


def _session(connector: Connector, secret: str = SECRET) -> OAuth2Session:
    return http_session(
        OAuth2Session(
            connector.oauth_application.client_id,
            secret,
            scope="openid",
            redirect_uri=REDIRECT,
            code_challenge_method="S256",
            token_endpoint_auth_method="client_secret_basic",
        )
    )


def _authorise(browser, session, meta, verifier: str, nonce: str) -> str:
    url, _state = session.create_authorization_url(
        meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce
    )
    response = browser.get(url, allow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text
    return response.headers["Location"]


def test_a_real_oidc_client_logs_the_patron_in(live_server, patron, oidc_connector):
    meta = _discovery(live_server)
    assert meta["issuer"] == f"{live_server.url}/o"
    assert "S256" in meta["code_challenge_methods_supported"]
    session = _session(oidc_connector)
    verifier, nonce = generate_token(48), generate_token(16)
    location = _authorise(_browser(patron), session, meta, verifier, nonce)
    assert location.startswith(REDIRECT + "?code=")

    token = session.fetch_token(
        meta["token_endpoint"], authorization_response=location, code_verifier=verifier
    )
    keys = KeySet.import_key_set(http_session().get(meta["jwks_uri"], timeout=10).json())
    id_token = jwt.decode(token["id_token"], keys, algorithms=["RS256"])
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": meta["issuer"]},
        aud={"essential": True, "value": oidc_connector.oauth_application.client_id},
        nonce={"essential": True, "value": nonce},
    ).validate(id_token.claims)
    pseudonym = identity_for(patron, oidc_connector.network, oidc_connector).pseudonym
    assert id_token.claims["sub"] == pseudonym
    assert id_token.claims["card_number"] == "14000123456"
    assert id_token.claims["given_name"] == "Camille"
    assert id_token.claims["network"] == "boite-numerique"

    userinfo = session.get(meta["userinfo_endpoint"], timeout=10).json()
    assert userinfo["sub"] == pseudonym
    assert userinfo["family_name"] == "Martin"
    assert userinfo["email"] == "camille.martin@example.org"


def test_only_the_claims_the_connector_allows(live_server, patron, oidc_connector):
    oidc_connector.settings["claims"] = ["network"]
    oidc_connector.save()
    meta = _discovery(live_server)
    session = _session(oidc_connector)
    verifier = generate_token(48)
    location = _authorise(_browser(patron), session, meta, verifier, "n")
    session.fetch_token(
        meta["token_endpoint"], authorization_response=location, code_verifier=verifier
    )
    userinfo = session.get(meta["userinfo_endpoint"], timeout=10).json()
    assert set(userinfo) == {"sub", "network"}


def test_a_code_is_used_once(live_server, patron, oidc_connector):
    meta = _discovery(live_server)
    session = _session(oidc_connector)
    verifier = generate_token(48)
    location = _authorise(_browser(patron), session, meta, verifier, "n")
    session.fetch_token(
        meta["token_endpoint"], authorization_response=location, code_verifier=verifier
    )
    replay = _session(oidc_connector)
    with pytest.raises(Exception, match="invalid_grant"):
        replay.fetch_token(
            meta["token_endpoint"], authorization_response=location, code_verifier=verifier
        )


def test_pkce_is_required(live_server, patron, oidc_connector):
    meta = _discovery(live_server)
    plain = http_session(
        OAuth2Session(
            oidc_connector.oauth_application.client_id,
            SECRET,
            scope="openid",
            redirect_uri=REDIRECT,
        )
    )
    url, _state = plain.create_authorization_url(meta["authorization_endpoint"])
    response = _browser(patron).get(url, allow_redirects=False, timeout=10)
    assert "code=" not in response.headers.get("Location", "")
    assert "error=invalid_request" in response.headers.get("Location", "")


def test_a_wrong_secret_or_a_foreign_redirect_is_refused(live_server, patron, oidc_connector):
    meta = _discovery(live_server)
    session = _session(oidc_connector, secret="wrong")
    verifier = generate_token(48)
    location = _authorise(_browser(patron), session, meta, verifier, "n")
    with pytest.raises(Exception, match="invalid_client"):
        session.fetch_token(
            meta["token_endpoint"], authorization_response=location, code_verifier=verifier
        )
    evil = _session(oidc_connector)
    evil.redirect_uri = "https://evil.example/callback"
    url, _s = evil.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier)
    response = _browser(patron).get(url, allow_redirects=False, timeout=10)
    assert response.status_code == 400
    assert "evil.example" not in response.headers.get("Location", "")


def test_a_connector_out_of_service_or_of_another_portal_logs_nobody_in(
    live_server, patron, oidc_connector, caen_network
):
    meta = _discovery(live_server)
    verifier = generate_token(48)
    oidc_connector.network = caen_network
    oidc_connector.save()
    url, _s = _session(oidc_connector).create_authorization_url(
        meta["authorization_endpoint"], code_verifier=verifier
    )
    assert _browser(patron).get(url, allow_redirects=False, timeout=10).status_code == 400
    # Out of service: the token endpoint no longer knows the client (401, not 400).
    Connector.objects.filter(pk=oidc_connector.pk).update(is_active=False)
    response = http_session().post(
        meta["token_endpoint"],
        data={"grant_type": "client_credentials"},
        auth=(oidc_connector.oauth_application.client_id, SECRET),
        timeout=10,
    )
    assert response.status_code == 401


def test_anonymous_patrons_log_in_first(live_server, oidc_connector):
    meta = _discovery(live_server)
    url, _s = _session(oidc_connector).create_authorization_url(
        meta["authorization_endpoint"], code_verifier=generate_token(48)
    )
    response = http_session().get(url, allow_redirects=False, timeout=10)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/connexion/?next=%2Fo%2Fauthorize%2F")
    assert "code=" not in response.headers["Location"]
