"""The JSON API (django-ninja), OpenAPI at /api/docs.

Each app that has an `api.py` with a `router` is mounted here, in INSTALLED_APPS
order, so that adding an endpoint never touches this file.
"""

from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from ninja import NinjaAPI

api = NinjaAPI(title="Boîte", version="1", urls_namespace="api", docs_url="/docs")

for _config in apps.get_app_configs():
    if _config.name.startswith("boite.") and find_spec(f"{_config.name}.api"):
        api.add_router("", import_module(f"{_config.name}.api").router)
