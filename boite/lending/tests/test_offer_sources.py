"""Offer files come only from the inbox the server's operator configured: a link dropped
there that points outside it is not read."""

from __future__ import annotations

import shutil

from boite.lending import sync
from boite.lending.models import Licence, SyncRun
from boite.lending.tests.conftest import DATA


def test_a_link_in_the_inbox_pointing_out_is_not_read(dilicom_account, settings, tmp_path):
    settings.LENDING_OFFERS_INBOX = tmp_path / "inbox"
    inbox = settings.LENDING_OFFERS_INBOX / str(dilicom_account.pk)
    inbox.mkdir(parents=True)
    outside = tmp_path / "elsewhere.xml"
    shutil.copy(DATA / "pnb_offers_full.xml", outside)
    (inbox / "2026-11-23_full.xml").symlink_to(outside)
    [run] = sync.apply_inbox(dilicom_account)
    assert run.outcome == SyncRun.Outcome.FAILED
    assert run.problems == [
        {"where": "2026-11-23_full.xml", "message": "fichier hors du dossier de dépôt"}
    ]
    assert not Licence.objects.exists()
    assert [p.name for p in (inbox / "failed").iterdir()] == ["2026-11-23_full.xml"]
    assert outside.exists()  # the file it pointed at is left alone
