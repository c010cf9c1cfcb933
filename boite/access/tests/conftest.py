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
def patron(calvados) -> User:
    """A patron account of the departmental network (User fields until patrons lands)."""
    return User.objects.create_user(
        "14000123456",
        "camille.martin@example.org",
        "correct horse battery staple",
        first_name="Camille",
        last_name="Martin",
    )


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
