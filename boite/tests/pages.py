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

from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone


def _first(model: str, key: str = "pk", *, optional: bool = False, **filters):
    """Arguments naming the first demo object of a model on the departmental portal.

    `optional` is for downloads the demo may lack: they are still checked for
    anonymous refusal, with an id that names nothing."""

    def example() -> dict:
        obj = apps.get_model(model).objects.filter(**filters).order_by("pk").first()
        if obj is None and optional:
            return {key: 0}
        assert obj is not None, f"the demo data has no {model} matching {filters}"
        return {key: getattr(obj, key)}

    return example


DEPARTMENT = {"network__slug": "boite-numerique"}

EXAMPLES: dict[str, Callable[[], dict]] = {
    "networks:library": _first("networks.Library", "slug", **DEPARTMENT),
    "catalog:category": lambda: {"slug": "cinema"},
    "catalog:resource": _first("catalog.Resource", "slug", networks__slug="boite-numerique"),
    "catalog:record": _first("catalog.Record", resource__networks__slug="boite-numerique"),
    "catalog:harvest_start": _first("catalog.Resource", "slug", networks__slug="boite-numerique"),
    "catalog:run": _first("catalog.HarvestRun", optional=True),
    "catalog:run_source": _first("catalog.HarvestRun", optional=True),
    "catalog:resource_source": _first("catalog.Resource", "slug", networks__slug="boite-numerique"),
    "catalog:run_progress": _first("catalog.HarvestRun", optional=True),
    "pro:post": _first("pro.Post", **DEPARTMENT),
    "pro:post_edit": _first("pro.Post", **DEPARTMENT),
    "pro:attachment_add": _first("pro.Post", **DEPARTMENT),
    "pro:attachment": _first(
        "pro.Attachment", optional=True, post__network__slug="boite-numerique"
    ),
    "pro:event": _first("pro.Event", **DEPARTMENT),
    "pro:event_edit": _first("pro.Event", **DEPARTMENT),
    "pro:event_register": _first("pro.Event", **DEPARTMENT),
    "pro:event_cancel": _first("pro.Event", **DEPARTMENT),
    "pro:event_ics": _first("pro.Event", **DEPARTMENT),
    "pro:event_message": _first("pro.Event", **DEPARTMENT),
    "pro:document": _first("pro.Document", **DEPARTMENT),
    "pro:document_version": _first("pro.Document", **DEPARTMENT),
    "pro:document_download": _first(
        "pro.DocumentVersion", document__network__slug="boite-numerique"
    ),
    "pro:selection": _first("pro.Selection", "slug", **DEPARTMENT),
    "lending:sync_now": lambda: {
        "account_id": _first("lending.DistributorAccount", networks__slug="boite-numerique")()["pk"]
    },
    "lending:borrow": _first(
        "lending.Licence", "record_id", record__isnull=False, networks__slug="boite-numerique"
    ),
    "lending:hold": _first(
        "lending.Licence", "record_id", record__isnull=False, networks__slug="boite-numerique"
    ),
    "stats:export": lambda: {"key": "membership", "fmt": "csv"},
    "stats:yearly_report": lambda: {"year": timezone.localdate().year},
    "stats:yearly_report_odt": lambda: {"year": timezone.localdate().year},
    "patrons:confirm": lambda: {"token": "lien-perime"},
    "patrons:password_reset_confirm": lambda: {"uidb64": "MQ", "token": "lien-perime"},
    **{
        f"patrons:staff_{name}": _first("patrons.Patron", **DEPARTMENT)
        for name in [
            "detail",
            "approve",
            "reject",
            "document",
            "renew",
            "suspend",
            "reinstate",
            "change_library",
        ]
    },
    **{
        f"finance:{name}": _first("finance.Campaign", **DEPARTMENT)
        for name in [
            "campaign",
            "campaign_generate",
            "campaign_csv",
            "campaign_xlsx",
            "campaign_remind",
        ]
    },
    **{
        f"finance:{name}": _first("finance.Membership", campaign__network__slug="boite-numerique")
        for name in ["membership_state", "letter", "letter_odt"]
    },
    "finance:agreement": _first("finance.Agreement"),
    "finance:contracts": lambda: {"year": 2026},
    "finance:committee": _first("finance.Committee"),
    "finance:meeting": _first("finance.Meeting"),
    "finance:document": lambda: {"kind": "convention", "pk": _first("finance.Agreement")()["pk"]},
    "pro:news_detail": _first("pro.NewsItem", "slug", **DEPARTMENT),
    # The gate answers a redirect to the provider (or a refusal) to every persona: the
    # audits check that it sends anonymous visitors to the login; its refusal page is
    # audited with axe in boite/access/tests/test_gate_browser.py.
    "access:gate": lambda: {"slug": "ressource-absente"},
    "access:gate_record": lambda: {"slug": "ressource-absente", "record_id": 0},
}

