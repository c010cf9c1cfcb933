"""Whole public pages kept a short while for visitors who are not logged in.

Three requests in four on the portal are anonymous visitors reading the same pages
(home, library directory, categories, resources, records, searches); rendering them is
most of what they cost (`make loadtest`). A visitor without a session cookie sees
exactly what any other such visitor sees for the same host, language and address —
except the CSRF token of the language switcher, which is put back fresh into the
kept page for each visitor (with its cookie, as on an uncached page).

Who never gets a kept page: anyone with a session cookie (logged in, or with a message
waiting), with a messages cookie, any method other than GET/HEAD. What is never kept:
anything but a 200 HTML page, a page that sets a cookie or says `Cache-Control`
(never_cache). A change in the back office shows to anonymous visitors within
`PAGE_CACHE_SECONDS` (60 s; 0 turns the cache off, as in the tests but those of this
module).

Pages live in their own cache alias, `pages`: a flood of distinct addresses fills and
culls that store only, never the login and rate-limit counters (`boite.lib.counters`)
nor the rest of the cache. A store that refuses a write (Redis full under `noeviction`)
costs the page its keeping, not the visitor their page.
"""

from __future__ import annotations

import hashlib
import logging
import re
from functools import wraps

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils import translation

_TOKEN = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]+(")')
_PLACEHOLDER = "__boite_csrf_token__"
_PREFIX = "page:1:"
ALIAS = "pages"
log = logging.getLogger(__name__)


def _seconds() -> int:
    return getattr(settings, "PAGE_CACHE_SECONDS", 0)


def _anonymous(request: HttpRequest) -> bool:
    return (
        request.method in ("GET", "HEAD")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and getattr(settings, "MESSAGE_COOKIE_NAME", "messages") not in request.COOKIES
    )


def _key(request: HttpRequest) -> str:
    address = f"{request.get_host()}|{translation.get_language()}|{request.get_full_path()}"
    return _PREFIX + hashlib.sha256(address.encode()).hexdigest()


def _keepable(response: HttpResponse) -> bool:
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not response.has_header("Cache-Control")
        and response.get("Content-Type", "").startswith("text/html")
    )


def anonymous_page_cache(view):
    """Keep the page this view renders for anonymous visitors (see the module)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        seconds = _seconds()
        if not seconds or not _anonymous(request):
            return view(request, *args, **kwargs)
        key = _key(request)
        cache = caches[ALIAS]
        kept = cache.get(key)
        if kept is not None:
            content_type, body = kept
            # get_token() also sets the CSRF cookie on the way out, as rendering would.
            return HttpResponse(
                body.replace(_PLACEHOLDER, get_token(request)), content_type=content_type
            )
        response = view(request, *args, **kwargs)
        if _keepable(response):
            body = _TOKEN.sub(rf"\g<1>{_PLACEHOLDER}\g<2>", response.content.decode())
            try:
                cache.set(key, (response["Content-Type"], body), seconds)
            except Exception:  # a full or absent store: the page is served, not kept
                log.warning("page cache: could not keep %s", request.path, exc_info=True)
        return response

    return wrapped
