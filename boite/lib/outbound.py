"""The one HTTP client for everything the server fetches from an address someone typed.

Harvest sources, ODL feeds, distributors and SUSHI servers are addresses a network
administrator types, and the two networks sharing an installation are strangers to each
other: every such address is treated as hostile. `Client` enforces, on every request and
on every redirect hop:

- only `http` and `https`;
- the host is resolved once, **every** address it resolves to is checked, and the TCP
  connection is made to that checked address (so a name that answers a public address
  to the check and an internal one to the connection gets nowhere). TLS still sends
  the name (SNI) and checks the certificate against it; the Host header is the name.
  Refused: loopback, private, link-local, multicast, reserved, unspecified, shared
  (CGNAT, 100.64.0.0/10), and the IPv6 forms that carry one of those (IPv4-mapped and
  -compatible, 6to4, Teredo, NAT64) — unless the address is inside a network of the
  setting `OUTBOUND_ALLOWED_NETWORKS`;
- redirects are followed by this client, a bounded number of times, each hop checked;
- credentials (the client's own and any Authorization, Proxy-Authorization or Cookie
  header of a request) belong to one origin (scheme, host, port): they are sent only to
  it, so neither a redirect nor a paging `next` link to another origin receives them;
- the body is capped in size and the whole download in time.

A refusal raises `OutboundRefused`, whose `message` is translated; transport failures stay
httpx errors (`httpx.TimeoutException`, `httpx.ConnectError`…) so that callers keep
their retries. Proxies from the environment are ignored (`trust_env=False`): a proxy
would connect to addresses this module never saw.

The check sits in httpcore's network backend (`connect_tcp`), the seam where a socket is
opened: pooled connections, retries and redirect hops all pass through it.
"""

from __future__ import annotations

import base64
import functools
import ipaddress
import socket
import ssl
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, Any

import certifi
import httpcore
import httpx
from django.conf import settings
from django.core import checks
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Origin = tuple[str, str, int]

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
REDIRECT_STATUSES = {301, 302, 303, 307, 308}
# Headers that carry a credential: bound to one origin like the client's own credentials.
SENSITIVE_HEADERS = {"authorization", "proxy-authorization", "cookie"}
_DEFAULT_PORTS = {"http": 80, "https": 443}

_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


class OutboundRefused(Exception):
    """The portal will not fetch this: an internal address, a scheme other than http(s),
    too many redirects, a body too large, a download too long. `message` is translated."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


# -- addresses ----------------------------------------------------------------------------


@functools.lru_cache(maxsize=8)
def _parse_networks(
    values: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return tuple(ipaddress.ip_network(value.strip(), strict=False) for value in values if value)


def allowed_networks() -> tuple:
    """The networks of OUTBOUND_ALLOWED_NETWORKS (empty by default)."""
    return _parse_networks(tuple(getattr(settings, "OUTBOUND_ALLOWED_NETWORKS", ())))


def _embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries (and may be routed to)."""
    found = []
    if address.ipv4_mapped:
        found.append(address.ipv4_mapped)
    if address.sixtofour:
        found.append(address.sixtofour)
    if address.teredo:
        found.extend(address.teredo)
    if address in _IPV4_COMPATIBLE or any(address in net for net in _NAT64):
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return found


def _is_public(address: IPAddress) -> bool:
    return not (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
        or (address.version == 4 and address in _CGNAT)
    )


def check_address(text: str) -> None:
    """Nothing if the portal may connect to this IP address; OutboundRefused otherwise."""
    address = ipaddress.ip_address(text.split("%", 1)[0])  # an IPv6 zone id is no part of it
    if any(address in network for network in allowed_networks()):
        return
    candidates = [address]
    if address.version == 6:
        candidates += _embedded_ipv4(address)
    if not all(_is_public(candidate) for candidate in candidates):
        raise OutboundRefused(_("internal address refused: %(address)s") % {"address": text})


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to, each checked; OutboundRefused if one is refused
    (a name that also points inside is not trusted for its other answers)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise httpcore.ConnectError(f"cannot resolve {host}: {error}") from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise httpcore.ConnectError(f"no address for {host}")
    for address in addresses:
        check_address(address)
    return addresses


