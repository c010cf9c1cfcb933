"""Dilicom PNB, as the public PNB clients speak it (facts in docs/lending.md).

Every call is a POST to `<base_url><call>` — the configured address ends with « / », the
function name follows —, authenticated by HTTP Basic with the contractor's GLN and PNB
password, and carries `glnContractor`. The body is form-encoded (PHP's
`http_build_query`): lists as `orderLineId[0]=…&orderLineId[1]=…`, nested fields with dots
(`DRMinfo.readerPass`). Answers are JSON with a `returnStatus`: `OK`; `RECALL` — the loan
asked for exists already (a retry with the same `loanId`), which is a success; anything
else a failure, with `returnMessage` lines.

- `loanBook`: `glnLoaner`, `orderLineId`, `loanId`, `accessMedium` DOWNLOAD, `localization`
  EX_SITU, `loanEndDate` (ISO 8601, offset without colon), `DRMinfo.readerPass`
  (base64 of the SHA-256 of the passphrase), `DRMinfo.readerHint`, `DRMinfo.readerId` (the
  patron's pseudonym, never a card number). Answer: `loanId`, `orderLineId`, `requestId`,
  `protection`, `link.url` (the file to download).
- `returnLoan`, `extendLoan` (`date`, the new end): `login`, `password`, `loanId`,
  `orderLineId`.
- `getLoanStatus`: `glnColl`, `passwordColl`, `orderLineId[]` (up to BATCH per call),
  `returnEndedLoan` 0 → `loanResponseLine[]`: `orderLineId`, `nta` (loans left), `nus1`
  (loans in use), `pnbLoanList[]` (`loanId`, `endLoanDate`) of the running loans. It says
  nothing of the loans bought, the simultaneous loans allowed or the validity: those stay
  as the offer files gave them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from itertools import islice

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from boite.lending.distributors.base import (
    CheckoutRequest,
    Distributor,
    DistributorError,
    DistributorNonsense,
    DistributorRefused,
    DistributorUnavailable,
    LicenceRef,
    LicenceState,
    LicenceStatus,
    LoanAnswer,
    LoanRef,
    LoanState,
    NoCopyAvailable,
    passphrase_base64,
    read_count,
    read_datetime,
)

BATCH = 100
# Not in the public clients: error codes we expect Dilicom to name a missing copy with.
_NO_COPY_CODES = {"NO_COPY_AVAILABLE", "NO_LOAN_LEFT"}
# What getLoanStatus never says: kept from the offer files.
_NOT_IN_STATUS = frozenset({"loans_total", "concurrent_max", "expires"})


def form(payload: dict) -> dict[str, str]:
    """PHP `http_build_query` keys: `name[0]` for lists, `a.b` kept as written."""
    flat: dict[str, str] = {}
    for key, value in payload.items():
        if value is None:
            continue
        if isinstance(value, list | tuple):
            for index, item in enumerate(value):
                flat[f"{key}[{index}]"] = str(item)
        else:
            flat[key] = str(value)
    return flat


def pnb_date(moment: datetime) -> str:
    """ISO 8601 in the portal's time zone, offset without colon: 2024-05-01T00:00:00+0200."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M:%S%z")


