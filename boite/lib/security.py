"""Security headers that Django's SecurityMiddleware does not set, the bound on request
bodies, and the visitor's address the rate limits count by.

The Content-Security-Policy allows scripts, styles and fonts from the site itself only
(no 'unsafe-inline': templates carry no inline script or style attribute), images
from the site and from HTTPS (providers' covers), and forbids framing and plugins.
"""

import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

_log = logging.getLogger("boite.security")

_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' https: data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "frame-ancestors 'none'",
    ]
)


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = getattr(settings, "CONTENT_SECURITY_POLICY", _POLICY)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.policy)
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        return response


def client_address(request: HttpRequest) -> str:
    """The visitor's IP address, for the rate limits (login, registration, API).

    Without a reverse proxy (`TRUSTED_PROXIES = 0`) it is the peer, REMOTE_ADDR, and
    X-Forwarded-For is ignored: a visitor who writes one would otherwise get a fresh count
    with each request. Behind N proxies that each append the address they received from,
    it is the N-th address from the end: the one the outermost proxy saw. Whatever the
    visitor wrote before it is ignored."""
    peer = request.META.get("REMOTE_ADDR", "") or "unknown"
    proxies = getattr(settings, "TRUSTED_PROXIES", 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if not proxies or not forwarded:
        return peer
    addresses = [part.strip() for part in forwarded.split(",")]
    return addresses[-min(proxies, len(addresses))] or peer


class RequestBodyLimitMiddleware:
    """Refuse a request body that is too large with 413, from its Content-Length,
    before anything reads it: `REQUEST_BODY_MAX_BYTES` for everyone (the largest upload
    and its form), `ANONYMOUS_BODY_MAX_BYTES` (64 KB) for a visitor who is not logged in
    — no anonymous form (registration, login, password reset, contact) needs more, and
    a script posting megabytes to them would otherwise cost memory and disk each time.
    A body of unknown length (chunked) is refused to anonymous visitors (411)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return self.get_response(request)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        anonymous = not request.user.is_authenticated
        limit = settings.ANONYMOUS_BODY_MAX_BYTES if anonymous else settings.REQUEST_BODY_MAX_BYTES
        chunked = "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
        if length > limit or length < 0 or (anonymous and chunked and not length):
            _log.warning(
                "request body refused: %s %s, %s bytes (limit %d) from %s",
                request.method,
                request.path,
                request.META.get("CONTENT_LENGTH") or "unknown",
                limit,
                client_address(request),
            )
            status = 411 if chunked and not length else 413
            return render(
                request,
                "413.html",
                {"limit": limit, "anonymous": anonymous},
                status=status,
            )
        return self.get_response(request)
