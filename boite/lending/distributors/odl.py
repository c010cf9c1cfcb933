"""ODL 1.0 (Open Distribution to Libraries) over OPDS 2.0.

- Licence counters: GET the License Info Document (`checkouts{left,available}`, `terms`).
  Fields it leaves out are unknown, not unlimited: the portal keeps what the feed said.
- Checkout: POST on the licence's templated checkout link (rel
  `http://opds-spec.org/acquisition/borrow`, RFC 6570, expanded with uritemplate): `id` is
  the licence's identifier, `checkout_id` the portal's own id of the loan (the same on a
  retry). The answer is a License Status Document (LSD) with 201, or — the same `id` and
  `checkout_id` again — a 303 See Other whose Location is the LSD made the first time,
  which is fetched. The LSD's `status` is ready or active (a loan: its `license` link is
  the LCP licence to download, `potential_rights.end` its end, which must lie ahead), or
  returned, expired, revoked, cancelled: then no loan was made — a failed checkout.
- An LSD read later (status, return, renew, notification) must carry the id the checkout
  gave; another id is nonsense. Without a status link (an unconfirmed checkout) the loan is
  looked for among the License Info Document's `checkouts.active`.
- Return and renew: GET the LSD, then PUT on its templated `return` / `renew` link; a
  licence that may not be renewed has no `renew` link.
- Notifications: the distributor POSTs the new LSD to the `notification_url` the
  portal gave at checkout; `parse_notification` reads it.

The passphrase is sent as the hex SHA-256 (the LCP « user key » form); the hint with it.
"""

from __future__ import annotations

import json
from datetime import datetime
from urllib.parse import urljoin

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from uritemplate import URITemplate

from boite.lending.distributors.base import (
    CheckoutRequest,
    Distributor,
    DistributorNonsense,
    DistributorRefused,
    LicenceRef,
    LicenceState,
    LicenceStatus,
    LoanAnswer,
    LoanRef,
    LoanState,
    NoCopyAvailable,
    read_count,
    read_datetime,
)

LSD_TYPE = "application/vnd.readium.license.status.v1.0+json"
INFO_TYPE = "application/vnd.odl.info+json"
_UNAVAILABLE_PROBLEMS = ("checkout/unavailable", "checkout/not-available")


