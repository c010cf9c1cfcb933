"""SUSHI fetches against a fake COUNTER_SUSHI5 server: real HTTP on 127.0.0.1."""

import json
import threading
from calendar import monthrange
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from django.utils import translation

from boite.stats.models import CounterReport, ProviderAccount
from boite.stats.sushi import fetch_last_month_for_all, fetch_report

FIXTURES = Path(__file__).parent / "fixtures"
pytestmark = pytest.mark.django_db


def _keep_months(report, first, last):
    """Answer the months asked, like a real server, from the quarter of the fixture."""
    report["Report_Header"]["Report_Filters"] = [
        {"Name": "Begin_Date", "Value": f"{first}-01"},
        {"Name": "End_Date", "Value": f"{last}-{monthrange(*map(int, last.split('-')))[1]}"},
    ]
    for item in report["Report_Items"]:
        item["Performance"] = [
            p for p in item["Performance"] if first <= p["Period"]["Begin_Date"][:7] <= last
        ]


class FakeSushi(BaseHTTPRequestHandler):
    """Answers /reports/tr and /reports/pr like a provider; `server.answer` may force an
    exception (its code) for the next requests."""

    def do_GET(self):
        url = urlparse(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        self.server.requests.append((url.path, query))
        if query.get("requestor_id") != "req-1" or query.get("api_key") != "secret":
            return self._json(
                401,
                {
                    "Code": 2000,
                    "Severity": "Error",
                    "Message": "Requestor Not Authorized to Access Service",
                },
            )
        if self.server.answer == 3030:
            header = json.loads((FIXTURES / "tr_r5.json").read_text())["Report_Header"]
            header["Exceptions"] = [
                {
                    "Code": 3030,
                    "Severity": "Error",
                    "Message": "No Usage Available for Requested Dates",
                }
            ]
            return self._json(200, {"Report_Header": header, "Report_Items": []})
        if self.server.answer == 1011:
            return self._json(202, [{"Code": 1011, "Message": "Report Queued for Processing"}])
        if self.server.answer == 500:
            return self._json(500, {"oops": True})
        if self.server.answer == "garbage":
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"<html>maintenance</html>")
            return None
        if url.path.endswith("/reports/tr"):
            report = json.loads((FIXTURES / "tr_r5.json").read_text())
            if self.server.answer != "whole_quarter":
                _keep_months(report, query["begin_date"], query["end_date"])
            return self._json(200, report)
        return self._json(200, [{"Code": 3000, "Message": "Report Not Supported"}])

    def _json(self, status, body):
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def sushi_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeSushi)
    server.requests = []
    server.answer = None
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def account(calvados, sushi_server):
    return ProviderAccount.objects.create(
        network=calvados,
        provider="cafeyn",
        name="Cafeyn",
        customer_id="BDC-14",
        sushi_url=f"http://127.0.0.1:{sushi_server.server_port}/counter/r5/",
        requestor_id="req-1",
        api_key="secret",
        sushi_reports="TR, PR",
    )


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _fetch(account, report_id="TR", **kwargs):
    return fetch_report(account, report_id, date(2026, 1, 1), date(2026, 3, 1), **kwargs)


def test_a_fetch_imports_the_report_and_sends_the_credentials(account, sushi_server):
    result = _fetch(account)
    assert result.ok, result.message
    assert result.report.source == "sushi"
    assert result.report.metrics.count() > 0
    path, query = sushi_server.requests[0]
    assert path == "/counter/r5/reports/tr"
    assert query == {
        "customer_id": "BDC-14",
        "requestor_id": "req-1",
        "api_key": "secret",
        "begin_date": "2026-01",
        "end_date": "2026-03",
    }
    account.refresh_from_db()
    assert "imported" in account.last_fetch_result


def test_fetching_again_is_refused_then_replaced_on_request(account):
    _fetch(account)
    again = _fetch(account)
    assert not again.ok and "already covers" in again.message
    assert _fetch(account, replace=True).ok
    assert CounterReport.objects.count() == 1


