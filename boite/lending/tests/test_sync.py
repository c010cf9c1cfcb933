"""The sync job: counters true to the distributor, expiry, offer inbox, the command."""

from __future__ import annotations

import shutil
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from boite.lending import sync, tasks
from boite.lending.models import Licence, SyncRun
from boite.lending.tests.conftest import DATA


def _licence(account, key: str, **fields) -> Licence:
    fields.setdefault("ean", "9782070368228")
    licence = Licence.objects.create(account=account, distributor_key=key, **fields)
    licence.networks.set(account.networks.all())
    return licence


def _odl_licence(account, fake, key: str, **fields) -> Licence:
    return _licence(
        account, key, info_url=fake.info_url(key), checkout_url=fake.checkout_url(key), **fields
    )


def test_counters_become_the_distributors(dilicom_account, fake_dilicom):
    fake = fake_dilicom.add_licence("OL-1", loans_total=30, concurrency=2, loan_max_days=45)
    fake.loans_left = 12
    fake_dilicom.add_licence("OL-2", loans_total=5, loans_left=0)
    one = _licence(dilicom_account, "OL-1", loans_total=30, loans_left=30, concurrent_max=2)
    two = _licence(dilicom_account, "OL-2", loans_total=5, loans_left=5)
    run = sync.refresh_counters(dilicom_account)
    assert run.outcome == SyncRun.Outcome.SUCCESS
    assert (run.seen, run.updated) == (2, 2)
    one.refresh_from_db()
    two.refresh_from_db()
    # getLoanStatus tells loans left and in use: the terms stay as the offer file gave them.
    assert (one.loans_left, one.loan_max_days, one.synced_at is not None) == (12, 21, True)
    assert (one.loans_total, one.concurrent_max) == (30, 2)
    assert (two.loans_left, two.state) == (0, Licence.State.EXHAUSTED)


def test_odl_counters_come_from_the_license_info_documents(odl_account, fake_odl):
    from boite.lending.tests.fakes import FakeLoan

    fake = fake_odl.add_licence("odl-1", loans_total=20, concurrency=3)
    now = timezone.now()
    for n in range(2):
        fake.loans[f"x{n}"] = FakeLoan(f"x{n}", "odl-1", "p", now + timedelta(days=3), now, "h", "")
    fake.loans_left = 18
    licence = _odl_licence(odl_account, fake_odl, "odl-1", loans_total=20, concurrent_max=3)
    run = sync.refresh_counters(odl_account)
    licence.refresh_from_db()
    assert run.outcome == SyncRun.Outcome.SUCCESS
    assert (licence.loans_left, licence.concurrent_in_use) == (18, 2)
    assert Licence.objects.with_free_copies().get(pk=licence.pk).free_copies == 1


def test_a_licence_unknown_to_the_distributor_is_a_recorded_problem(dilicom_account, fake_dilicom):
    fake_dilicom.add_licence("OL-1")
    _licence(dilicom_account, "OL-1", loans_total=30, loans_left=30)
    ghost = _licence(dilicom_account, "OL-GHOST", loans_total=3, loans_left=3)
    run = sync.refresh_counters(dilicom_account)
    assert run.outcome == SyncRun.Outcome.PARTIAL
    [problem] = run.problems
    assert problem["where"] == "licence OL-GHOST"
    assert problem["message"].endswith("(order line OL-GHOST not in the answer)")
    ghost.refresh_from_db()
    assert ghost.loans_left == 3 and ghost.synced_at is None


@pytest.mark.parametrize("mode", ["fail", "hang", "nonsense", "garbled"])
def test_a_failing_distributor_leaves_the_counters_and_a_failed_run(
    dilicom_account, fake_dilicom, mode
):
    fake_dilicom.add_licence("OL-1", loans_total=30).loans_left = 2
    licence = _licence(dilicom_account, "OL-1", loans_total=30, loans_left=30)
    fake_dilicom.mode = mode
    dilicom_account.timeout_seconds = 1
    run = sync.refresh_counters(dilicom_account)
    assert run.outcome == SyncRun.Outcome.FAILED
    assert run.problem_count == 1
    licence.refresh_from_db()
    assert (licence.loans_left, licence.synced_at) == (30, None)


def test_nonsense_about_one_odl_licence_spares_the_others(odl_account, fake_odl):
    fake_odl.add_licence("odl-1").loans_left = 7
    _odl_licence(odl_account, fake_odl, "odl-1", loans_total=30, loans_left=30)
    broken = _licence(odl_account, "odl-2", loans_total=30, loans_left=30)  # no info URL
    run = sync.refresh_counters(odl_account)
    assert run.outcome == SyncRun.Outcome.PARTIAL
    assert Licence.objects.get(distributor_key="odl-1").loans_left == 7
    broken.refresh_from_db()
    assert broken.loans_left == 30