class ODL(Distributor):
    kind = "odl"
    label = "ODL 1.0"
    harvests_feed = True

    def checkout(self, licence: LicenceRef, request: CheckoutRequest) -> LoanAnswer:
        if not licence.checkout_url:
            raise DistributorRefused(f"licence {licence.id} has no checkout link")
        url = URITemplate(licence.checkout_url).expand(
            id=licence.id,
            checkout_id=request.loan_id,
            patron_id=request.patron,
            expires=request.end.isoformat(),
            notification_url=self.connection.notification_url,
            passphrase=request.passphrase_sha256.hex(),
            hint=request.hint,
        )
        response = self._send("POST", url, headers={"Accept": LSD_TYPE})
        if response.status_code in (301, 302, 303, 307, 308):
            location = response.headers.get("Location", "")
            if not location:
                raise DistributorNonsense(f"checkout: HTTP {response.status_code} without Location")
            # The checkout was made before (a retry): its LSD, unchanged.
            response = self._send("GET", urljoin(url, location), headers={"Accept": LSD_TYPE})
        answer = self._status_document(response, "checkout")
        if not answer.state.is_open:
            raise DistributorRefused(
                f"checkout: LSD {answer.loan_id} is {answer.state}",
                message=_("The distributor did not make the loan. You may try again."),
                code=f"checkout-{answer.state.value}",
            )
        return answer

    def return_loan(self, loan: LoanRef) -> LoanAnswer:
        link = self._link(loan, "return")
        url = URITemplate(link).expand(id=loan.loan_id, name="Boite")
        return self._checked(loan, self._status_document(self._send("PUT", url), "return"))

    def extend(self, loan: LoanRef, end: datetime) -> LoanAnswer:
        link = self._link(loan, "renew")
        url = URITemplate(link).expand(id=loan.loan_id, name="Boite", end=end.isoformat())
        return self._checked(loan, self._status_document(self._send("PUT", url), "renew"))

    def loan_status(self, loan: LoanRef) -> LoanAnswer:
        status_url = loan.status_url or self._find_checkout(loan)
        return self._checked(loan, self._status_document(self._send("GET", status_url), "status"))

    def licence_status(self, licence: LicenceRef) -> LicenceStatus:
        if not licence.info_url:
            raise DistributorRefused(f"licence {licence.id} has no License Info Document")
        response = self._send("GET", licence.info_url, headers={"Accept": INFO_TYPE})
        if response.status_code == 404:
            raise DistributorRefused(
                f"licence {licence.id}: HTTP 404",
                message=_("The distributor does not know this licence."),
                code="unknown",
            )
        self._refuse_errors(response, "license info")
        return read_licence_info(self._json(response))

    def parse_notification(self, body: bytes) -> LoanAnswer:
        try:
            data = json.loads(body)
        except ValueError:
            raise DistributorNonsense("notification: not JSON") from None
        if not isinstance(data, dict):
            raise DistributorNonsense("notification: not a JSON object")
        return read_status_document(data)

    # -- protocol --------------------------------------------------------------------------
    def _find_checkout(self, loan: LoanRef) -> str:
        """The LSD of a checkout whose answer was lost: listed in the License Info
        Document's `checkouts.active` under its `id` (the portal's checkout id)."""
        if not loan.licence.info_url:
            raise DistributorRefused(f"loan {loan.loan_id} has no status document")
        response = self._send("GET", loan.licence.info_url, headers={"Accept": INFO_TYPE})
        self._refuse_errors(response, "license info")
        checkouts = self._json(response).get("checkouts")
        active = checkouts.get("active") if isinstance(checkouts, dict) else None
        for item in active if isinstance(active, list) else []:
            if (
                isinstance(item, dict)
                and str(item.get("id", "")) == loan.loan_id
                and isinstance(item.get("href"), str)
            ):
                return urljoin(loan.licence.info_url, item["href"])
        raise DistributorRefused(
            f"loan {loan.loan_id}: not among the licence's active checkouts", code="unknown"
        )

    @staticmethod
    def _checked(loan: LoanRef, answer: LoanAnswer) -> LoanAnswer:
        if loan.distributor_id and answer.loan_id != loan.distributor_id:
            raise DistributorNonsense(
                f"LSD {answer.loan_id} instead of {loan.distributor_id} for loan {loan.loan_id}"
            )
        return answer

    def _link(self, loan: LoanRef, rel: str) -> str:
        if not loan.status_url:
            raise DistributorRefused(f"loan {loan.loan_id} has no status document")
        response = self._send("GET", loan.status_url)
        self._refuse_errors(response, "status")
        document = self._json(response)
        current = self._checked(loan, read_status_document(document))
        href = _links(document).get(rel)
        if href:
            return href
        if rel == "renew":
            raise DistributorRefused(
                f"loan {current.loan_id}: no renew link",
                message=_("The distributor does not allow this loan to be extended."),
                code="not-renewable",
            )
        raise DistributorRefused(
            f"loan {current.loan_id}: no {rel} link ({current.state})",
            message=_("This loan can no longer be returned."),
            code="not-returnable",
        )

    def _status_document(self, response, call: str) -> LoanAnswer:
        self._refuse_errors(response, call)
        return read_status_document(self._json(response))

    def _refuse_errors(self, response, call: str) -> None:
        if response.status_code < 400:
            return
        problem_type = ""
        try:
            problem = json.loads(response.content)
            problem_type = str(problem.get("type", "")) if isinstance(problem, dict) else ""
        except ValueError:
            pass
        detail = f"{call}: HTTP {response.status_code} {problem_type}".strip()
        if response.status_code in (401, 403) and not problem_type:
            raise DistributorRefused(
                detail,
                message=_("The distributor refused the portal's credentials."),
                code="auth",
            )
        if problem_type.endswith(_UNAVAILABLE_PROBLEMS):
            raise NoCopyAvailable(detail, code="unavailable")
        raise DistributorRefused(detail, code=problem_type.rsplit("/", 1)[-1])