# Pages anyone may open; every other page must refuse an anonymous visitor.
PUBLIC_PAGES = {
    "networks:home",
    "networks:library_directory",
    "networks:library",
    "networks:legal_notice",
    "networks:privacy",
    "networks:accessibility",
    "patrons:register",
    "patrons:registered",
    "patrons:confirm",
    "patrons:login",
    "patrons:logout",
    "patrons:password_reset",
    "patrons:password_reset_done",
    "patrons:password_reset_confirm",
    "patrons:password_reset_complete",
    "catalog:category",
    "catalog:search",
    "catalog:suggest",
    "catalog:resource",
    "catalog:record",
    "access:cas_logout",
    "lending:reading_apps",
    "pro:news",
    "pro:news_detail",
    "pro:selection",
}

NOT_PAGES: dict[str, str] = {
    "healthz": "JSON health check for load balancers",
    "set_language": "POST-only language switch, redirects",
    "networks:theme_css": "stylesheet",
    "networks:favicon": "icon for browsers and monitors",
    "networks:touch_icon": "icon for phones' home screens",
    "api": "JSON API, checked by schemathesis against its OpenAPI",
    "admin": "Django's own admin, audited upstream; staff pages of Boîte live in /gestion/",
    "javascript-catalog": "script",
    "oauth2_provider:token": "OAuth token endpoint (machine to machine), tested with authlib",
    "oauth2_provider:revoke-token": "OAuth endpoint (machine to machine)",
    "oauth2_provider:introspect": "OAuth endpoint (machine to machine)",
    "oauth2_provider:user-info": "OIDC userinfo, bearer token only",
    "oauth2_provider:oidc-connect-discovery-info": "OIDC discovery document (JSON)",
    "oauth2_provider:jwks-info": "OIDC public keys (JSON)",
    "oauth2_provider:rp-initiated-logout": "OIDC RP-initiated logout (end_session_endpoint)",
    "oauth2_provider:oauth-server-metadata": "RFC 8414 metadata (JSON), names the issuer",
    "access:cas_validate": "CAS ticket validation (machine to machine), tested with python-cas",
    "access:cas_service_validate": "CAS ticket validation (XML/JSON), tested with python-cas",
    "access:cas_p3_service_validate": "CAS ticket validation (XML/JSON), tested with python-cas",
    "access:cas_proxy_validate": "CAS proxy validation of service tickets (XML/JSON)",
    "access:cas_p3_proxy_validate": "CAS proxy validation of service tickets (XML/JSON)",
    "access:cas_proxy": "CAS proxy endpoint: the protocol's proxyFailure document",
    "lending:notification": "distributor notification (machine to machine, secret token)",
    "lending:opds_collection": "OPDS 2.0 JSON feed for reading apps (tested in boite/lending)",
    "lending:opds_loans": "OPDS 2.0 JSON feed, HTTP Basic (tested in boite/lending)",
    "pro:private_feed_rss": "feed opened by its secret token alone (tested in boite/pro/tests)",
    "pro:private_feed_atom": "feed opened by its secret token alone (tested in boite/pro/tests)",
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


def page_names() -> set[str]:
    """The names of every page, without building their addresses."""
    return {name for name, _p in _walk(get_resolver().url_patterns) if not _excluded(name)}


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
