"""The JSON API (django-ninja), OpenAPI at /api/docs.

Each app that has an `api.py` with a `router` is mounted here, in INSTALLED_APPS
order, so that adding an endpoint never touches this file.
"""

import logging
from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.conf import settings
from django.db import DatabaseError
from ninja import NinjaAPI
from ninja.throttling import AnonRateThrottle, AuthRateThrottle

from boite.lib import counters
from boite.lib.lockout import hash_of
from boite.lib.security import client_address

_log = logging.getLogger("boite.security")


class _Counted:
    """Count in the counters store that never evicts (boite.lib.counters), one window of
    `duration` seconds at a time, atomically, instead of django-ninja's list of times in
    the cache (read, changed and written back: two servers lose each other's hits)."""

    def allow_request(self, request) -> bool:
        self.key = self.get_cache_key(request)
        if self.key is None:
            return True
        try:
            self.count = counters.hit(self.key, self.duration)
        except DatabaseError:
            # SQLite busy past its timeout (a harvest's long write): the API limit
            # protects the server's time, not a person, so the request goes on.
            _log.warning("API rate limit not counted: the counters table is busy")
            return True
        return self.count <= self.num_requests

    def wait(self) -> float | None:
        return float(self.duration)


class _PerAddress(_Counted, AnonRateThrottle):
    def get_ident(self, request) -> str:
        # django-ninja's own rule trusts the whole X-Forwarded-For when no proxy count is
        # set: a forged header would escape the limit. The portal's rule instead (hashed:
        # the counters store keeps no address).
        return hash_of(client_address(request))


class _PerAccount(_Counted, AuthRateThrottle):
    def get_ident(self, request) -> str:
        return hash_of(client_address(request))


# Rate limits per client (IP address when anonymous, account when logged in), counted in
# the counters store; past them the API answers 429.
api = NinjaAPI(
    title="Boîte",
    version="1",
    urls_namespace="api",
    docs_url="/docs",
    throttle=[
        _PerAddress(settings.API_RATE_ANONYMOUS),
        _PerAccount(settings.API_RATE_AUTHENTICATED),
    ],
)

for _config in apps.get_app_configs():
    if _config.name.startswith("boite.") and find_spec(f"{_config.name}.api"):
        _module = import_module(f"{_config.name}.api")
        if hasattr(_module, "router"):  # boite.lib.api holds shared schemas, no endpoint
            api.add_router("", _module.router)
