"""Fixtures of the catalogue tests: a fresh search index per test, the demo catalogue,
and a real HTTP server on 127.0.0.1 that plays the providers."""

from __future__ import annotations

import io
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from boite.catalog import demo
from boite.catalog.categories import Category
from boite.catalog.models import Provider, Resource
from boite.catalog.search import _instances

FIXTURES = Path(demo.__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def _search_index(settings, tmp_path):
    settings.CATALOG_INDEX_DIR = tmp_path / "index"
    settings.CATALOG_FILES_ROOT = tmp_path / "catalog-files"
    yield
    _instances.clear()


@pytest.fixture
def catalogue(calvados, caen_network):
    """The demo catalogue, harvested from the fixture files, open to both networks."""
    demo.load(io.StringIO())
    return {r.slug: r for r in Resource.objects.all()}


@pytest.fixture
def provider(db, calvados) -> Provider:
    return Provider.objects.create(name="Fournisseur test", slug="fournisseur-test", owner=calvados)


@pytest.fixture
def make_resource(provider, calvados, settings):
    """A resource whose source is an address, or — given a local file — that file chosen
    from the drop directory (its folder), as a superuser would choose it."""

    def _make(slug="essai", fmt="csv", source="", options=None, networks=None, **extra):
        source = str(source)
        if source and not source.startswith(("http://", "https://")):
            settings.CATALOG_DROP_DIR = Path(source).parent
            extra["harvest_drop_file"] = Path(source).name
            source = ""
        resource = Resource.objects.create(
            provider=provider,
            name=extra.pop("name", slug.title()),
            slug=slug,
            category=extra.pop("category", Category.BOOK),
            harvest_format=fmt,
            harvest_source=source,
            harvest_options=options or {},
            owner=extra.pop("owner", calvados),
            **extra,
        )
        resource.networks.set(networks if networks is not None else [calvados])
        return resource

    return _make


class FakeProvider:
    """Routes of a fake provider: path → callable(handler, query) → (status, headers, body)."""

    def __init__(self) -> None:
        self.routes: dict[str, object] = {}
        self.requests: list[tuple[str, dict, dict]] = []
        self.server: ThreadingHTTPServer | None = None

    def url(self, path: str) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}{path}"


@pytest.fixture
def fake_provider():
    from urllib.parse import parse_qs, urlsplit

    fake = FakeProvider()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            fake.requests.append((parts.path, query, dict(self.headers)))
            route = fake.routes.get(parts.path)
            if route is None:
                self.send_error(404)
                return
            status, headers, body = route(self, query)
            if isinstance(body, str):
                body = body.encode()
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    fake.server = server
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield fake
    server.shutdown()
    server.server_close()
