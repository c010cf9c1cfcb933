"""One patron login for every door: a provider starts the login (CAS, OpenID Connect),
an anonymous patron logs in on the portal's own login page and is taken back to the
provider, recognised. Real client libraries play the provider: python-cas for CAS,
authlib and oauthlib's client for OpenID Connect."""

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from authlib.common.security import generate_token
from cas import CASClient
from django.test import Client
from joserfc import jwt
from joserfc.jwk import KeySet
from oauthlib.oauth2 import WebApplicationClient

from boite.access.identity import identity_for
from boite.access.tests.conftest import http_session
from boite.access.tests.test_oidc import REDIRECT, SECRET, _discovery, _session, oidc_connector

pytestmark = pytest.mark.django_db(transaction=True)
assert oidc_connector  # the fixture, imported for the tests below

SERVICE = "https://provider.example/cas/callback"
EMAIL, PASSWORD = "camille.martin@example.org", "correct horse battery staple"
PASSWORD_OF_STAFF = PASSWORD  # the personas of the root conftest share it


def _log_in(session: requests.Session, live_server, login_location: str, **credentials):
    """Fill the login page the flow sent the browser to; the answer (not followed)."""
    assert login_location.startswith("/connexion/?next="), login_location
    page = session.get(live_server.url + login_location, timeout=10)
    assert page.status_code == 200
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    next_url = html.unescape(re.search(r'name="next" value="([^"]*)"', page.text).group(1))
    data = {
        "csrfmiddlewaretoken": token,
        "next": next_url,
        "identifier": credentials.get("identifier", EMAIL),
        "secret": credentials.get("secret", PASSWORD),
    }
    answer = session.post(
        f"{live_server.url}/connexion/",
        data=data,
        headers={"Referer": f"{live_server.url}/connexion/"},
        allow_redirects=False,
        timeout=10,
    )
    return page, answer


def _follow(session, live_server, location: str) -> requests.Response:
    url = location if location.startswith("http") else live_server.url + location
    return session.get(url, allow_redirects=False, timeout=10)


def _logged_in_browser(user) -> requests.Session:
    client = Client()
    client.force_login(user)
    session = http_session()
    session.cookies.set("sessionid", client.cookies["sessionid"].value)
    return session


# -- CAS ------------------------------------------------------------------------------


def _cas(live_server, version: int = 3, **kwargs) -> CASClient:
    return CASClient(
        version=version,
        service_url=SERVICE,
        server_url=f"{live_server.url}/cas/",
        session=http_session(),
        **kwargs,
    )


@pytest.mark.parametrize("version", [2, 3])
def test_an_anonymous_patron_logs_in_through_a_provider_initiated_cas_login(
    live_server, patron, cas_connector, version
):
    client = _cas(live_server, version)
    browser = http_session()
    start = browser.get(client.get_login_url(), allow_redirects=False, timeout=10)
    assert start.status_code == 302
    page, answer = _log_in(browser, live_server, start.headers["Location"])
    assert "Connectez-vous pour ouvrir Skilleos" in page.text
    assert "/inscription/" in page.text and "21 jours" in page.text  # registration, trial
    assert "/admin/" not in start.headers["Location"]
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/cas/login?")
    back = _follow(browser, live_server, answer.headers["Location"])
    assert back.headers["Location"].startswith(SERVICE + "?ticket=ST-")
    ticket = parse_qs(urlsplit(back.headers["Location"]).query)["ticket"][0]
    user, attributes, _pgt = client.verify_ticket(ticket)
    assert user == identity_for(patron, cas_connector.network, cas_connector).pseudonym
    assert attributes["card_number"] == "14000123456"


def test_wrong_credentials_stay_on_the_login_page_and_issue_no_ticket(
    live_server, patron, cas_connector
):
    browser = http_session()
    start = browser.get(_cas(live_server).get_login_url(), allow_redirects=False, timeout=10)
    _page, answer = _log_in(browser, live_server, start.headers["Location"], secret="wrong")
    assert answer.status_code == 200
    assert "ne correspondent à aucun compte" in answer.text
    again = browser.get(_cas(live_server).get_login_url(), allow_redirects=False, timeout=10)
    assert again.headers["Location"].startswith("/connexion/")