class _CheckedBackend(httpcore.NetworkBackend):
    """httpcore's socket backend, connecting only to checked addresses."""

    def __init__(self) -> None:
        self._backend = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable | None = None,
    ) -> httpcore.NetworkStream:
        last: Exception | None = None
        for address in resolve(host, port):
            try:
                return self._backend.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except httpcore.ConnectError as error:
                last = error
        raise last or httpcore.ConnectError(host)

    def connect_unix_socket(self, path, timeout=None, socket_options=None):
        raise OutboundRefused(_("internal address refused: %(address)s") % {"address": path})


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One TLS context (building one and loading the CA bundle costs tens of ms)."""
    return ssl.create_default_context(cafile=certifi.where())


class _CheckedTransport(httpx.HTTPTransport):
    """httpx's transport on a connection pool whose network backend checks addresses.

    httpx 0.28 takes no network backend, so the pool it builds is replaced by the same
    pool on `_CheckedBackend` (httpcore's documented hook)."""

    def __init__(self, verify: ssl.SSLContext | None = None) -> None:
        context = verify or tls_context()
        super().__init__(verify=context, trust_env=False)
        limits = httpx.Limits()
        self._pool = httpcore.ConnectionPool(
            ssl_context=context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_CheckedBackend(),
        )


# -- origins and credentials --------------------------------------------------------------


def origin_of(url: str | httpx.URL) -> Origin:
    url = httpx.URL(str(url))
    return (url.scheme, url.host.lower(), url.port or _DEFAULT_PORTS.get(url.scheme, 0))


def _parse(url: str | httpx.URL, base: httpx.URL | None = None) -> httpx.URL:
    try:
        return base.join(url) if base is not None else httpx.URL(str(url))
    except httpx.InvalidURL:
        raise OutboundRefused(
            _("not a valid address: %(address)s") % {"address": _display(str(url))[:200]}
        ) from None


def _check_scheme(url: httpx.URL) -> None:
    if url.scheme not in _DEFAULT_PORTS or not url.host:
        raise OutboundRefused(
            _("only http and https addresses may be fetched: %(address)s")
            % {"address": _display(url)}
        )


def _display(url: httpx.URL | str) -> str:
    """An address fit for a message: without its query (which may carry a key)."""
    return str(url).split("?", 1)[0]


@dataclass
class Credentials:
    """Headers that prove who the portal is, bound to one origin.

    `origin` None binds them to the first address the client fetches (the address the
    administrator configured): every caller's first request is that address."""

    headers: dict[str, str] = field(default_factory=dict)
    origin: Origin | None = None

    @classmethod
    def basic(cls, user: str, password: str, for_url: str = "") -> Credentials:
        token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        return cls({"Authorization": f"Basic {token}"}, origin_of(for_url) if for_url else None)

    @classmethod
    def bearer(cls, token: str, for_url: str = "") -> Credentials:
        return cls({"Authorization": f"Bearer {token}"}, origin_of(for_url) if for_url else None)

    def __repr__(self) -> str:
        return f"<Credentials for {self.origin}>"  # never the secret


# -- the client ---------------------------------------------------------------------------


def _limits(files: bool) -> tuple[int, float]:
    if files:
        return settings.OUTBOUND_FILE_MAX_BYTES, settings.OUTBOUND_FILE_MAX_SECONDS
    return settings.OUTBOUND_API_MAX_BYTES, settings.OUTBOUND_API_MAX_SECONDS


class Client:
    """Fetches under the rules of this module. `request`, `get`, `post`, `put` read the
    body (capped) and return an `httpx.Response`; `download` writes it into a file.

    `files=True` gives the budget of harvest files (OUTBOUND_FILE_MAX_*), else that of
    API answers and feed pages (OUTBOUND_API_MAX_*); `max_bytes`/`max_seconds` override."""

    def __init__(
        self,
        *,
        credentials: Credentials | None = None,
        headers: dict[str, str] | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        files: bool = False,
        max_bytes: int | None = None,
        max_seconds: float | None = None,
        max_redirects: int | None = None,
        verify: ssl.SSLContext | None = None,
    ) -> None:
        default_bytes, default_seconds = _limits(files)
        self.max_bytes = max_bytes if max_bytes is not None else default_bytes
        self.max_seconds = max_seconds if max_seconds is not None else default_seconds
        self.max_redirects = (
            max_redirects if max_redirects is not None else settings.OUTBOUND_MAX_REDIRECTS
        )
        self.credentials = credentials or Credentials()
        self._http = httpx.Client(
            transport=_CheckedTransport(verify),
            timeout=timeout,
            headers=headers,
            follow_redirects=False,
            trust_env=False,
        )

    @property
    def headers(self) -> httpx.Headers:
        return self._http.headers

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- verbs -----------------------------------------------------------------------------

    def request(self, method: str, url: str | httpx.URL, **kwargs: Any) -> httpx.Response:
        deadline = time.monotonic() + self.max_seconds
        with self._stream(method, url, deadline, **kwargs) as response:
            body = b"".join(self._body(response, deadline))
        # The body is decoded already: a new response without Content-Encoding holds it.
        headers = [
            (name, value)
            for name, value in response.headers.multi_items()
            if name.lower() not in ("content-encoding", "content-length", "transfer-encoding")
        ]
        final = httpx.Response(
            response.status_code,
            headers=headers,
            content=body,
            request=response.request,
            extensions={"http_version": response.http_version.encode("ascii")},
        )
        final.read()
        return final

    def get(self, url: str | httpx.URL, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str | httpx.URL, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def put(self, url: str | httpx.URL, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", url, **kwargs)

    def download(self, url: str | httpx.URL, into: IO[bytes], **kwargs: Any) -> httpx.Response:
        """GET `url` and write its body into `into` (when the answer is not an error);
        the response returned is closed, for its status and headers."""
        deadline = time.monotonic() + self.max_seconds
        with self._stream("GET", url, deadline, **kwargs) as response:
            if response.status_code < 400:
                for chunk in self._body(response, deadline):
                    into.write(chunk)
        return response

    # -- the rules ---------------------------------------------------------------------------

    @contextmanager
    def _stream(
        self,
        method: str,
        url: str | httpx.URL,
        deadline: float,
        *,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> Iterator[httpx.Response]:
        plain, sensitive = {}, dict(self.credentials.headers)
        for name, value in (headers or {}).items():
            (sensitive if name.lower() in SENSITIVE_HEADERS else plain)[name] = value
        url = _parse(url)
        if self.credentials.origin is None:
            self.credentials.origin = origin_of(url)
        bound = self.credentials.origin
        for hop in range(self.max_redirects + 1):
            _check_scheme(url)
            request = self._http.build_request(method, url, headers=plain, **kwargs)
            if origin_of(request.url) == bound:
                request.headers.update(sensitive)
            else:
                # Not even the cookies another origin set (the jar matches hosts, not ports).
                for name in list(request.headers):
                    if name.lower() in SENSITIVE_HEADERS:
                        del request.headers[name]
            response = self._http.send(request, stream=True)
            location = response.headers.get("Location")
            if response.status_code not in REDIRECT_STATUSES or not location:
                try:
                    self._check_length(response)
                    yield response
                finally:
                    response.close()
                return
            response.close()
            if time.monotonic() > deadline:
                raise self._too_long()
            url = _parse(location, base=request.url)
            kwargs.pop("params", None)  # the Location is the whole next address
            if response.status_code == 303 or (
                response.status_code in (301, 302) and method == "POST"
            ):
                method = "GET" if method != "HEAD" else method
                for name in ("content", "data", "json", "files"):
                    kwargs.pop(name, None)
            if hop == self.max_redirects:
                break
        raise OutboundRefused(
            _("too many redirects (more than %(count)d)") % {"count": self.max_redirects}
        )

    def _check_length(self, response: httpx.Response) -> None:
        length = response.headers.get("Content-Length", "")
        if length.isdigit() and int(length) > self.max_bytes:
            raise self._too_large()

    def _body(self, response: httpx.Response, deadline: float) -> Iterator[bytes]:
        received = 0
        for chunk in response.iter_bytes():
            received += len(chunk)
            if received > self.max_bytes:
                raise self._too_large()
            if time.monotonic() > deadline:
                raise self._too_long()
            yield chunk

    def _too_large(self) -> OutboundRefused:
        return OutboundRefused(
            _("the answer is larger than the limit of %(size)s")
            % {"size": filesizeformat(self.max_bytes)}
        )

    def _too_long(self) -> OutboundRefused:
        return OutboundRefused(
            _("the download took longer than the limit of %(seconds)d seconds")
            % {"seconds": self.max_seconds}
        )


# -- deployment check -----------------------------------------------------------------------

# Opened by OUTBOUND_ALLOWED_NETWORKS, these would let any administrator make the portal
# fetch from itself or from the cloud's metadata service (its credentials).
_NEVER_TO_OPEN = tuple(
    ipaddress.ip_network(n) for n in ("127.0.0.0/8", "::1/128", "169.254.0.0/16", "fe80::/10")
)


@checks.register(checks.Tags.security, deploy=True)
def check_allowed_networks(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    risky = [
        str(network)
        for network in allowed_networks()
        if any(
            network.version == never.version and network.overlaps(never) for never in _NEVER_TO_OPEN
        )
    ]
    if not risky:
        return []
    return [
        checks.Warning(
            "OUTBOUND_ALLOWED_NETWORKS opens loopback or link-local addresses: " + ", ".join(risky),
            hint=(
                "Any network administrator could then make the portal fetch from its own "
                "server or the cloud metadata service. List only the private networks of "
                "the providers reached over a private link: see docs/deployment.md."
            ),
            id="boite.W002",
        )
    ]
