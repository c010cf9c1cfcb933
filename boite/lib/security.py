"""Security headers that Django's SecurityMiddleware does not set, and the visitor's
address the rate limits count by.

The Content-Security-Policy allows scripts, styles and fonts from the site itself only
(no 'unsafe-inline': templates carry no inline script or style attribute), images
from the site and from HTTPS (providers' covers), and forbids framing and plugins.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse

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
