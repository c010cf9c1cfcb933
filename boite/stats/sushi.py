"""SUSHI: fetch COUNTER reports from a provider's server (COUNTER_SUSHI5 API).

    GET {sushi_url}/reports/tr?customer_id=…&requestor_id=…&api_key=…
        &begin_date=YYYY-MM&end_date=YYYY-MM

The answer is a report (read by boite.stats.counter) or SUSHI exceptions (a bare
exception object, a list of them, Exceptions in the report header, a wrapped or
stringified answer), told in words by their code. Every fetch writes its outcome on the
account (`last_fetch_result`); a failure stores nothing. « Queued », « busy » and « too
many requests » answers are tried again later with a growing delay
(`tasks.retry_sushi_fetch`, RETRY_DELAYS).
The server is reached through the portal's outbound client (boite.lib.outbound): an
internal address is refused, and so is a report beyond the size or time caps.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta

import httpx
from django.utils import timezone
from django.utils.translation import gettext as _

from boite.lib import outbound
from boite.stats.counter import (
    ReportError,
    SushiException,
    describe_exception,
    import_report,
    read_json,
)
from boite.stats.models import CounterReport, ProviderAccount

log = logging.getLogger(__name__)
TIMEOUT = httpx.Timeout(60.0, connect=10.0)
_NO_USAGE = {3030}
RETRY_DELAYS = (timedelta(hours=2), timedelta(hours=8), timedelta(days=1), timedelta(days=3))


@dataclass
class FetchResult:
    ok: bool
    message: str
    report: CounterReport | None = None
    retry_later: bool = False


def _url(account: ProviderAccount, report_id: str) -> str:
    return account.sushi_url.rstrip("/") + "/reports/" + report_id.lower()


def fetch_report(
    account: ProviderAccount,
    report_id: str,
    first_month: date,
    last_month: date,
    *,
    replace: bool = False,
    client: outbound.Client | None = None,
) -> FetchResult:
    """Fetch and import one report; never raises for what the provider answers."""
    params = {
        "customer_id": account.customer_id,
        "begin_date": f"{first_month:%Y-%m}",
        "end_date": f"{last_month:%Y-%m}",
    }
    if account.requestor_id:
        params["requestor_id"] = account.requestor_id
    if account.api_key:
        params["api_key"] = account.api_key
    try:
        result = _fetch(account, report_id, params, replace, client, first_month, last_month)
    except SushiException as error:
        result = FetchResult(False, str(error), retry_later=error.retry_later)
    except ReportError as error:
        result = FetchResult(False, str(error))
    _note(account, report_id, result)
    return result


def _fetch(
    account, report_id, params, replace, client, first_month: date, last_month: date
) -> FetchResult:
    if not account.sushi_url:
        raise ReportError(_("This provider account has no SUSHI server URL."))
    own_client = client is None
    client = client or outbound.Client(timeout=TIMEOUT)
    try:
        response = client.get(_url(account, report_id), params=params)
    except outbound.OutboundRefused as error:
        raise ReportError(
            _("SUSHI fetch refused: %(reason)s") % {"reason": error.message}
        ) from None
    except httpx.HTTPError as error:
        # The URL carries the API key: only the kind of failure is kept.
        raise ReportError(
            _("The SUSHI server could not be reached (%(error)s).")
            % {"error": type(error).__name__}
        ) from None
    finally:
        if own_client:
            client.close()
    if response.status_code >= 500:
        raise ReportError(
            _("The SUSHI server answered with error %(status)s.") % {"status": response.status_code}
        )
    try:
        parsed = read_json(response.content)
    except SushiException as error:
        if error.codes & _NO_USAGE:
            return FetchResult(True, describe_exception({"code": 3030, "message": ""}))
        raise
    if response.status_code >= 400:
        raise ReportError(
            _("The SUSHI server answered with error %(status)s.") % {"status": response.status_code}
        )
    errors = [e for e in parsed.exceptions if e["code"] < 3000]
    if errors:
        raise SushiException(errors)
    if not parsed.rows and {e["code"] for e in parsed.exceptions} & _NO_USAGE:
        return FetchResult(True, describe_exception({"code": 3030, "message": ""}))
    if parsed.report_id != report_id.upper().split("_")[0]:
        raise ReportError(
            _("The SUSHI server sent a %(found)s report where %(asked)s was asked.")
            % {"found": parsed.report_id, "asked": report_id.upper()}
        )
    asked = (first_month, last_month)
    if (parsed.begin.replace(day=1), parsed.end.replace(day=1)) != asked:
        raise ReportError(
            _("The SUSHI server sent usage for %(found)s where %(asked)s was asked.")
            % {
                "found": f"{parsed.begin:%Y-%m} – {parsed.end:%Y-%m}",
                "asked": f"{asked[0]:%Y-%m} – {asked[1]:%Y-%m}",
            }
        )
    imported = import_report(
        account,
        parsed,
        replace=replace,
        source=CounterReport.Source.SUSHI,
        filename=f"sushi-{report_id.lower()}-{params['begin_date']}.json",
    )
    return FetchResult(
        True,
        _("%(report)s report %(begin)s – %(end)s imported (%(rows)s figures).")
        % {
            "report": parsed.report_id,
            "begin": f"{parsed.begin:%Y-%m}",
            "end": f"{parsed.end:%Y-%m}",
            "rows": len(parsed.rows),
        },
        imported.report,
    )


def _note(account: ProviderAccount, report_id: str, result: FetchResult) -> None:
    account.last_fetch_at = timezone.now()
    account.last_fetch_result = f"{report_id}: {result.message}"[:2000]
    account.save(update_fields=["last_fetch_at", "last_fetch_result"])
    if not result.ok:
        log.warning("SUSHI fetch of %s %s failed: %s", account.provider, report_id, result.message)


def last_month(today: date | None = None) -> date:
    today = today or timezone.localdate()
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


def fetch_last_month_for_all() -> list[FetchResult]:
    """The monthly job: last month's reports of every account with a SUSHI server.
    A month already stored is left alone (no replace); one the provider has queued, or
    refuses for now (busy, too many requests), is tried again later."""
    month = last_month()
    results = []
    for account in ProviderAccount.objects.exclude(sushi_url="").select_related("network"):
        for report_id in account.report_ids:
            result = fetch_report(account, report_id, month, month)
            if result.retry_later:
                schedule_retry(account, report_id, month, attempt=1)
            results.append(result)
    return results


def schedule_retry(account: ProviderAccount, report_id: str, month: date, attempt: int) -> bool:
    """Ask again after the attempt's delay; False when every delay has been used."""
    if attempt > len(RETRY_DELAYS):
        return False
    from boite.stats.tasks import retry_sushi_fetch

    retry_sushi_fetch.schedule(
        args=(account.pk, report_id, month.isoformat(), attempt),
        delay=int(RETRY_DELAYS[attempt - 1].total_seconds()),
    )
    return True