def test_gateway_goes_back_to_the_service_without_a_ticket(live_server, cas_connector):
    response = http_session().get(
        f"{live_server.url}/cas/login",
        params={"service": SERVICE, "gateway": "true"},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302 and response.headers["Location"] == SERVICE


def test_renew_asks_for_the_password_again_and_the_ticket_says_so(
    live_server, patron, cas_connector
):
    browser = _logged_in_browser(patron)
    # Without renew an open session gets a ticket at once…
    plain = browser.get(_cas(live_server).get_login_url(), allow_redirects=False, timeout=10)
    sso_ticket = parse_qs(urlsplit(plain.headers["Location"]).query)["ticket"][0]
    # …which a validation asking for a new login refuses.
    url = f"{live_server.url}/cas/p3/serviceValidate"
    params = {"ticket": sso_ticket, "service": SERVICE, "renew": "true"}
    assert 'code="INVALID_TICKET"' in http_session().get(url, params=params, timeout=10).text
    # With renew, the open session is not enough: the login page comes first.
    renew = _cas(live_server, renew=True).get_login_url()
    start = browser.get(renew, allow_redirects=False, timeout=10)
    assert start.headers["Location"].startswith("/connexion/?next=")
    _page, answer = _log_in(browser, live_server, start.headers["Location"])
    back = _follow(browser, live_server, answer.headers["Location"])
    ticket = parse_qs(urlsplit(back.headers["Location"]).query)["ticket"][0]
    params = {"ticket": ticket, "service": SERVICE, "renew": "true"}
    assert "authenticationSuccess" in http_session().get(url, params=params, timeout=10).text
    # The typed password served once: the next renew asks again.
    again = browser.get(renew, allow_redirects=False, timeout=10)
    assert again.headers["Location"].startswith("/connexion/")


def test_a_staff_session_is_sent_to_the_patron_login(live_server, cas_connector, librarian_bayeux):
    browser = _logged_in_browser(librarian_bayeux)
    start = browser.get(_cas(live_server).get_login_url(), allow_redirects=False, timeout=10)
    assert start.headers["Location"].startswith("/connexion/?next=")
    page = _follow(browser, live_server, start.headers["Location"])
    assert "compte du personnel" in page.text


def test_staff_credentials_are_refused_on_the_patron_login_with_a_clear_message(
    live_server, cas_connector, librarian_bayeux
):
    browser = http_session()
    start = browser.get(_cas(live_server).get_login_url(), allow_redirects=False, timeout=10)
    _page, answer = _log_in(
        browser,
        live_server,
        start.headers["Location"],
        identifier="biblio.bayeux@example.org",
        secret=PASSWORD_OF_STAFF,
    )
    assert answer.status_code == 200
    assert "compte du personnel" in answer.text


def test_next_leaves_the_portal_never(live_server, patron):
    browser = http_session()
    _page, answer = _log_in(browser, live_server, "/connexion/?next=https://evil.example/")
    assert answer.status_code == 302 and answer.headers["Location"] == "/compte/"


# -- OpenID Connect ---------------------------------------------------------------------


def _oidc_login(browser, live_server, url: str) -> str:
    """The authorisation request, the patron login it leads to, and back: the redirect
    to the client."""
    start = browser.get(url, allow_redirects=False, timeout=10)
    assert start.status_code == 302, start.text
    page, answer = _log_in(browser, live_server, start.headers["Location"])
    assert "Connectez-vous pour ouvrir Cafeyn" in page.text
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/o/authorize/")
    back = _follow(browser, live_server, answer.headers["Location"])
    assert back.status_code == 302, back.text
    return back.headers["Location"]


def test_an_anonymous_patron_logs_in_through_authlib(live_server, patron, oidc_connector):
    meta = _discovery(live_server)
    assert meta["id_token_signing_alg_values_supported"] == ["RS256"]
    assert meta["end_session_endpoint"].startswith(meta["issuer"])
    session = _session(oidc_connector)
    verifier, nonce = generate_token(48), generate_token(16)
    url, state = session.create_authorization_url(
        meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce
    )
    location = _oidc_login(http_session(), live_server, url)
    params = parse_qs(urlsplit(location).query)
    # RFC 9207: the authorisation response names the issuer of the discovery document.
    assert params["iss"] == [meta["issuer"]] and params["state"] == [state]
    token = session.fetch_token(
        meta["token_endpoint"], authorization_response=location, code_verifier=verifier
    )
    keys = KeySet.import_key_set(http_session().get(meta["jwks_uri"], timeout=10).json())
    claims = jwt.decode(token["id_token"], keys, algorithms=["RS256"]).claims
    assert claims["iss"] == meta["issuer"] and claims["nonce"] == nonce
    assert claims["exp"] - claims["iat"] <= 3600
    assert claims["sub"] == identity_for(patron, oidc_connector.network, oidc_connector).pseudonym


def test_an_anonymous_patron_logs_in_through_oauthlib(
    live_server, patron, oidc_connector, monkeypatch
):
    """A second client library, with its own reading of the protocol."""
    # The live server speaks plain HTTP on 127.0.0.1; oauthlib's client wants HTTPS.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    meta = _discovery(live_server)
    client = WebApplicationClient(oidc_connector.oauth_application.client_id)
    verifier = client.create_code_verifier(64)
    challenge = client.create_code_challenge(verifier, "S256")
    url = client.prepare_request_uri(
        meta["authorization_endpoint"],
        redirect_uri=REDIRECT,
        scope=["openid"],
        state="st4te",
        code_challenge=challenge,
        code_challenge_method="S256",
        login_hint=EMAIL,
    )
    browser = http_session()
    start = browser.get(url, allow_redirects=False, timeout=10)
    page = _follow(browser, live_server, start.headers["Location"])
    assert f'value="{EMAIL}"' in page.text  # login_hint fills the identifier
    location = _oidc_login(browser, live_server, url)
    code = client.parse_request_uri_response(location, state="st4te")["code"]
    body = client.prepare_request_body(code=code, redirect_uri=REDIRECT, code_verifier=verifier)
    answer = http_session().post(
        meta["token_endpoint"],
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        auth=(oidc_connector.oauth_application.client_id, SECRET),
        timeout=10,
    )
    tokens = client.parse_request_body_response(answer.text)
    userinfo = http_session().get(
        meta["userinfo_endpoint"],
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        timeout=10,
    )
    assert userinfo.json()["email"] == EMAIL
    # Never a token in the URL (RFC 6750 §2.3, RFC 9700).
    in_url = http_session().get(
        meta["userinfo_endpoint"], params={"access_token": tokens["access_token"]}, timeout=10
    )
    assert in_url.status_code == 400 and in_url.json()["error"] == "invalid_request"


def test_prompt_none_answers_login_required_to_the_client(live_server, oidc_connector, patron):
    meta = _discovery(live_server)
    url, state = _session(oidc_connector).create_authorization_url(
        meta["authorization_endpoint"], code_verifier=generate_token(48), prompt="none"
    )
    response = http_session().get(url, allow_redirects=False, timeout=10)
    assert response.status_code == 302
    params = parse_qs(urlsplit(response.headers["Location"]).query)
    assert response.headers["Location"].startswith(REDIRECT)
    assert params["error"] == ["login_required"] and params["state"] == [state]
    # A patron already logged in gets a code at once, with no page shown.
    response = _logged_in_browser(patron).get(url, allow_redirects=False, timeout=10)
    assert "code=" in response.headers["Location"]


def test_prompt_login_asks_for_the_password_again(live_server, patron, oidc_connector):
    meta = _discovery(live_server)
    url, _state = _session(oidc_connector).create_authorization_url(
        meta["authorization_endpoint"], code_verifier=generate_token(48), prompt="login"
    )
    browser = _logged_in_browser(patron)
    location = _oidc_login(browser, live_server, url)
    assert location.startswith(REDIRECT + "?code=")
    # Once only: the same request asks again.
    assert _follow(browser, live_server, url).headers["Location"].startswith("/connexion/")


def test_max_age_past_asks_for_the_password_again(live_server, patron, oidc_connector):
    from datetime import timedelta

    from django.utils import timezone

    meta = _discovery(live_server)
    url, _state = _session(oidc_connector).create_authorization_url(
        meta["authorization_endpoint"], code_verifier=generate_token(48), max_age="3600"
    )
    browser = _logged_in_browser(patron)
    assert "code=" in _follow(browser, live_server, url).headers["Location"]
    type(patron).objects.filter(pk=patron.pk).update(last_login=timezone.now() - timedelta(hours=2))
    assert _follow(browser, live_server, url).headers["Location"].startswith("/connexion/")


def test_a_reused_code_revokes_the_tokens_it_gave(live_server, patron, oidc_connector):
    meta = _discovery(live_server)
    session = _session(oidc_connector)
    verifier = generate_token(48)
    url, _state = session.create_authorization_url(
        meta["authorization_endpoint"], code_verifier=verifier
    )
    location = _logged_in_browser(patron).get(url, allow_redirects=False, timeout=10)
    location = location.headers["Location"]
    token = session.fetch_token(
        meta["token_endpoint"], authorization_response=location, code_verifier=verifier
    )
    assert session.get(meta["userinfo_endpoint"], timeout=10).status_code == 200
    with pytest.raises(Exception, match="invalid_grant"):
        _session(oidc_connector).fetch_token(
            meta["token_endpoint"], authorization_response=location, code_verifier=verifier
        )
    answer = http_session().get(
        meta["userinfo_endpoint"],
        headers={"Authorization": f"Bearer {token['access_token']}"},
        timeout=10,
    )
    assert answer.status_code == 401


def test_rp_initiated_logout_ends_the_session(live_server, patron, oidc_connector):
    meta = _discovery(live_server)
    session = _session(oidc_connector)
    verifier = generate_token(48)
    url, _state = session.create_authorization_url(
        meta["authorization_endpoint"], code_verifier=verifier
    )
    browser = _logged_in_browser(patron)
    location = browser.get(url, allow_redirects=False, timeout=10).headers["Location"]
    token = session.fetch_token(
        meta["token_endpoint"], authorization_response=location, code_verifier=verifier
    )
    response = browser.get(
        meta["end_session_endpoint"],
        params={"id_token_hint": token["id_token"], "post_logout_redirect_uri": REDIRECT},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302 and response.headers["Location"] == REDIRECT
    again = browser.get(url, allow_redirects=False, timeout=10)
    assert again.headers["Location"].startswith("/connexion/")


def test_prompt_login_for_an_anonymous_patron_logs_in_once(live_server, patron, oidc_connector):
    meta = _discovery(live_server)
    url, _state = _session(oidc_connector).create_authorization_url(
        meta["authorization_endpoint"], code_verifier=generate_token(48), prompt="login"
    )
    location = _oidc_login(http_session(), live_server, url)
    assert location.startswith(REDIRECT + "?code=")


def test_prompt_none_in_a_staff_session_is_login_required(
    live_server, oidc_connector, librarian_bayeux
):
    meta = _discovery(live_server)
    url, _state = _session(oidc_connector).create_authorization_url(
        meta["authorization_endpoint"], code_verifier=generate_token(48), prompt="none"
    )
    response = _logged_in_browser(librarian_bayeux).get(url, allow_redirects=False, timeout=10)
    assert "error=login_required" in response.headers["Location"]
    assert response.headers["Location"].startswith(REDIRECT)


def test_a_login_made_for_another_page_is_no_new_login(
    live_server, patron, oidc_connector, cas_connector
):
    """Logging in on the portal, then a provider asking prompt=login: asked again."""
    browser = http_session()
    _page, answer = _log_in(browser, live_server, "/connexion/?next=/compte/")
    assert answer.headers["Location"] == "/compte/"
    meta = _discovery(live_server)
    url, _state = _session(oidc_connector).create_authorization_url(
        meta["authorization_endpoint"], code_verifier=generate_token(48), prompt="login"
    )
    assert _follow(browser, live_server, url).headers["Location"].startswith("/connexion/")
    renew = _cas(live_server, renew=True).get_login_url()
    assert _follow(browser, live_server, renew).headers["Location"].startswith("/connexion/")
