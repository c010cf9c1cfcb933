"""Fixtures of the lending tests: fake distributors on 127.0.0.1 and the adapters on them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from boite.lending.distributors import connect
from boite.lending.distributors.base import Connection, Distributor, LicenceRef
from boite.lending.tests.fakes import GLN, PASSWORD, FakeDilicom, FakeDistributor, FakeODL

# Short enough to keep the timeout tests quick, long enough for a loaded CI machine.
TIMEOUT = 1.0


@dataclass
class Pair:
    """A fake distributor and the portal's adapter pointed at it."""

    fake: FakeDistributor
    adapter: Distributor

    def licence(self, licence_id: str, **terms) -> LicenceRef:
        self.fake.add_licence(licence_id, **terms)
        return self.ref(licence_id)

    def ref(self, licence_id: str) -> LicenceRef:
        if isinstance(self.fake, FakeODL):
            return LicenceRef(
                licence_id,
                info_url=self.fake.info_url(licence_id),
                checkout_url=self.fake.checkout_url(licence_id),
            )
        return LicenceRef(licence_id)


def _fake(kind: str) -> FakeDistributor:
    return (FakeDilicom if kind == "dilicom" else FakeODL)().start()


@pytest.fixture
def fake_dilicom():
    fake = FakeDilicom().start()
    yield fake
    fake.stop()


@pytest.fixture
def fake_odl():
    fake = FakeODL().start()
    yield fake
    fake.stop()


@pytest.fixture(params=["dilicom", "odl"])
def pair(request):
    """Each behavioural test runs once against Dilicom PNB and once against ODL."""
    fake = _fake(request.param)
    connection = Connection(
        base_url=fake.url,
        login=GLN,
        password=PASSWORD,
        timeout=TIMEOUT,
        notification_url="https://localhost/prets/odl/notifications/",
    )
    adapter = connect(request.param, connection)
    yield Pair(fake, adapter)
    adapter.close()
    fake.stop()


DATA = Path(__file__).parent / "data"


@pytest.fixture
def dilicom_account(db, calvados, caen_network, fake_dilicom):
    """The PNB contract shared by both networks, pointed at the fake Dilicom."""
    from boite.lending.models import DistributorAccount

    account = DistributorAccount.objects.create(
        name="Dilicom PNB — Calvados",
        kind="dilicom",
        base_url=fake_dilicom.url,
        login=GLN,
        password=PASSWORD,
        timeout_seconds=2,
        owner=calvados,
    )
    account.networks.set([calvados, caen_network])
    return account


@pytest.fixture
def odl_account(db, calvados, fake_odl):
    from boite.lending.models import DistributorAccount

    account = DistributorAccount.objects.create(
        name="ODL — Calvados",
        kind="odl",
        base_url=fake_odl.url + "/feed",
        login=GLN,
        password=PASSWORD,
        timeout_seconds=2,
        owner=calvados,
    )
    account.networks.set([calvados])
    return account


@pytest.fixture
def pnb_resource(db, calvados, caen_network):
    """« Livres numériques (PNB) », open to both networks."""
    from boite.catalog.categories import Category
    from boite.catalog.models import Provider, Resource

    provider = Provider.objects.create(name="Dilicom PNB", slug="dilicom-pnb", owner=calvados)
    resource = Resource.objects.create(
        provider=provider,
        name="Livres numériques (PNB)",
        slug="pnb-livres",
        category=Category.BOOK,
        owner=calvados,
    )
    resource.networks.set([calvados, caen_network])
    return resource


@pytest.fixture
def pnb_records(pnb_resource):
    """A catalogue record for every EAN of the test offer files, so that imports link."""
    import re

    from boite.catalog.models import Record

    eans = set()
    for path in DATA.iterdir():
        eans |= set(re.findall(r"97[89]\d{10}", path.read_text(encoding="utf-8")))
    Record.objects.bulk_create(
        Record(resource=pnb_resource, provider_id=ean, title=f"Livre {ean}", isbn=ean, kind="ebook")
        for ean in sorted(eans)
    )
    return {r.isbn: r for r in Record.objects.filter(resource=pnb_resource)}


@pytest.fixture
def pnb_record(pnb_resource):
    from boite.catalog.models import Record

    return Record.objects.create(
        resource=pnb_resource,
        provider_id="9782070368228",
        title="L'Étranger",
        isbn="9782070368228",
        kind="ebook",
    )


@pytest.fixture
def make_licence(dilicom_account, fake_dilicom, calvados, caen_network):
    """A licence of the fake Dilicom on a record, known to both the portal and the fake."""
    from datetime import timedelta

    from django.utils import timezone

    from boite.lending.models import Licence

    def _make(record, key="OL-1", *, concurrency=1, loans=30, days=60, valid_days=365, **extra):
        fake_dilicom.add_licence(
            key,
            loans_total=loans,
            concurrency=concurrency,
            loan_max_days=days,
            expires=timezone.now() + timedelta(days=valid_days),
            **extra,
        )
        licence = Licence.objects.create(
            account=dilicom_account,
            distributor_key=key,
            ean=record.isbn,
            title=record.title,
            record=record,
            loans_total=loans,
            loans_left=loans,
            concurrent_max=concurrency,
            loan_max_days=days,
            valid_until=timezone.now() + timedelta(days=valid_days),
        )
        licence.networks.set([calvados, caen_network])
        return licence

    return _make
