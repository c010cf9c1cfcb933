"""The one interface every PNB distributor implements, its requests, answers and errors.

A distributor module (dilicom.py, odl.py) subclasses `Distributor` and is listed in
`boite.lending.distributors.DISTRIBUTORS`. The portal never speaks HTTP to a distributor
outside these modules; they speak it through the portal's outbound client
(boite.lib.outbound), whose credentials go only to the origin of the account's address
(a License Info Document or a status link elsewhere is fetched without them) and which
refuses internal addresses. Every failure reaches the portal as one of four typed errors:

- `DistributorUnavailable`: cannot be reached, or answers a server error;
- `DistributorTimeout`: no answer within the account's timeout;
- `DistributorRefused`: a clear « no » (`NoCopyAvailable`, `LicenceRecalled` are kinds of it);
- `DistributorNonsense`: an answer that cannot be understood.

Each carries a translated `message` fit for a librarian and a technical `detail` for the
sync record; none carries personal data (patrons are known by pseudonym only).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import ssl
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from typing import Any, ClassVar

import certifi
import httpx
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _

from boite.lib import outbound

# -- errors ------------------------------------------------------------------------------


class DistributorError(Exception):
    default_message = _("The distributor could not handle the request.")

    def __init__(self, detail: str = "", message: str | None = None, code: str = "") -> None:
        self.detail = detail
        self.code = code
        self.message = message or self.default_message
        super().__init__(detail or str(self.message))


class DistributorUnavailable(DistributorError):
    default_message = _("The distributor cannot be reached at the moment; try again later.")


class DistributorTimeout(DistributorError):
    default_message = _("The distributor did not answer in time; try again later.")


class DistributorRefused(DistributorError):
    default_message = _("The distributor refused the request.")


class NoCopyAvailable(DistributorRefused):
    default_message = _("No copy is available any more.")


class LicenceRecalled(DistributorRefused):
    default_message = _("The publisher has withdrawn this licence.")


class DistributorNonsense(DistributorError):
    default_message = _("The distributor answered something that cannot be understood.")


# -- requests and answers ----------------------------------------------------------------


def passphrase_digest(passphrase: str) -> bytes:
    """SHA-256 of the patron's LCP passphrase: the only form in which it leaves memory."""
    return hashlib.sha256(passphrase.encode("utf-8")).digest()


def passphrase_base64(digest: bytes) -> str:
    """base64(sha256(passphrase)), the form PNB expects."""
    return base64.b64encode(digest).decode("ascii")


@dataclass(frozen=True)
class Connection:
    """Where and how to reach one distributor account."""

    base_url: str
    login: str = ""  # the GLN of the contractor for Dilicom
    password: str = ""
    timeout: float = 10.0
    notification_url: str = ""  # ODL: where the distributor posts loan changes


@dataclass(frozen=True)
class LicenceRef:
    """A licence as the distributor knows it."""

    id: str  # Dilicom order line id, ODL licence identifier
    info_url: str = ""  # ODL License Info Document
    checkout_url: str = ""  # ODL templated checkout link


@dataclass(frozen=True)
class CheckoutRequest:
    """A loan the portal asks for. `loan_id` is the portal's own id (sent to the distributor,
    so that a retried request is recognised); `patron` is a pseudonym."""

    loan_id: str
    patron: str
    passphrase_sha256: bytes
    hint: str
    end: datetime


@dataclass(frozen=True)
class LoanRef:
    """A loan already made: the portal's id, its licence and, for ODL, its status URL."""

    loan_id: str
    licence: LicenceRef
    status_url: str = ""
    distributor_id: str = ""  # ODL: the License Status Document's id, once known


class LoanState(StrEnum):
    READY = "ready"  # made, file not yet downloaded
    ACTIVE = "active"  # downloaded / in progress
    RETURNED = "returned"
    EXPIRED = "expired"
    REVOKED = "revoked"  # ended by the distributor (Dilicom RECALL)
    CANCELLED = "cancelled"

    @property
    def is_open(self) -> bool:
        return self in (LoanState.READY, LoanState.ACTIVE)


@dataclass(frozen=True)
class LoanAnswer:
    loan_id: str
    state: LoanState
    end: datetime | None
    download_url: str = ""
    status_url: str = ""
    can_return: bool = True
    can_renew: bool = False


class LicenceState(StrEnum):
    AVAILABLE = "available"
    UNAVAILABLE = "unavailable"  # nothing left to lend (loans exhausted)
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class LicenceStatus:
    """The distributor's counters of one licence. None means « no limit » (ODL allows
    licences without a checkout count)."""

    licence_id: str
    state: LicenceState
    loans_total: int | None
    loans_left: int | None
    concurrent_max: int
    concurrent_available: int
    expires: datetime | None
    loan_max_days: int | None = None
    # Fields the distributor did not give (an ODL License Info Document without `left` or
    # `terms`): the portal keeps what it knows — absent is not « unlimited ».
    unknown: frozenset[str] = frozenset()

    # Dilicom counts the loans in use (`nus1`) rather than the copies free.
    in_use: int | None = None

    @property
    def concurrent_in_use(self) -> int:
        if self.in_use is not None:
            return self.in_use
        return max(0, self.concurrent_max - self.concurrent_available)


