"""PNB lending: offer import and licence sync at the scale of a large network (issue 6).

Against the fake distributors of the test suite, on loopback, in this process:
- import of a full Dilicom ONIX offer file of 50 000 products (streamed with iterparse);
- refresh of the counters of 50 000 licences from Dilicom `getLoanStatus` (100 per call);
- refresh of 5 000 ODL licences, one License Info Document each (the protocol's cost).
Peak memory is tracemalloc's peak over a second run of the same step (tracemalloc slows
Python down, so times come from a run without it).
- checkout server time: « Emprunter » posted through Django's test client (form, limits,
  the locked reservation, the Dilicom `loanBook` call on loopback, confirmation), 200
  patrons borrowing one title with 1 000 simultaneous copies; median and p95.
"""

from __future__ import annotations

import os
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from bench.report import Report
from boite.lending.models import DistributorAccount, Licence, SyncRun
from boite.lending.sync import import_offers, refresh_counters
from boite.lending.tests.fakes import GLN, PASSWORD, FakeDilicom, FakeODL
from boite.networks.models import Network

DILICOM_LICENCES = int(os.environ.get("BENCH_LENDING_LICENCES", 50_000))
ODL_LICENCES = 5_000
K = f"{DILICOM_LICENCES // 1000}k"  # in the figure names


def _ean(n: int) -> str:
    body = f"978{n:09d}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def _onix(path: Path, count: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write(
            '<?xml version="1.0" encoding="UTF-8"?>\n<ONIXMessage release="3.0" '
            'xmlns="http://ns.editeur.org/onix/3.0/reference" '
            'xmlns:pnb="http://www.dilicom.net/pnb/offer"><Header><SenderName>Dilicom'
            "</SenderName></Header>\n"
        )
        for n in range(count):
            out.write(
                f"<Product><RecordReference>b.{n}</RecordReference>"
                "<NotificationType>03</NotificationType><ProductIdentifier>"
                f"<ProductIDType>03</ProductIDType><IDValue>{_ean(n)}</IDValue>"
                "</ProductIdentifier><DescriptiveDetail><ProductForm>ED</ProductForm>"
                "<TitleDetail><TitleType>01</TitleType><TitleElement>"
                f"<TitleElementLevel>01</TitleElementLevel><TitleText>Titre n° {n}</TitleText>"
                "</TitleElement></TitleDetail></DescriptiveDetail><ProductSupply>"
                "<SupplyDetail><Price><PriceAmount>12.99</PriceAmount></Price></SupplyDetail>"
                f"</ProductSupply><pnb:OrderLine><pnb:orderLineId>OL-{n}</pnb:orderLineId>"
                "<pnb:orderDate>2026-01-15</pnb:orderDate><pnb:nbLoans>30</pnb:nbLoans>"
                "<pnb:loanNbSimultaneousUsers>2</pnb:loanNbSimultaneousUsers>"
                "<pnb:loanMaxDuration>60</pnb:loanMaxDuration>"
                "<pnb:offerValidity>60</pnb:offerValidity></pnb:OrderLine></Product>\n"
            )
        out.write("</ONIXMessage>\n")


def _timed(step: Callable[[], SyncRun]) -> tuple[float, SyncRun]:
    start = time.perf_counter()
    run = step()
    return time.perf_counter() - start, run


def _peak_mib(step: Callable[[], object]) -> float:
    tracemalloc.start()
    try:
        step()
        return tracemalloc.get_traced_memory()[1] / 1024 / 1024
    finally:
        tracemalloc.stop()


def _account(name: str, kind: str, url: str) -> DistributorAccount:
    account = DistributorAccount.objects.create(
        name=name, kind=kind, base_url=url, login=GLN, password=PASSWORD, timeout_seconds=30
    )
    account.networks.set(Network.objects.all())
    return account


def _bump(fake, step: int) -> None:
    """The distributor's counters move between two syncs, so that every row is rewritten."""
    for licence in fake.licences.values():
        licence.loans_left = max(0, licence.loans_total - step)


CHECKOUTS = 200


def _checkouts(report: Report) -> None:

    from boite.catalog.models import Record
    from boite.lending.models import LendingRules

    network = Network.objects.get(slug="boite-numerique")
    library = network.libraries.order_by("pk").first()
    LendingRules.objects.update_or_create(network=network, defaults={"max_loans": 1000})
    record = Record.objects.filter(resource__slug="pnb-livres").order_by("pk").first()
    fake = FakeDilicom().start()
    plain = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    try:
        _borrow_many(report, network, library, record, fake, plain)
    finally:
        fake.stop()


