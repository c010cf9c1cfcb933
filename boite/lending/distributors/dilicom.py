"""Dilicom PNB: JSON calls `loanBook`, `returnLoan`, `extendLoan`, `getLoanStatus`.

Every call is a POST of a JSON object to `<base_url>/<call>`, authenticated by HTTP Basic
with the contractor's GLN and password, and carries `glnContractor`. Every answer has a
`returnStatus`: `OK`, `RECALL` (the publisher withdrew the offer: the loan is refused or
ended) or `ERROR` with an `errorCode` and `returnMessage` lines.

Licence counters come from `getLoanStatus` asked about order lines (`orderLineIds`, up to
`BATCH` per call) rather than loans: one call refreshes a hundred licences, which is what
keeps a sync of 50 000 licences short.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from itertools import islice

from django.utils.translation import gettext_lazy as _

from boite.lending.distributors.base import (
    CheckoutRequest,
    Distributor,
    DistributorError,
    DistributorNonsense,
    DistributorRefused,
    LicenceRecalled,
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

_LOAN_STATES = {
    "NOT_DOWNLOADED": LoanState.READY,
    "IN_PROGRESS": LoanState.ACTIVE,
    "RETURNED": LoanState.RETURNED,
    "EXPIRED": LoanState.EXPIRED,
    "RECALLED": LoanState.REVOKED,
    "CANCELLED": LoanState.CANCELLED,
}
_LICENCE_STATES = {
    "ACTIVE": LicenceState.AVAILABLE,
    "EXHAUSTED": LicenceState.UNAVAILABLE,
    "EXPIRED": LicenceState.EXPIRED,
    "RECALLED": LicenceState.WITHDRAWN,
}
_NO_COPY_CODES = {"NO_COPY_AVAILABLE", "NO_LOAN_LEFT"}


class DilicomPNB(Distributor):
    kind = "dilicom"
    label = "Dilicom PNB"

    def checkout(self, licence: LicenceRef, request: CheckoutRequest) -> LoanAnswer:
        answer = self._call(
            "loanBook",
            {
                "orderLineId": licence.id,
                "loanId": request.loan_id,
                "userId": request.patron,
                "loanEndDate": request.end.isoformat(),
                "accessMedium": "DOWNLOAD",
                "localization": "EX_SITU",
                "lcpPassphraseHash": passphrase_base64(request.passphrase_sha256),
                "lcpPassphraseHint": request.hint,
            },
        )
        return self._loan(answer, licence)

    def return_loan(self, loan: LoanRef) -> LoanAnswer:
        return self._loan(self._call("returnLoan", {"loanId": loan.loan_id}), loan.licence)

    def extend(self, loan: LoanRef, end: datetime) -> LoanAnswer:
        answer = self._call("extendLoan", {"loanId": loan.loan_id, "loanEndDate": end.isoformat()})
        return self._loan(answer, loan.licence)

    def loan_status(self, loan: LoanRef) -> LoanAnswer:
        answer = self._call("getLoanStatus", {"loanId": loan.loan_id}, recall_is_an_answer=True)
        return self._loan(answer, loan.licence)

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
            answer = self._call("getLoanStatus", {"orderLineIds": [ref.id for ref in batch]})
            lines = answer.get("orderLines")
            unknown = answer.get("unknownOrderLineIds", [])
            if not isinstance(lines, list) or not isinstance(unknown, list):
                raise DistributorNonsense("getLoanStatus: orderLines is not a list")
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
            for line_id in unknown:
                by_id[str(line_id)] = DistributorRefused(
                    f"unknown order line {line_id}",
                    message=_("The distributor does not know this licence."),
                    code="unknown",
                )
            for ref in batch:
                yield (
                    ref,
                    by_id.get(
                        ref.id, DistributorNonsense(f"getLoanStatus: order line {ref.id} missing")
                    ),
                )

    # -- protocol --------------------------------------------------------------------------
    def _call(self, name: str, payload: dict, *, recall_is_an_answer: bool = False) -> dict:
        url = self.connection.base_url.rstrip("/") + "/" + name
        response = self._send("POST", url, json={"glnContractor": self.connection.login, **payload})
        if response.status_code in (401, 403):
            raise DistributorRefused(
                f"{name}: HTTP {response.status_code}",
                message=_("The distributor refused the portal's credentials (GLN)."),
                code="auth",
            )
        answer = self._json(response)
        status = answer.get("returnStatus")
        if status == "OK" or (status == "RECALL" and recall_is_an_answer):
            return answer
        messages = answer.get("returnMessage") or []
        detail = f"{name}: {status} {answer.get('errorCode', '')} {messages}".strip()
        if status == "RECALL":
            raise LicenceRecalled(detail, code="recall")
        if status == "ERROR":
            code = str(answer.get("errorCode", ""))
            error = NoCopyAvailable if code in _NO_COPY_CODES else DistributorRefused
            raise error(detail, code=code)
        raise DistributorNonsense(f"{name}: returnStatus {status!r}")

    def _loan(self, answer: dict, licence: LicenceRef) -> LoanAnswer:
        loan = answer.get("loanResponse")
        if not isinstance(loan, dict) or not _is_id(loan.get("loanId")):
            raise DistributorNonsense("no loanResponse with a loanId")
        if answer.get("returnStatus") == "RECALL":
            state = LoanState.REVOKED
        else:
            status = loan.get("status", "NOT_DOWNLOADED")
            state = _LOAN_STATES.get(status) if isinstance(status, str) else None
            if state is None:
                raise DistributorNonsense(f"unknown loan status {status!r}")
        link = loan.get("link") or {}
        if not isinstance(link, dict) or not isinstance(link.get("url", ""), str):
            raise DistributorNonsense("link is not an object with a url")
        if state.is_open and not link.get("url"):
            raise DistributorNonsense("an open loan without a download link")
        return LoanAnswer(
            loan_id=str(loan["loanId"]),
            state=state,
            end=read_datetime(loan.get("loanEndDate"), "loanEndDate"),
            download_url=link.get("url", ""),
            can_return=state.is_open,
            can_renew=state.is_open and bool(loan.get("extendable", True)),
        )


def _licence_status(line: object) -> LicenceStatus:
    if not isinstance(line, dict) or not _is_id(line.get("orderLineId")):
        raise DistributorNonsense("an order line without orderLineId")
    status = line.get("status")
    state = _LICENCE_STATES.get(status) if isinstance(status, str) else None
    if state is None:
        raise DistributorNonsense(f"unknown order line status {line.get('status')!r}")
    concurrent_max = read_count(line.get("loanNbSimultaneousUsers"), "loanNbSimultaneousUsers")
    in_use = read_count(line.get("nbSimultaneousUsersInUse"), "nbSimultaneousUsersInUse")
    loans_total = read_count(line.get("nbLoans"), "nbLoans")
    loans_left = read_count(line.get("nbLoansLeft"), "nbLoansLeft")
    if in_use > concurrent_max or loans_left > loans_total:
        raise DistributorNonsense(f"order line {line['orderLineId']}: counters out of range")
    return LicenceStatus(
        licence_id=str(line["orderLineId"]),
        state=state,
        loans_total=loans_total,
        loans_left=loans_left,
        concurrent_max=concurrent_max,
        concurrent_available=concurrent_max - in_use,
        expires=read_datetime(line.get("offerValidityEnd"), "offerValidityEnd"),
        loan_max_days=read_count(line.get("loanMaxDuration"), "loanMaxDuration", optional=True),
    )


def _is_id(value: object) -> bool:
    return bool(value) and isinstance(value, str | int) and not isinstance(value, bool)
