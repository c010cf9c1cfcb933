"""The demo: every PNB e-book and audiobook of the demo catalogue can be borrowed once the
demo account points at a fake distributor."""

import io

import pytest
from django.core.management import call_command

from boite.catalog.models import Record
from boite.lending import loans as lending
from boite.lending.demo import ACCOUNT_NAME, PNB_RESOURCES
from boite.lending.models import DistributorAccount, Licence, Loan, SyncRun
from boite.lending.tests.fakes import GLN, PASSWORD, FakeDilicom, mirror
from boite.patrons.models import Patron


@pytest.fixture
def demo(db):
    call_command("load_demo", stdout=io.StringIO())
    fake = FakeDilicom().start()
    account = DistributorAccount.objects.get(name=ACCOUNT_NAME)
    DistributorAccount.objects.filter(pk=account.pk).update(
        base_url=fake.url, login=GLN, password=PASSWORD
    )
    mirror(fake, account.licences.all())
    yield fake
    fake.stop()


def test_every_demo_pnb_record_has_a_licence_and_can_be_borrowed(demo):
    records = Record.objects.filter(resource__slug__in=PNB_RESOURCES)
    assert records.count() >= 10
    assert set(
        Licence.objects.filter(record__isnull=False).values_list("record", flat=True)
    ) >= set(records.values_list("pk", flat=True))
    patron = Patron.objects.filter(
        network__slug="boite-numerique", state=Patron.State.ACTIVE, user__isnull=False
    ).first()
    record = records.filter(kind="livre-audio").first() or records.last()
    loan = lending.borrow(
        patron, record, patron.network, lending.BorrowRequest(14, "phrase de démo", "démo")
    )
    assert loan.state == Loan.State.ACTIVE
    assert demo.loan(str(loan.uuid)) is not None


def test_the_demo_offer_file_records_its_unknown_eans(demo):
    run = SyncRun.objects.filter(source="demo_pnb_offers_full.xml").first()
    assert run.outcome == SyncRun.Outcome.PARTIAL
    assert any("EAN" in p["message"] for p in run.problems)