def test_expired_licences_stop_even_when_the_distributor_is_down(dilicom_account, fake_dilicom):
    past = timezone.now() - timedelta(hours=1)
    old = _licence(dilicom_account, "OL-OLD", valid_until=past, loans_total=5, loans_left=5)
    fake_dilicom.mode = "fail"
    run = sync.refresh_counters(dilicom_account)
    assert run.ended == 1
    old.refresh_from_db()
    assert old.state == Licence.State.EXPIRED
    assert not Licence.objects.lendable().exists()


def test_lendable_licences(dilicom_account):
    soon = timezone.now() + timedelta(days=10)
    _licence(dilicom_account, "free", loans_total=3, loans_left=3, valid_until=soon)
    _licence(dilicom_account, "busy", loans_total=3, loans_left=3, concurrent_in_use=1)
    _licence(dilicom_account, "spent", loans_total=3, loans_left=0)
    _licence(dilicom_account, "unlimited", concurrent_max=2)
    keys = set(Licence.objects.lendable().values_list("distributor_key", flat=True))
    assert keys == {"free", "unlimited"}
    assert list(Licence.objects.expiring_within().values_list("distributor_key", flat=True)) == [
        "free"
    ]


@pytest.mark.usefixtures("pnb_records")
def test_offer_files_of_the_inbox_are_applied_once(dilicom_account, settings, tmp_path):
    settings.LENDING_OFFERS_INBOX = tmp_path
    inbox = tmp_path / str(dilicom_account.pk)
    inbox.mkdir()
    shutil.copy(DATA / "pnb_offers_full.xml", inbox / "2026-11-23_full.xml")
    shutil.copy(DATA / "pnb_offers_delta.xml", inbox / "2026-11-24_delta.xml")
    shutil.copy(DATA / "pnb_offers_truncated.xml", inbox / "2026-11-25_delta.xml")
    runs = sync.apply_inbox(dilicom_account)
    assert [r.outcome for r in runs] == ["success", "success", "failed"]
    assert [r.kind for r in runs] == ["offers_full", "offers_delta", "offers_delta"]
    assert Licence.objects.count() == 7
    assert sorted(p.name for p in (inbox / "done").iterdir()) == [
        "2026-11-23_full.xml",
        "2026-11-24_delta.xml",
    ]
    assert [p.name for p in (inbox / "failed").iterdir()] == ["2026-11-25_delta.xml"]
    assert sync.apply_inbox(dilicom_account) == []


def test_the_periodic_job_syncs_every_active_account(
    dilicom_account, odl_account, fake_dilicom, settings, tmp_path
):
    settings.LENDING_OFFERS_INBOX = tmp_path
    fake_dilicom.add_licence("OL-1").loans_left = 9
    _licence(dilicom_account, "OL-1", loans_total=30, loans_left=30)
    odl_account.is_active = False
    odl_account.save()
    tasks.sync_licences_periodically.call_local()
    assert Licence.objects.get(distributor_key="OL-1").loans_left == 9
    assert SyncRun.objects.filter(account=dilicom_account, kind="counters").count() == 1
    assert not SyncRun.objects.filter(account=odl_account).exists()


def test_the_command_imports_and_refreshes_with_progress(dilicom_account, fake_dilicom):
    for n in range(1, 7):
        fake_dilicom.add_licence(f"OL-2026-00010{n}", loans_total=10, loans_left=3)
    out = StringIO()
    call_command(
        "sync_licences",
        account=dilicom_account.pk,
        offers=str(DATA / "pnb_offers_full.xml"),
        full=True,
        stdout=out,
        stderr=StringIO(),
    )
    text = out.getvalue()
    assert "created 6" in text and "seen 6" in text
    assert Licence.objects.filter(loans_left=3).count() == 6  # the distributor's count


def test_the_command_says_what_failed(dilicom_account):
    out = StringIO()
    with pytest.raises(CommandError):
        call_command(
            "sync_licences",
            account=dilicom_account.pk,
            offers=str(DATA / "pnb_offers_truncated.xml"),
            no_counters=True,
            stdout=out,
        )
    assert "problems 1" in out.getvalue()
    with pytest.raises(CommandError, match="No active"):
        call_command("sync_licences", account=999)


def test_the_demo_loads_licences_for_both_networks(calvados, caen_network):
    from boite.lending import demo

    out = StringIO()
    demo.load(out)
    assert "demo_pnb_offers_full.xml: 6 licences" in out.getvalue()
    assert Licence.objects.for_network(caen_network).count() == 6
    assert Licence.objects.for_network(calvados).count() == 6
