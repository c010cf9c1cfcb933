"""Fixtures of the journeys across apps: the demo catalogue, searchable, with its providers
and its PNB distributor played by fake servers on 127.0.0.1."""

from __future__ import annotations

import io
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest

from boite.access.tests.fake_provider import FakeProvider
from boite.lending.tests.fakes import GLN, PASSWORD, FakeDilicom, mirror


@dataclass
class DemoPortal:
    provider: FakeProvider  # plays Cafeyn (signed link, Vodeclic-style hashes)
    dilicom: FakeDilicom  # plays the PNB loan service


@pytest.fixture
def search_index(settings, tmp_path):
    """A fresh tantivy index for the test (the live server's thread uses it too)."""
    from boite.catalog.search import _instances

    settings.CATALOG_INDEX_DIR = tmp_path / "index"
    yield settings.CATALOG_INDEX_DIR
    _instances.clear()


@pytest.fixture
def demo_portal(calvados, search_index):
    """The demo catalogue harvested from its fixture files into a fresh tantivy index, the
    demo connectors, and the demo PNB licences: Cafeyn's connector on a fake provider that
    checks its signed link, the PNB account on a fake Dilicom holding the same licences."""
    from boite.access import demo as access_demo
    from boite.access.demo import demo_key
    from boite.access.models import Connector
    from boite.catalog import demo as catalog_demo
    from boite.lending import demo as lending_demo
    from boite.lending.models import DistributorAccount

    quiet = io.StringIO()
    catalog_demo.load(quiet)
    access_demo.load(quiet)
    lending_demo.load(quiet)
    with FakeProvider() as provider:
        dilicom = FakeDilicom().start()
        try:
            access_demo.point_at(provider.origin)
            cafeyn = Connector.objects.get(network=calvados, resource__slug="cafeyn")
            provider.add(
                urlsplit(cafeyn.settings["url"]).path, "vodeclic", demo_key(calvados, "cafeyn")
            )
            account = DistributorAccount.objects.get(name=lending_demo.ACCOUNT_NAME)
            DistributorAccount.objects.filter(pk=account.pk).update(
                base_url=dilicom.url, login=GLN, password=PASSWORD
            )
            mirror(dilicom, account.licences.all())
            yield DemoPortal(provider=provider, dilicom=dilicom)
        finally:
            dilicom.stop()
