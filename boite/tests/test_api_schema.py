"""The JSON API against its own OpenAPI description (schemathesis): for every operation
and generated input, no server error, and answers that conform to the schema.

Explored twice: anonymously, and as a network administrator who may read the patrons
list (so the operations behind a login are explored past the 401). The rate limits of
the API are tested apart from the exploration (the counters are cleared between examples).
"""

from __future__ import annotations

from contextlib import contextmanager

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from boite.api import api
from boite.lib import counters

pytestmark = pytest.mark.django_db

CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES_PER_OPERATION = 30


@contextmanager
def _connections_kept():
    """As Django's test client does: a request must not close the test's connection (on
    PostgreSQL it would, being inside the test's transaction)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def _explore(cookies: dict) -> list[str]:
    with _connections_kept():
        return _explore_operations(cookies)


def _explore_operations(cookies: dict) -> list[str]:
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())
    explored = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        @given(case=operation.as_strategy())
        def check(case) -> None:
            counters.store().clear()  # the exploration is not a flood: limits tested below
            response = case.call(cookies=cookies, headers={"Host": "localhost"})
            case.validate_response(response, checks=CHECKS)

        check()
        explored.append(operation.label)
    return explored


def test_api_anonymously_conforms_without_server_error(calvados):
    assert "GET /api/patrons/me" in _explore({})


def test_api_as_staff_conforms_without_server_error(admin_calvados, patron_bayeux):
    client = Client()
    client.force_login(admin_calvados)
    name = django_settings.SESSION_COOKIE_NAME
    explored = _explore({name: client.cookies[name].value})
    assert {"GET /api/patrons/", "GET /api/patrons/me"} <= set(explored)


def test_api_rates_come_from_the_settings(settings):
    assert [t.rate for t in api.throttle] == [
        settings.API_RATE_ANONYMOUS,
        settings.API_RATE_AUTHENTICATED,
    ]


def test_api_answers_429_past_the_rate(client, login, admin_calvados, monkeypatch):
    # Anonymous calls to operations behind a login are refused (401) before any count.
    per_account = api.throttle[1]
    monkeypatch.setattr(per_account, "num_requests", 5)
    login(client, admin_calvados)
    statuses = [client.get("/api/patrons/").status_code for _n in range(5)]
    assert statuses == [200] * 5
    refused = client.get("/api/patrons/")
    assert refused.status_code == 429
