"""Every page of the portal, enumerated from the URL configuration.

The accessibility audit and the access-control tests walk this list, so a new page
is checked as soon as it has a URL. A URL with parameters needs an example in
EXAMPLES (a function returning its kwargs from the demo data); one that is not a
page (JSON, files, redirects-only endpoints) goes in NOT_PAGES with its reason.
A pattern in neither list fails the tests, which is the point.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver, reverse

from boite.networks.models import Library


def _library_slug() -> dict:
    return {"slug": Library.objects.filter(network__slug="boite-numerique").first().slug}


def _category() -> dict:
    return {"slug": "cinema"}


EXAMPLES: dict[str, Callable[[], dict]] = {
    "networks:library": _library_slug,
    "catalog:category": _category,
}

NOT_PAGES: dict[str, str] = {
    "healthz": "JSON health check for load balancers",
    "set_language": "POST-only language switch, redirects",
    "networks:theme_css": "stylesheet",
    "api": "JSON API, checked by schemathesis against its OpenAPI",
    "admin": "Django's own admin, audited upstream; staff pages of Boîte live in /gestion/",
    "javascript-catalog": "script",
}


@dataclass(frozen=True)
class Page:
    name: str
    path: str


def _walk(patterns, prefix: str = "", namespace: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or ""
            full_ns = f"{namespace}:{ns}" if namespace and ns else (ns or namespace)
            yield from _walk(entry.url_patterns, prefix, full_ns)
        elif isinstance(entry, URLPattern) and entry.name:
            name = f"{namespace}:{entry.name}" if namespace else entry.name
            yield name, entry


def _excluded(name: str) -> bool:
    return any(name == key or name.startswith(f"{key}:") for key in NOT_PAGES)


def all_pages() -> list[Page]:
    """The pages to visit, or AssertionError naming the patterns with no example."""
    pages, missing = [], []
    seen = set()
    for name, pattern in _walk(get_resolver().url_patterns):
        if name in seen or _excluded(name):
            continue
        seen.add(name)
        if pattern.pattern.converters or "(?P<" in str(pattern.pattern):
            if name not in EXAMPLES:
                missing.append(name)
                continue
            pages.append(Page(name, reverse(name, kwargs=EXAMPLES[name]())))
        else:
            pages.append(Page(name, reverse(name)))
    assert not missing, f"Add an example to boite/tests/pages.py for: {', '.join(missing)}"
    return pages