def test_requestor_not_authorised(account):
    account.api_key = "wrong"
    result = _fetch(account)
    assert not result.ok
    assert result.message == "The provider refused the requestor ID: it is not authorised. (2000)"
    assert not CounterReport.objects.exists()
    account.refresh_from_db()
    assert "not authorised" in account.last_fetch_result
    assert "wrong" not in account.last_fetch_result


def test_no_usage_is_not_an_error_and_stores_nothing(account, sushi_server):
    sushi_server.answer = 3030
    result = _fetch(account)
    assert result.ok
    assert result.message == "The provider has no usage for the requested months. (3030)"
    assert not CounterReport.objects.exists()


def test_report_queued(account, sushi_server):
    sushi_server.answer = 1011
    result = _fetch(account)
    assert not result.ok and "queued" in result.message
    assert not CounterReport.objects.exists()


def test_unsupported_report(account):
    result = _fetch(account, "PR")
    assert not result.ok and "does not offer this report" in result.message


@pytest.mark.parametrize(
    ("answer", "says"),
    [(500, "answered with error 500"), ("garbage", "not valid JSON")],
)
def test_a_broken_server_stores_nothing(account, sushi_server, answer, says):
    sushi_server.answer = answer
    result = _fetch(account)
    assert not result.ok and says in result.message
    assert not CounterReport.objects.exists()


def test_an_unreachable_server(account):
    account.sushi_url = "http://127.0.0.1:9/"
    result = _fetch(account)
    assert not result.ok and "could not be reached" in result.message


def test_the_french_message(account):
    account.api_key = "wrong"
    with translation.override("fr"):
        result = _fetch(account)
    assert (
        result.message
        == "Le fournisseur a refusé l'identifiant de demandeur : il n'est pas autorisé. (2000)"
    )


def test_the_monthly_job_fetches_last_month_of_each_report(account, sushi_server, time_machine):
    time_machine.move_to("2026-04-05 04:30+02:00")
    results = fetch_last_month_for_all()
    asked = [(p, q["begin_date"], q["end_date"]) for p, q in sushi_server.requests]
    assert asked == [
        ("/counter/r5/reports/tr", "2026-03", "2026-03"),
        ("/counter/r5/reports/pr", "2026-03", "2026-03"),
    ]
    assert [r.ok for r in results] == [True, False]
    report = CounterReport.objects.get()
    assert (report.begin, report.end) == (date(2026, 3, 1), date(2026, 3, 31))
    assert {m.month for m in report.metrics.all()} == {date(2026, 3, 1)}


def test_a_report_for_other_months_than_asked_is_refused(account, sushi_server):
    sushi_server.answer = "whole_quarter"
    result = fetch_report(account, "TR", date(2026, 3, 1), date(2026, 3, 1))
    assert not result.ok
    assert result.message == (
        "The SUSHI server sent usage for 2026-01 – 2026-03 where 2026-03 – 2026-03 was asked."
    )
    assert not CounterReport.objects.exists()


def test_a_queued_month_is_asked_again_later_with_a_growing_delay(account, sushi_server):
    from huey.contrib.djhuey import HUEY

    from boite.stats.sushi import RETRY_DELAYS, last_month
    from boite.stats.tasks import retry_sushi_fetch

    HUEY.flush()
    sushi_server.answer = 1011
    results = fetch_last_month_for_all()
    assert [r.retry_later for r in results] == [True, True]  # TR and PR both queued
    first = {t.args[1]: t for t in HUEY.scheduled()}
    task = first["TR"]
    assert task.args == (account.pk, "TR", last_month().isoformat(), 1)
    # Still queued at the first retry: asked again after the next, longer delay.
    retry_sushi_fetch.call_local(*task.args)
    later = [t for t in HUEY.scheduled() if t.args[-1] == 2 and t.args[1] == "TR"]
    assert len(later) == 1 and RETRY_DELAYS[1] > RETRY_DELAYS[0]
    assert not CounterReport.objects.exists()
    # The provider is ready: the month is stored.
    sushi_server.answer = None
    retry_sushi_fetch.call_local(*later[0].args)
    assert CounterReport.objects.get().begin == last_month()
    HUEY.flush()