def read_status_document(data: dict) -> LoanAnswer:
    try:
        state = LoanState(data.get("status"))
    except ValueError:
        raise DistributorNonsense(f"LSD: unknown status {data.get('status')!r}") from None
    if not _is_id(data.get("id")):
        raise DistributorNonsense("LSD: no id")
    links = _links(data)
    rights = data.get("potential_rights") or {}
    if not isinstance(rights, dict):
        raise DistributorNonsense("LSD: potential_rights is not an object")
    if state.is_open and not links.get("license"):
        raise DistributorNonsense("LSD: an open loan without a license link")
    end = read_datetime(rights.get("end"), "potential_rights.end")
    if state.is_open and end is not None and end <= timezone.now():
        raise DistributorNonsense(f"LSD {data['id']}: an open loan that ended on {end}")
    return LoanAnswer(
        loan_id=str(data["id"]),
        state=state,
        end=end,
        download_url=links.get("license", ""),
        status_url=links.get("self", ""),
        can_return=bool(links.get("return")),
        # A renew link to a web page (text/html) is for a person, not for the portal.
        can_renew=bool(links.get("renew")) and _link_type(data, "renew") != "text/html",
    )


def read_licence_info(data: dict) -> LicenceStatus:
    """A License Info Document. `checkouts.available` is required; `checkouts.left` and
    the `terms` may be missing (some servers leave them out): unknown, kept as they are."""
    checkouts = data.get("checkouts")
    terms = data.get("terms")
    if terms is None:
        terms = {}
    if not isinstance(checkouts, dict) or not isinstance(terms, dict):
        raise DistributorNonsense("License Info Document without checkouts or terms")
    if not _is_id(data.get("identifier")):
        raise DistributorNonsense("License Info Document without identifier")
    unknown = {
        name
        for name, source, key in (
            ("loans_left", checkouts, "left"),
            ("loans_total", terms, "checkouts"),
            ("concurrent_max", terms, "concurrency"),
            ("expires", terms, "expires"),
            ("loan_max_days", terms, "length"),
        )
        if source.get(key) is None
    }
    expires = read_datetime(terms.get("expires"), "terms.expires", end_of_day=True)
    concurrency = read_count(terms.get("concurrency"), "terms.concurrency", optional=True)
    available = read_count(checkouts.get("available"), "checkouts.available")
    left = read_count(checkouts.get("left"), "checkouts.left", optional=True)
    total = read_count(terms.get("checkouts"), "terms.checkouts", optional=True)
    length = read_count(terms.get("length"), "terms.length", optional=True)
    if (concurrency is not None and available > concurrency) or (
        left is not None and total is not None and left > total
    ):
        raise DistributorNonsense(f"licence {data['identifier']}: counters out of range")
    status = data.get("status")
    if status == "available":
        state = LicenceState.AVAILABLE
    elif status in ("unavailable", "preorder"):
        state = LicenceState.UNAVAILABLE
    elif status == "expired":
        state = LicenceState.EXPIRED
    else:
        raise DistributorNonsense(f"licence {data['identifier']}: unknown status {status!r}")
    if expires is not None and expires <= timezone.now():
        state = LicenceState.EXPIRED
    return LicenceStatus(
        licence_id=str(data["identifier"]),
        state=state,
        loans_total=total,
        loans_left=left,
        concurrent_max=concurrency if concurrency is not None else available,
        concurrent_available=available,
        expires=expires,
        loan_max_days=length // 86400 if length is not None else None,
        unknown=frozenset(unknown),
    )


def _link_type(document: dict, rel: str) -> str:
    for link in document.get("links") or []:
        if isinstance(link, dict) and link.get("rel") == rel:
            return str(link.get("type", "")).split(";")[0].strip().lower()
    return ""


def _is_id(value: object) -> bool:
    return bool(value) and isinstance(value, str | int) and not isinstance(value, bool)


def _links(document: dict) -> dict[str, str]:
    """rel → href of a document's links; anything else than a list of links is nonsense."""
    links = document.get("links") or []
    if not isinstance(links, list):
        raise DistributorNonsense("links is not a list")
    return {
        link["rel"]: link["href"]
        for link in links
        if isinstance(link, dict)
        and isinstance(link.get("rel"), str)
        and isinstance(link.get("href"), str)
    }
