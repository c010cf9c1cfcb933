"""Fixtures of the access tests: a patron account, connectors, a fake provider."""

from datetime import UTC, datetime

import pytest

from boite.access.models import Connector
from boite.access.tests.fake_provider import FakeProvider
from boite.networks.models import User

# 00:30 in Paris on 1 July, still 30 June in UTC: date formats must use Paris time.
FROZEN = datetime(2026, 6, 30, 22, 30, tzinfo=UTC)
KEY = "s3cr3t-Shared-Key-0451"


@pytest.fixture
def patron(bayeux_library) -> User:
    """The account of an active patron of Bayeux (departmental network)."""
    from boite.patrons.factories import make_patron

    return make_patron(
        bayeux_library,
        email="camille.martin@example.org",
        password="correct horse battery staple",
        first_name="Camille",
        last_name="Martin",
        card_number="14000123456",
    ).user


@pytest.fixture
def fake_provider():
    with FakeProvider() as provider:
        yield provider


@pytest.fixture
def cas_connector(calvados) -> Connector:
    connector = Connector(
        network=calvados,
        name="Skilleos (CAS)",
        kind="cas",
        settings={
            "url": "https://provider.example/",
            "services": ["https://provider.example/cas/callback"],
            "attributes": ["card_number", "email", "last_name", "network"],
        },
    )
    connector.full_clean()
    connector.save()
    return connector


_OPEN_SESSIONS: list = []


def http_session(session=None):
    """A requests session closed when the test ends: a kept-alive connection would hold a
    live-server thread (and its database connection) past the test."""
    import requests

    session = session if session is not None else requests.Session()
    _OPEN_SESSIONS.append(session)
    return session


@pytest.fixture(autouse=True)
def _close_http_sessions():
    yield
    while _OPEN_SESSIONS:
        _OPEN_SESSIONS.pop().close()


@pytest.fixture
def demo_access(calvados, caen_network, settings, tmp_path):
    """The demo catalogue and its connectors (both networks), with a fresh search index."""
    import io

    from boite.access import demo
    from boite.catalog import demo as catalog_demo
    from boite.catalog.search import _instances

    settings.CATALOG_INDEX_DIR = tmp_path / "index"
    catalog_demo.load(io.StringIO())
    demo.load(io.StringIO())
    yield {c.resource.slug: c for c in Connector.objects.filter(network=calvados)}
    _instances.clear()