def _borrow_many(report, network, library, record, fake, plain) -> None:
    from django.test import Client

    from boite.patrons.factories import make_patron

    with override_settings(STORAGES=plain):
        account = _account("Dilicom checkout bench", "dilicom", fake.url)
        licence = Licence.objects.create(
            account=account,
            distributor_key="BENCH-1",
            ean=record.isbn[:13],
            record=record,
            loans_total=10_000,
            loans_left=10_000,
            concurrent_max=1000,
            loan_max_days=60,
            # expires before the demo licence of the title: the borrow rule picks it first
            valid_until=timezone.now() + timedelta(days=20),
        )
        licence.networks.set([network])
        fake.add_licence("BENCH-1", loans_total=10_000, concurrency=1000)
        form = {"days": 21, "passphrase": "phrase de lecture", "hint": "indice"}
        samples = []
        for n in range(CHECKOUTS):
            patron = make_patron(library, email=f"bench-loan-{n}@example.org")
            client = Client(HTTP_HOST="localhost")
            client.force_login(patron.user)
            start = time.perf_counter()
            response = client.post(f"/prets/emprunter/{record.pk}/", form)
            samples.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 302, _why(response)
        report.timings("lending.checkout.server_time", samples)


def _why(response) -> str:
    form = response.context and response.context.get("form")
    return f"{response.status_code} {form.errors if form else ''}"


def run(report: Report) -> None:
    _checkouts(report)
    dilicom = FakeDilicom().start()
    odl = FakeODL().start()
    try:
        _run(report, dilicom, odl)
    finally:
        dilicom.stop()
        odl.stop()


def _run(report: Report, dilicom: FakeDilicom, odl: FakeODL) -> None:
    account = _account("Dilicom bench", "dilicom", dilicom.url)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "offers_full.xml"
        _onix(path, DILICOM_LICENCES)
        report.figure("lending.offers.file_size", path.stat().st_size / 1024 / 1024, "MiB")
        seconds, run_ = _timed(lambda: import_offers(account, str(path), full=True))
        assert run_.created == DILICOM_LICENCES, run_.problems[:3]
        report.figure(f"lending.offers.import_{K}.time", seconds, "s")
        report.figure(f"lending.offers.import_{K}.rate", DILICOM_LICENCES / seconds, "offers/s")
        report.figure(
            f"lending.offers.reimport_{K}.peak_memory",
            _peak_mib(lambda: import_offers(account, str(path), full=True)),
            "MiB",
        )

    for n in range(DILICOM_LICENCES):
        dilicom.add_licence(f"OL-{n}", loans_total=30, concurrency=2)
    _bump(dilicom, 3)
    dilicom.requests.clear()
    seconds, run_ = _timed(lambda: refresh_counters(account))
    assert run_.outcome == SyncRun.Outcome.SUCCESS and run_.updated == DILICOM_LICENCES
    report.figure(f"lending.sync.dilicom_{K}.time", seconds, "s")
    report.figure(f"lending.sync.dilicom_{K}.rate", DILICOM_LICENCES / seconds, "licences/s")
    report.figure(f"lending.sync.dilicom_{K}.requests", len(dilicom.requests), "requests")
    _bump(dilicom, 4)
    report.figure(
        f"lending.sync.dilicom_{K}.peak_memory", _peak_mib(lambda: refresh_counters(account)), "MiB"
    )
    assert Licence.objects.filter(account=account, loans_left=26).count() == DILICOM_LICENCES

    odl_account = _account("ODL bench", "odl", odl.url + "/feed")
    with transaction.atomic():
        licences = Licence.objects.bulk_create(
            Licence(
                account=odl_account,
                distributor_key=f"odl-{n}",
                ean=_ean(n),
                loans_total=30,
                loans_left=30,
                concurrent_max=2,
                info_url=odl.info_url(f"odl-{n}"),
                checkout_url=odl.checkout_url(f"odl-{n}"),
            )
            for n in range(ODL_LICENCES)
        )
    for licence in licences:
        odl.add_licence(licence.distributor_key, loans_total=30, concurrency=2)
    _bump(odl, 5)
    seconds, run_ = _timed(lambda: refresh_counters(odl_account))
    assert run_.outcome == SyncRun.Outcome.SUCCESS and run_.updated == ODL_LICENCES
    report.figure("lending.sync.odl_5k.time", seconds, "s")
    report.figure("lending.sync.odl_5k.rate", ODL_LICENCES / seconds, "licences/s")
