"""CAS: the portal is the identity provider (views in boite.access.cas_views).

Handing over sends the patron to the provider's entry page; the provider then sends
them to /cas/login?service=…, where a service ticket is issued if the service URL is
whitelisted in `services`. The provider validates the ticket on /cas/serviceValidate
(or /cas/p3/serviceValidate) and receives the `attributes` chosen here.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from django import forms
from django.http import HttpResponseRedirect
from django.utils.translation import gettext_lazy as _

from boite.access.connectors import ConnectorKind, JSONListField, register
from boite.access.identity import ATTRIBUTES


class AttributesField(JSONListField):
    def to_python(self, value):
        names = super().to_python(value)
        unknown = [n for n in names if n not in ATTRIBUTES]
        if unknown:
            raise forms.ValidationError(
                _("Unknown attributes: %(names)s. Choose among: %(known)s."),
                params={"names": ", ".join(unknown), "known": ", ".join(ATTRIBUTES)},
            )
        return names


class CasSettings(forms.Form):
    url = forms.URLField(label=_("address of the provider's entry page"), assume_scheme="https")
    services = JSONListField(
        label=_("allowed service addresses"),
        item_field=forms.URLField(assume_scheme="https"),
        required=True,
    )
    attributes = AttributesField(label=_("attributes sent to the provider"))


@register
class Cas(ConnectorKind):
    kind = "cas"
    label = _("CAS (the portal identifies the patron)")
    settings_form = CasSettings

    def handover(self, connector, request, identity, target=""):
        return HttpResponseRedirect(self.target_or_home(connector, target))


# -- service URLs: parsed and normalised before any comparison ------------------------
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _normalise_escapes(part: str) -> str | None:
    """Percent-escapes of unreserved characters decoded, the others upper-cased
    (RFC 3986 §6.2.2); None for a malformed escape."""
    out, index = [], 0
    while index < len(part):
        char = part[index]
        if char == "%":
            code = part[index + 1 : index + 3]
            if len(code) != 2 or any(c not in "0123456789abcdefABCDEF" for c in code):
                return None
            decoded = chr(int(code, 16))
            out.append(decoded if decoded in _UNRESERVED else "%" + code.upper())
            index += 3
            continue
        out.append(char)
        index += 1
    return "".join(out)


def _remove_dot_segments(path: str) -> list[str]:
    """The path's segments with « . » and « .. » resolved (RFC 3986 §5.2.4)."""
    segments: list[str] = []
    parts = path.split("/")[1:] if path.startswith("/") else path.split("/")
    for index, segment in enumerate(parts):
        last = index == len(parts) - 1
        if segment == ".":
            if last:
                segments.append("")
        elif segment == "..":
            if segments:
                segments.pop()
            if last:
                segments.append("")
        else:
            segments.append(segment)
    return segments


@dataclass(frozen=True)
class ServiceUrl:
    """A CAS service URL as compared: scheme, host and port, path segments, query."""

    scheme: str
    host: str
    port: int
    segments: tuple[str, ...]
    query: str

    @property
    def url(self) -> str:
        netloc = (
            self.host if self.port == _DEFAULT_PORTS[self.scheme] else f"{self.host}:{self.port}"
        )
        path = "/" + "/".join(self.segments)
        return urlunsplit((self.scheme, netloc, path, self.query, ""))

    def is_below(self, allowed: ServiceUrl) -> bool:
        """Same origin, and the allowed path's segments begin this one's (a trailing
        empty segment of the allowed URL, « …/callback/ », matches any path below)."""
        if (self.scheme, self.host, self.port) != (allowed.scheme, allowed.host, allowed.port):
            return False
        base = list(allowed.segments)
        if base and base[-1] == "":
            base.pop()
        return list(self.segments[: len(base)]) == base


def parse_service(url: str) -> ServiceUrl | None:
    """The normalised service URL, or None when it is not one a ticket may be sent to:
    not http(s), no host, user-info (« https://trusted@evil/ »), control characters,
    backslashes, a bad port or a malformed escape."""
    if not url or len(url) > 2000 or any(ord(c) < 33 or c == "\\" for c in url):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname or "@" in parts.netloc:
        return None
    try:
        host = parts.hostname.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None
    path = _normalise_escapes(parts.path or "/")
    query = _normalise_escapes(parts.query)
    if path is None or query is None:
        return None
    segments = tuple(_remove_dot_segments(path)) or ("",)
    return ServiceUrl(scheme, host, port or _DEFAULT_PORTS[scheme], segments, query)


def service_allowed(service: str, whitelist: list[str]) -> bool:
    wanted = parse_service(service)
    if wanted is None:
        return False
    for allowed in whitelist:
        ref = parse_service(allowed)
        if ref is not None and wanted.is_below(ref):
            return True
    return False


def same_service(first: str, second: str) -> bool:
    """The service of a validation is the ticket's, once both are normalised."""
    a, b = parse_service(first), parse_service(second)
    return a is not None and a == b
