"""The outbound client against real HTTP servers on 127.0.0.1 (two ports = two origins)."""

from __future__ import annotations

import io
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from django.utils import translation

from boite.lib import outbound
from boite.lib.outbound import Client, Credentials, OutboundRefused, check_address


class Server:
    """A tiny HTTP server: `routes[path] = (status, headers, body)` or a callable of the
    handler; every request's path and headers are kept in `seen`."""

    def __init__(self) -> None:
        self.routes: dict = {}
        self.seen: list[tuple[str, dict]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                owner.seen.append((self.command, self.path, dict(self.headers)))
                route = owner.routes.get(self.path.split("?")[0])
                if route is None:
                    self.send_error(404)
                    return
                if callable(route):
                    route(self)
                    return
                status, headers, body = route
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = _answer

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def authorizations(self) -> list[str | None]:
        return [headers.get("Authorization") for _method, _path, headers in self.seen]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = Server()
    yield s
    s.close()


@pytest.fixture
def other_server():
    s = Server()
    yield s
    s.close()


@pytest.fixture
def no_allowed_networks(settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = []


def _refusal(call) -> str:
    with translation.override("fr"), pytest.raises(OutboundRefused) as caught:
        call()
    return caught.value.message


# -- addresses ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.5",
        "172.16.3.4",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",  # noqa: S104 (an address refused, not one bound)
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.5",
        "::10.0.0.5",
        "2002:0a00:0005::1",  # 6to4 of 10.0.0.5
        "64:ff9b::a00:5",  # NAT64 of 10.0.0.5
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    ],
)
def test_internal_addresses_are_refused(no_allowed_networks, address):
    with pytest.raises(OutboundRefused):
        check_address(address)


@pytest.mark.parametrize("address", ["8.8.8.8", "193.51.24.1", "2001:4860:4860::8888"])
def test_public_addresses_pass(no_allowed_networks, address):
    check_address(address)  # raises if refused
    assert outbound._is_public(outbound.ipaddress.ip_address(address))


def test_the_allowed_networks_open_only_themselves(settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["10.1.0.0/16"]
    check_address("10.1.2.3")
    with pytest.raises(OutboundRefused):
        check_address("10.2.0.1")


def test_the_refusal_is_in_french(no_allowed_networks):
    assert _refusal(lambda: check_address("10.0.0.5")) == "adresse interne refusée : 10.0.0.5"


# -- through real servers -------------------------------------------------------------------


def test_a_server_on_loopback_is_refused_when_loopback_is_not_allowed(server, no_allowed_networks):
    server.routes["/"] = (200, {}, b"secret page")
    with Client() as client:
        message = _refusal(lambda: client.get(server.url + "/"))
    assert message == "adresse interne refusée : 127.0.0.1"
    assert server.seen == []


def test_an_allowed_server_is_fetched(server):
    server.routes["/feed"] = (200, {"Content-Type": "application/json"}, b'{"ok": true}')
    with Client() as client:
        response = client.get(server.url + "/feed")
    assert response.status_code == 200
    assert response.json() == {"ok": True}


def test_a_redirect_to_a_refused_address_is_refused(server, settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]  # 127.0.0.2 is not allowed
    server.routes["/start"] = (302, {"Location": f"http://127.0.0.2:{server.port}/in"}, b"")
    with Client() as client:
        message = _refusal(lambda: client.get(server.url + "/start"))
    assert message == "adresse interne refusée : 127.0.0.2"
    assert [path for _m, path, _h in server.seen] == ["/start"]


def test_ipv6_mapped_loopback_is_refused_even_with_loopback_allowed(server):
    with Client() as client:
        message = _refusal(lambda: client.get(f"http://[::ffff:127.0.0.1]:{server.port}/"))
    assert message == "adresse interne refusée : ::ffff:127.0.0.1"


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "gopher://127.0.0.1:70/", "ftp://127.0.0.1/", "http:///x"]
)
def test_other_schemes_are_refused(url):
    with Client() as client:
        message = _refusal(lambda: client.get(url))
    assert message.startswith("seules les adresses http et https peuvent être lues")


def test_a_redirect_to_file_is_refused(server):
    server.routes["/start"] = (301, {"Location": "file:///etc/passwd"}, b"")
    with Client() as client:
        message = _refusal(lambda: client.get(server.url + "/start"))
    assert message.startswith("seules les adresses http et https peuvent être lues : file:")
    assert [path for _m, path, _h in server.seen] == ["/start"]