class DilicomPNB(Distributor):
    kind = "dilicom"
    label = "Dilicom PNB"

    def checkout(self, licence: LicenceRef, request: CheckoutRequest) -> LoanAnswer:
        answer = self._call(
            "loanBook",
            {
                "glnLoaner": self.connection.login,
                "orderLineId": licence.id,
                "loanId": request.loan_id,
                "accessMedium": "DOWNLOAD",
                "localization": "EX_SITU",
                "loanEndDate": pnb_date(request.end),
                "DRMinfo.readerPass": passphrase_base64(request.passphrase_sha256),
                "DRMinfo.readerHint": request.hint or "hint",
                "DRMinfo.readerId": request.patron,
            },
        )
        loan = (
            answer.get("loanResponse") if isinstance(answer.get("loanResponse"), dict) else answer
        )
        if not _is_id(loan.get("loanId")):
            raise DistributorNonsense("loanBook: no loanId")
        if str(loan["loanId"]) != request.loan_id:
            raise DistributorNonsense(f"loanBook: loan {loan['loanId']} for {request.loan_id}")
        link = loan.get("link") or {}
        url = link.get("url") if isinstance(link, dict) else None
        if not isinstance(url, str) or not url:
            raise DistributorNonsense("loanBook: no download link (link.url)")
        return LoanAnswer(
            loan_id=str(loan["loanId"]),
            state=LoanState.READY,
            end=read_datetime(loan.get("loanEndDate"), "loanEndDate") or request.end,
            download_url=url,
            can_return=True,
            can_renew=True,
        )

    def return_loan(self, loan: LoanRef) -> LoanAnswer:
        self._call("returnLoan", self._loan_fields(loan))
        return LoanAnswer(loan.loan_id, LoanState.RETURNED, None, can_return=False)

    def extend(self, loan: LoanRef, end: datetime) -> LoanAnswer:
        answer = self._call("extendLoan", {**self._loan_fields(loan), "date": pnb_date(end)})
        new_end = read_datetime(answer.get("loanEndDate") or answer.get("date"), "date")
        return LoanAnswer(loan.loan_id, LoanState.ACTIVE, new_end or end, can_renew=True)

    def loan_status(self, loan: LoanRef) -> LoanAnswer:
        """A running loan is listed in its order line's `pnbLoanList`; a loan not listed is
        over, or was never made (DistributorRefused « unknown »)."""
        for line in self._status_lines([loan.licence.id]):
            if str(line.get("orderLineId")) != loan.licence.id:
                continue
            for item in line.get("pnbLoanList") or []:
                if isinstance(item, dict) and str(item.get("loanId")) == loan.loan_id:
                    end = read_datetime(item.get("endLoanDate"), "endLoanDate")
                    if end is not None and end <= timezone.now():
                        return LoanAnswer(loan.loan_id, LoanState.EXPIRED, end, can_return=False)
                    return LoanAnswer(loan.loan_id, LoanState.ACTIVE, end)
        raise DistributorRefused(
            f"loan {loan.loan_id}: not among the running loans", code="unknown"
        )

    def licence_status(self, licence: LicenceRef) -> LicenceStatus:
        for _ref, result in self.licence_statuses([licence]):
            if isinstance(result, DistributorError):
                raise result
            return result
        raise DistributorNonsense("getLoanStatus: empty answer")  # pragma: no cover

    def licence_statuses(
        self, licences: Iterable[LicenceRef]
    ) -> Iterator[tuple[LicenceRef, LicenceStatus | DistributorError]]:
        licences = iter(licences)
        while batch := list(islice(licences, BATCH)):
            lines = self._status_lines([ref.id for ref in batch])
            by_id: dict[str, LicenceStatus | DistributorError] = {}
            for line in lines:
                try:
                    status = _licence_status(line)
                except DistributorNonsense as error:
                    line_id = line.get("orderLineId") if isinstance(line, dict) else None
                    if not _is_id(line_id):
                        raise
                    by_id[str(line_id)] = error
                else:
                    by_id[status.licence_id] = status
            for ref in batch:
                yield (
                    ref,
                    by_id.get(
                        ref.id,
                        DistributorRefused(
                            f"order line {ref.id} not in the answer",
                            message=_("The distributor does not know this licence."),
                            code="unknown",
                        ),
                    ),
                )

    # -- protocol --------------------------------------------------------------------------
    def _loan_fields(self, loan: LoanRef) -> dict:
        return {
            "login": self.connection.login,
            "password": self.connection.password,
            "loanId": loan.loan_id,
            "orderLineId": loan.licence.id,
        }

    def _status_lines(self, order_line_ids: list[str]) -> list[dict]:
        answer = self._call(
            "getLoanStatus",
            {
                "glnColl": self.connection.login,
                "passwordColl": self.connection.password,
                "orderLineId": order_line_ids,
                "returnEndedLoan": 0,
            },
        )
        if "loanResponseLine" not in answer:
            raise DistributorNonsense("getLoanStatus: no loanResponseLine")
        lines = answer["loanResponseLine"] or []
        if isinstance(lines, dict):  # one line: some servers do not wrap it in a list
            lines = [lines]
        if not isinstance(lines, list):
            raise DistributorNonsense("getLoanStatus: loanResponseLine is not a list")
        return lines

    def _call(self, name: str, payload: dict) -> dict:
        url = self.connection.base_url.rstrip("/") + "/" + name
        response = self._send(
            "POST",
            url,
            data=form({"glnContractor": self.connection.login, **payload}),
            headers={"Accept": "application/json"},
        )
        if response.status_code in (401, 403):
            raise DistributorRefused(
                f"{name}: HTTP {response.status_code}",
                message=_("The distributor refused the portal's credentials (GLN)."),
                code="auth",
            )
        if not response.content.strip():
            raise DistributorUnavailable(f"{name}: empty answer")
        answer = self._json(response)
        status = answer.get("returnStatus")
        if status in ("OK", "RECALL"):  # RECALL: this very loan exists already
            return answer
        messages = answer.get("returnMessage") or []
        if not isinstance(messages, list):
            messages = [messages]
        code = str(answer.get("errorCode", "") or "")
        detail = f"{name}: {status} {code} {messages}".strip()
        if not isinstance(status, str) or not status:
            raise DistributorNonsense(f"{name}: returnStatus {status!r}")
        if code in _NO_COPY_CODES:
            raise NoCopyAvailable(detail, code=code)
        text = " ".join(str(m) for m in messages)[:300]  # Dilicom's own words, in French
        raise DistributorRefused(detail, message=text or None, code=code or status)


def _licence_status(line: object) -> LicenceStatus:
    """One `loanResponseLine`: loans left (`nta`) and in use (`nus1`); the rest unknown."""
    if not isinstance(line, dict) or not _is_id(line.get("orderLineId")):
        raise DistributorNonsense("an order line without orderLineId")
    loans_left = read_count(line.get("nta"), "nta")
    in_use = read_count(line.get("nus1"), "nus1")
    loans = line.get("pnbLoanList") or []
    if not isinstance(loans, list):
        raise DistributorNonsense(f"order line {line['orderLineId']}: pnbLoanList is not a list")
    return LicenceStatus(
        licence_id=str(line["orderLineId"]),
        state=LicenceState.AVAILABLE if loans_left > 0 else LicenceState.UNAVAILABLE,
        loans_total=None,
        loans_left=loans_left,
        concurrent_max=0,
        concurrent_available=0,
        expires=None,
        unknown=_NOT_IN_STATUS,
        in_use=in_use,
    )


def _is_id(value: object) -> bool:
    return bool(value) and isinstance(value, str | int) and not isinstance(value, bool)