# -- the interface -----------------------------------------------------------------------


class Distributor:
    """One distributor protocol. Subclasses implement the five calls below."""

    kind: ClassVar[str]
    label: ClassVar[str]
    # The account's address is an offers feed the sync harvests (ODL), or only the
    # address of the loan calls (Dilicom: offers come as files).
    harvests_feed: ClassVar[bool] = False

    def __init__(self, connection: Connection, client: outbound.Client | None = None) -> None:
        self.connection = connection
        credentials = None
        if connection.login:
            credentials = outbound.Credentials.basic(
                connection.login, connection.password, for_url=connection.base_url
            )
        self.client = client or outbound.Client(
            verify=_tls_context(),
            timeout=httpx.Timeout(connection.timeout),
            credentials=credentials,
            headers={"User-Agent": "Boite/1.0 (PNB lending)"},
        )

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Distributor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def checkout(self, licence: LicenceRef, request: CheckoutRequest) -> LoanAnswer:
        raise NotImplementedError

    def return_loan(self, loan: LoanRef) -> LoanAnswer:
        raise NotImplementedError

    def extend(self, loan: LoanRef, end: datetime) -> LoanAnswer:
        raise NotImplementedError

    def loan_status(self, loan: LoanRef) -> LoanAnswer:
        raise NotImplementedError

    def licence_status(self, licence: LicenceRef) -> LicenceStatus:
        raise NotImplementedError

    def licence_statuses(
        self, licences: Iterable[LicenceRef]
    ) -> Iterator[tuple[LicenceRef, LicenceStatus | DistributorError]]:
        """Counters of many licences. A refusal or nonsense about one licence is yielded
        with it; unavailability and timeouts stop the whole run (they are raised)."""
        for licence in licences:
            try:
                yield licence, self.licence_status(licence)
            except (DistributorRefused, DistributorNonsense) as error:
                yield licence, error

    def parse_notification(self, body: bytes) -> LoanAnswer:
        """A loan change pushed by the distributor to the portal's callback URL."""
        raise DistributorRefused("this distributor sends no notifications")

    # -- helpers for subclasses ------------------------------------------------------------
    def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self.client.request(method, url, **kwargs)
        except outbound.OutboundRefused as error:
            raise DistributorRefused(
                f"{method} {_safe_url(url)}: {error.message}", message=error.message
            ) from None
        except httpx.TimeoutException as error:
            raise DistributorTimeout(f"{method} {_safe_url(url)}: {type(error).__name__}") from None
        except httpx.HTTPError as error:
            raise DistributorUnavailable(
                f"{method} {_safe_url(url)}: {type(error).__name__}"
            ) from None
        if response.status_code >= 500:
            raise DistributorUnavailable(f"{method} {_safe_url(url)}: HTTP {response.status_code}")
        return response

    @staticmethod
    def _json(response: httpx.Response) -> dict:
        try:
            data = json.loads(response.content)
        except ValueError:
            raise DistributorNonsense(
                f"HTTP {response.status_code}: not JSON ({response.content[:80]!r})"
            ) from None
        if not isinstance(data, dict):
            raise DistributorNonsense(f"HTTP {response.status_code}: JSON is not an object")
        return data


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """One TLS context for every adapter: building one (and loading the CA bundle) costs
    tens of milliseconds, which a checkout would otherwise pay each time."""
    return ssl.create_default_context(cafile=certifi.where())


def _safe_url(url: str) -> str:
    """The URL without its query string, which may carry a loan's parameters."""
    return url.split("?", 1)[0]


def read_date(value: Any, *, end_of_day: bool = False) -> datetime | bool | None:
    """An ISO 8601 date-time or date; None when absent, False when unreadable. A date-time
    without offset is the portal's local time; a date alone is its first instant, or with
    `end_of_day` the first instant of the next day (a licence that « expires 2031-01-15 »
    lends through that day)."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        return False
    text = value.strip()
    try:
        day = parse_date(text) if len(text) == 10 else None
        if day is not None:
            if end_of_day:
                day += timedelta(days=1)
            parsed = datetime.combine(day, time.min)
        else:
            parsed = parse_datetime(text)
        if parsed is None:
            return False
    except ValueError:  # well-formed but impossible, e.g. a 31st of February
        return False
    if parsed.tzinfo is None:
        parsed = timezone.make_aware(parsed)
    return parsed


def read_datetime(value: Any, field: str, *, end_of_day: bool = False) -> datetime | None:
    parsed = read_date(value, end_of_day=end_of_day)
    if parsed is False:
        raise DistributorNonsense(f"{field}: not a date: {value!r}")
    return parsed


def read_count(value: Any, field: str, *, optional: bool = False) -> int | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise DistributorNonsense(f"{field}: not a count: {value!r}")
    return value