def test_redirects_are_followed_a_bounded_number_of_times(server, settings):
    settings.OUTBOUND_MAX_REDIRECTS = 3
    for n in range(10):
        server.routes[f"/{n}"] = (302, {"Location": f"/{n + 1}"}, b"")
    server.routes["/3"] = (200, {}, b"arrived")
    with Client() as client:
        assert client.get(server.url + "/0").content == b"arrived"
        server.routes["/3"] = (302, {"Location": "/4"}, b"")
        message = _refusal(lambda: client.get(server.url + "/0"))
    assert message == "trop de redirections (plus de 3)"


def test_dns_rebinding_connects_only_to_the_checked_address(
    server, no_allowed_networks, monkeypatch
):
    """A name answering a public address first and an internal one next: the check and
    the connection use one resolution, so the internal answer is never connected to."""
    answers = iter(["93.184.216.34", "127.0.0.1"])
    connected: list[str] = []
    real_connect = socket.create_connection

    def fake_getaddrinfo(host, port, *args, **kwargs):
        address = next(answers)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    def spy_connect(address, *args, **kwargs):
        connected.append(address[0])
        raise OSError("unreachable in the tests")  # 93.184.216.34 is outside loopback

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    monkeypatch.setattr(socket, "create_connection", spy_connect)
    with Client() as client, pytest.raises(httpx.ConnectError):
        client.get(f"http://rebinding.example:{server.port}/")
    assert connected == ["93.184.216.34"]
    # The next resolution of the same name answers the internal address: refused.
    monkeypatch.setattr(socket, "create_connection", real_connect)
    with Client() as client:
        message = _refusal(lambda: client.get(f"http://rebinding.example:{server.port}/"))
    assert message == "adresse interne refusée : 127.0.0.1"
    assert server.seen == []


def test_a_name_with_one_internal_answer_is_refused(server, no_allowed_networks, monkeypatch):
    def fake_getaddrinfo(host, port, *args, **kwargs):
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.5", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    with Client() as client:
        message = _refusal(lambda: client.get(f"http://both.example:{server.port}/"))
    assert message == "adresse interne refusée : 10.0.0.5"


def test_the_host_header_keeps_the_name(server, monkeypatch):
    real = socket.getaddrinfo

    asked: list[str] = []

    def fake_getaddrinfo(host, port, *args, **kwargs):
        asked.append(host)
        return real("127.0.0.1" if host == "provider.example" else host, port, *args, **kwargs)

    server.routes["/"] = (200, {}, b"ok")
    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    with Client() as client:
        assert client.get(f"http://provider.example:{server.port}/").content == b"ok"
    assert server.seen[0][2]["Host"] == f"provider.example:{server.port}"
    assert asked[0] == "provider.example"  # resolved once, then connected by address
    assert set(asked[1:]) <= {"127.0.0.1"}


# -- credentials ------------------------------------------------------------------------------


def test_credentials_are_not_sent_to_another_origin_after_a_redirect(server, other_server):
    server.routes["/feed"] = (302, {"Location": other_server.url + "/elsewhere"}, b"")
    other_server.routes["/elsewhere"] = (200, {}, b"page")
    with Client(credentials=Credentials.basic("gln", "s3cret")) as client:
        assert client.get(server.url + "/feed").content == b"page"
    assert server.authorizations() == ["Basic Z2xuOnMzY3JldA=="]
    assert other_server.authorizations() == [None]


def test_an_authorization_header_of_a_request_is_bound_to_its_origin(server, other_server):
    server.routes["/feed"] = (307, {"Location": other_server.url + "/elsewhere"}, b"")
    other_server.routes["/elsewhere"] = (200, {}, b"page")
    with Client() as client:
        client.post(
            server.url + "/feed",
            headers={"Authorization": "Bearer t0ken", "Cookie": "session=1"},
            content=b"x",
        )
    assert server.authorizations() == ["Bearer t0ken"]
    assert other_server.authorizations() == [None]
    assert "Cookie" not in other_server.seen[0][2]
    assert other_server.seen[0][0] == "POST"  # 307 keeps the method


def test_credentials_follow_a_redirect_within_their_origin(server):
    server.routes["/old"] = (301, {"Location": "/new"}, b"")
    server.routes["/new"] = (200, {}, b"page")
    with Client(credentials=Credentials.bearer("t0ken")) as client:
        client.get(server.url + "/old")
    assert server.authorizations() == ["Bearer t0ken", "Bearer t0ken"]


