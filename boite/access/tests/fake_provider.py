"""A fake provider: a real HTTP server on 127.0.0.1 that checks signed links.

It recomputes each scheme's hashes on its own, from the field's documentation (not
from boite.access's code), and answers 200 « recognised as <card> » or 403.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def check_mediatheque_numerique(q: dict, key: str, origin: str) -> str | None:
    card = q.get("id", "")
    if not card or not q.get("sso_id") or not _same(q.get("id_encrypted", ""), _sha256(card + key)):
        return None
    if "return_url" in q and not q["return_url"].startswith(origin + "/"):
        return None
    return card


def check_vodeclic(q: dict, key: str, origin: str) -> str | None:
    card, email = q.get("id", ""), q.get("email", "")
    today = datetime.now(PARIS).strftime("%d%m%Y")
    ok = (
        card
        and _same(q.get("encrypted_id", ""), _sha256(card + key))
        and _same(q.get("encrypted_email", ""), _sha256(email + key))
        and _same(q.get("d", ""), _sha256(today + key))
    )
    return card if ok else None


def check_toutapprendre(q: dict, key: str, origin: str) -> str | None:
    card, stamp = q.get("id", ""), q.get("d", "")
    try:
        when = datetime.strptime(stamp, "%Y%m%d%H%M").replace(tzinfo=PARIS)
    except ValueError:
        return None
    if abs(datetime.now(PARIS) - when) > timedelta(minutes=5):
        return None  # a link is good for a few minutes only
    expected = hashlib.md5(f"{card}{stamp}{key}".encode()).hexdigest()  # noqa: S324
    return card if card and _same(q.get("hash", ""), expected) else None


CHECKS = {
    "mediatheque_numerique": check_mediatheque_numerique,
    "vodeclic": check_vodeclic,
    "toutapprendre": check_toutapprendre,
}

# signed-link preset of boite.access → the scheme the fake provider checks
SCHEMES = {
    "mediatheque_numerique": "mediatheque_numerique",
    "ma_petite_mediatheque": "mediatheque_numerique",
    "cafeyn": "vodeclic",
    "vodeclic": "vodeclic",
    "toutapprendre": "toutapprendre",
}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default 5 refuses connections under load (make loadtest)


class FakeProvider:
    """`provider.add(path, scheme, key)` then send the patron to `provider.url(path)`."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[str, str]] = {}
        self.seen: list[dict] = []
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
                provider.seen.append(query)
                route = provider.routes.get(parts.path)
                card = None
                if route:
                    scheme, key = route
                    card = CHECKS[scheme](query, key, provider.origin)
                if card:
                    self._answer(200, f"recognised as {card}")
                elif parts.path in provider.pages:
                    self._answer(200, f"page {parts.path}")
                else:
                    self._answer(403, "refused")

            def _answer(self, status: int, text: str) -> None:
                body = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.pages: set[str] = set()
        self.server = _Server(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def add(self, path: str, scheme: str, key: str) -> str:
        self.routes[path] = (scheme, key)
        return self.url(path)

    def url(self, path: str) -> str:
        return self.origin + path

    def __enter__(self) -> FakeProvider:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def serve_demo_connectors(self, networks) -> None:
        """Move the demo's signed-link and open-link connectors of these networks onto this
        fake site, each on a path of its own (network, resource), and learn their keys:
        one fake site plays every such provider (the browser tests, `make loadtest`)."""
        from boite.access import demo
        from boite.access.models import Connector

        connectors = Connector.objects.filter(
            network__in=networks,
            kind__in=("signed_link", "open_link"),
            resource__slug__in=demo.CONNECTORS,
        ).select_related("network", "resource")
        for connector in connectors:
            slug = connector.resource.slug
            path = f"/{connector.network.slug}/{slug}{urlsplit(connector.settings['url']).path}"
            connector.settings = {**connector.settings, "url": self.url(path)}
            connector.save()
            if connector.kind == "signed_link":
                self.add(
                    path, SCHEMES[demo.CONNECTORS[slug][1]], demo.demo_key(connector.network, slug)
                )
            else:
                self.pages.add(path)


class FakeCasProvider:
    """A provider that logs patrons in through the portal's CAS server.

    `/start` sends the browser to the portal's /cas/login; `/cas/callback` validates the
    ticket with python-cas (CAS 3.0) on the portal and answers « recognised as <card> ».
    """

    def __init__(self, portal_url: str) -> None:
        from cas import CASClient

        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if parts.path.endswith("/start"):
                    self.send_response(302)
                    self.send_header("Location", provider.client.get_login_url())
                    self.end_headers()
                    return
                ticket = parse_qs(parts.query).get("ticket", [""])[0]
                user, attributes, _pgt = provider.client.verify_ticket(ticket)
                if parts.path == "/cas/callback" and user:
                    card = (attributes or {}).get("card_number", user)
                    body, status = f"<h1>recognised as {card}</h1>", 200
                else:
                    body, status = "<h1>refused</h1>", 403
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.service = self.origin + "/cas/callback"
        self.client = CASClient(
            version=3, service_url=self.service, server_url=portal_url.rstrip("/") + "/cas/"
        )
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeCasProvider:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.client.session.close()


class FakeOidcProvider:
    """A provider that logs patrons in through the portal's OpenID Connect provider.

    `/oidc/start` sends the browser to the portal's authorisation endpoint (code flow,
    PKCE S256); `/oidc/callback` exchanges the code with authlib, reads the userinfo and
    answers « recognised as <card_number> ». Configure with `client(client_id, secret)`.
    """

    def __init__(self, portal_url: str) -> None:
        from authlib.common.security import generate_token
        from authlib.integrations.requests_client import OAuth2Session

        provider = self
        self.portal = portal_url.rstrip("/")
        self.pending: dict[str, str] = {}
        self.seen: list[dict] = []

        def session() -> OAuth2Session:
            return OAuth2Session(
                provider.client_id,
                provider.secret,
                scope="openid",
                redirect_uri=provider.redirect_uri,
                code_challenge_method="S256",
                token_endpoint_auth_method="client_secret_basic",
            )

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if parts.path.endswith("/start"):
                    verifier = generate_token(48)
                    url, state = session().create_authorization_url(
                        provider.portal + "/o/authorize/", code_verifier=verifier
                    )
                    provider.pending[state] = verifier
                    self.send_response(302)
                    self.send_header("Location", url)
                    self.end_headers()
                    return
                body, status = "<h1>refused</h1>", 403
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                verifier = provider.pending.pop(query.get("state", ""), None)
                if parts.path == "/oidc/callback" and verifier and "code" in query:
                    with session() as client:
                        client.fetch_token(
                            provider.portal + "/o/token/",
                            authorization_response=provider.origin + self.path,
                            code_verifier=verifier,
                        )
                        info = client.get(provider.portal + "/o/userinfo/", timeout=10).json()
                    provider.seen.append(info)
                    if info.get("sub"):
                        body, status = f"<h1>recognised as {info.get('card_number')}</h1>", 200
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.redirect_uri = self.origin + "/oidc/callback"
        self.client_id, self.secret = "", ""
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def client(self, client_id: str, secret: str) -> None:
        self.client_id, self.secret = client_id, secret

    def __enter__(self) -> FakeOidcProvider:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
