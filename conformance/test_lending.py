"""Readium LCP documents of a real LCP server, through the ODL adapter's readers: the
License Status Document gives the right loan, state, end and interactions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from boite.lending.distributors.base import DistributorNonsense, LoanState
from boite.lending.distributors.odl import read_status_document
from conformance.conftest import sample

LSD_ID = "653673ed-ef9d-4987-a0cb-d9b017de4bbc"


def _status_document() -> dict:
    import json

    return json.loads(sample("opds", "edrlab_lcp_status_document.json").read_bytes())


def test_the_status_document_is_a_ready_loan(time_machine):
    time_machine.move_to(datetime(2023, 1, 14, 15, 0, tzinfo=UTC))
    answer = read_status_document(_status_document())
    assert answer.loan_id == LSD_ID
    assert answer.state == LoanState.READY
    assert answer.end == datetime(2023, 2, 13, 14, 2, 43, tzinfo=UTC)
    assert answer.download_url == f"http://192.168.0.42:8991/api/v1/licenses/{LSD_ID}"
    assert answer.can_return
    # Its renew link is a web page (text/html): not something the portal can PUT to.
    assert not answer.can_renew
    assert answer.status_url == ""  # no self link in this document


def test_the_same_document_read_after_its_end_is_not_an_open_loan(time_machine):
    time_machine.move_to(datetime(2023, 3, 1, tzinfo=UTC))
    with pytest.raises(DistributorNonsense):
        read_status_document(_status_document())