def test_credentials_are_not_sent_on_a_next_link_to_another_origin(server, other_server):
    """Credentials bound to the first address: a paging link elsewhere gets none."""
    server.routes["/page1"] = (200, {}, b"{}")
    other_server.routes["/page2"] = (200, {}, b"{}")
    with Client(credentials=Credentials.bearer("t0ken")) as client:
        client.get(server.url + "/page1")
        client.get(other_server.url + "/page2")
        client.get(server.url + "/page1")
    assert server.authorizations() == ["Bearer t0ken", "Bearer t0ken"]
    assert other_server.authorizations() == [None]


def test_credentials_bound_explicitly_go_only_to_their_origin(server, other_server):
    server.routes["/a"] = (200, {}, b"")
    other_server.routes["/b"] = (200, {}, b"")
    credentials = Credentials.basic("u", "p", for_url=server.url + "/a")
    with Client(credentials=credentials) as client:
        client.get(other_server.url + "/b")
        client.get(server.url + "/a")
    assert other_server.authorizations() == [None]
    assert server.authorizations() == ["Basic dTpw"]


def test_credentials_are_never_shown():
    assert "s3cret" not in repr(Credentials.basic("gln", "s3cret"))


# -- caps ---------------------------------------------------------------------------------------


def test_a_body_larger_than_the_cap_is_refused(server):
    server.routes["/big"] = (200, {}, b"x" * 5000)
    with Client(max_bytes=1000) as client:
        message = _refusal(lambda: client.get(server.url + "/big"))
    assert message == "la réponse dépasse la taille maximale de 1000\xa0octets"


def test_a_body_without_length_is_cut_at_the_cap(server):
    def chunked(handler):
        handler.send_response(200)
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        for _ in range(50):
            handler.wfile.write(b"400\r\n" + b"y" * 1024 + b"\r\n")
        handler.wfile.write(b"0\r\n\r\n")

    server.routes["/stream"] = chunked
    spool = io.BytesIO()
    with Client(max_bytes=10_000) as client:
        _refusal(lambda: client.download(server.url + "/stream", spool))
    assert len(spool.getvalue()) <= 10_000


def test_a_download_longer_than_the_cap_is_refused(server):
    def slow(handler):
        handler.send_response(200)
        handler.send_header("Content-Length", "100")
        handler.end_headers()
        for _ in range(100):
            handler.wfile.write(b"z")
            handler.wfile.flush()
            time.sleep(0.05)

    server.routes["/slow"] = slow
    with Client(max_seconds=1) as client:
        started = time.monotonic()
        message = _refusal(lambda: client.get(server.url + "/slow"))
    assert time.monotonic() - started < 3
    assert message == "le téléchargement a duré plus que la limite de 1 secondes"


def test_download_writes_the_body_into_a_file(server):
    server.routes["/file"] = (200, {}, b"ONIX" * 1000)
    spool = io.BytesIO()
    with Client(files=True) as client:
        response = client.download(server.url + "/file", spool)
    assert response.status_code == 200
    assert spool.getvalue() == b"ONIX" * 1000


def test_the_default_caps_come_from_the_settings(settings):
    settings.OUTBOUND_FILE_MAX_BYTES = 123
    settings.OUTBOUND_API_MAX_SECONDS = 7
    assert Client(files=True).max_bytes == 123
    assert Client().max_seconds == 7


def test_cookies_set_by_one_origin_are_not_sent_to_another(server, other_server):
    server.routes["/login"] = (200, {"Set-Cookie": "session=abc; Path=/"}, b"")
    server.routes["/next"] = (302, {"Location": other_server.url + "/page"}, b"")
    other_server.routes["/page"] = (200, {}, b"")
    with Client() as client:
        client.get(server.url + "/login")
        client.get(server.url + "/next")
    assert server.seen[1][2].get("Cookie") == "session=abc"  # back to its own origin
    assert "Cookie" not in other_server.seen[0][2]


def test_a_malformed_address_is_refused_and_a_malformed_redirect_fails(server):
    with Client() as client:
        assert _refusal(lambda: client.get("http://[::1/")) == "adresse invalide : http://[::1/"
        server.routes["/start"] = (302, {"Location": "http://[::1/"}, b"")
        with pytest.raises(httpx.RemoteProtocolError):  # httpx's own check: « unreachable »
            client.get(server.url + "/start")
    assert len(server.seen) == 1


def test_deploy_check_warns_when_loopback_or_metadata_addresses_are_opened(settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["10.20.0.0/16"]
    assert outbound.check_allowed_networks() == []
    settings.OUTBOUND_ALLOWED_NETWORKS = ["10.20.0.0/16", "169.254.169.254/32", "::1/128"]
    (warning,) = outbound.check_allowed_networks()
    assert warning.id == "boite.W002"
    assert "169.254.169.254/32, ::1/128" in warning.msg
