"""Fake distributors: real HTTP servers on 127.0.0.1 that keep their own licence counters.

`FakeDilicom` answers the four PNB JSON calls, `FakeODL` serves License Info Documents,
the templated checkout and License Status Documents with their return and renew links.
Both share `FakeLicence` / `FakeLoan` bookkeeping (loans left, concurrent loans in use,
expiry, maximum loan length), so that a test can compare the portal's numbers with the
distributor's. Each can be told to misbehave: `fake.mode = "fail"` (HTTP 500), `"hang"`
(no answer until the server stops), `"nonsense"` (HTML instead of JSON) or `"garbled"`
(JSON with the wrong shape); `fake.lose_answers = n` handles the next n requests but
answers them with an error, as when the network drops the answer.

The bench (bench/lending.py) uses them too.
"""

from __future__ import annotations

import base64
import json
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from django.utils import timezone
from django.utils.dateparse import parse_datetime

GLN = "3025594195400"
PASSWORD = "pnb-secret"


@dataclass
class FakeLoan:
    id: str
    licence_id: str
    patron: str
    end: datetime
    started: datetime
    passphrase: str
    hint: str
    state: str = "ready"  # ready, active, returned, expired, revoked, cancelled
    notification_url: str = ""
    lsd_id: str = ""  # ODL: the License Status Document's own id (not the checkout id)

    @property
    def is_open(self) -> bool:
        return self.state in ("ready", "active")


@dataclass
class FakeLicence:
    id: str
    loans_total: int = 30
    loans_left: int = 30
    concurrency: int = 1
    expires: datetime | None = None
    loan_max_days: int = 60
    renewable: bool = True
    recalled: bool = False
    loans: dict[str, FakeLoan] = field(default_factory=dict)
    # What the ODL feed says of the title (ignored by the fake Dilicom).
    ean: str = "9782070368228"
    title: str = "L'Étranger"
    audiobook: bool = False

    @property
    def in_use(self) -> int:
        return sum(1 for loan in self.loans.values() if loan.is_open)

    @property
    def is_expired(self) -> bool:
        return self.expires is not None and self.expires <= timezone.now()


class _Handler(BaseHTTPRequestHandler):
    fake: FakeDistributor
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out at once, no 40 ms stall

    def log_message(self, *args) -> None:  # keep the test output clean
        pass

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        status, payload, content_type = self.fake.answer(
            method, self.path, body, self.headers.get("Authorization", "")
        )
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        try:
            self.send_response(status)
            if status == 303:
                self.send_header("Location", payload["location"])
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout test)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default 5 drops simultaneous connections (last-copy tests)


class FakeDistributor:
    kind = ""

    def __init__(self, login: str = GLN, password: str = PASSWORD) -> None:
        self.login = login
        self.password = password
        self.mode = "ok"
        self.lose_answers = 0  # how many of the next requests are handled but not answered
        self.licences: dict[str, FakeLicence] = {}
        self.requests: list[tuple[str, str, bytes]] = []
        self.open_loans: dict[str, FakeLoan] = {}
        self.lock = threading.Lock()
        self._release = threading.Event()
        handler = type("Handler", (_Handler,), {"fake": self})
        self.server = _Server(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeDistributor:
        self.thread.start()
        return self

    def stop(self) -> None:
        self._release.set()
        self.server.shutdown()
        self.server.server_close()

    def add_licence(self, licence_id: str, **terms) -> FakeLicence:
        terms.setdefault("expires", timezone.now() + timedelta(days=730))
        if "loans_total" in terms:
            terms.setdefault("loans_left", terms["loans_total"])
        licence = FakeLicence(id=licence_id, **terms)
        self.licences[licence_id] = licence
        return licence

    def loan(self, loan_id: str) -> FakeLoan | None:
        for licence in self.licences.values():
            if loan_id in licence.loans:
                return licence.loans[loan_id]
        return None

    # -- HTTP ------------------------------------------------------------------------------
    def answer(self, method: str, path: str, body: bytes, authorization: str):
        self.requests.append((method, path, body))
        if self.mode == "hang":
            self._release.wait(30)
            return 500, {"error": "released"}, "application/json"
        if self.mode == "fail":
            return 500, b"<h1>Internal Server Error</h1>", "text/html"
        if self.mode == "nonsense":
            return 200, b"<html><body>Maintenance</body></html>", "text/html"
        expected = "Basic " + base64.b64encode(f"{self.login}:{self.password}".encode()).decode()
        if authorization != expected:
            return 401, {"error": "unauthorized"}, "application/json"
        if self.mode == "garbled":
            return (
                200,
                {"returnStatus": "OK", "status": 42, "checkouts": "many"},
                "application/json",
            )
        with self.lock:
            self._settle()
            answer = self.route(method, urlsplit(path), body)
            if self.lose_answers > 0:  # done, but the answer never reaches the portal
                self.lose_answers -= 1
                return 502, b"<h1>Bad Gateway</h1>", "text/html"
            return answer

    def _settle(self) -> None:
        """Loans whose end has passed are over (only open loans are looked at)."""
        now = timezone.now()
        for loan_id, loan in list(self.open_loans.items()):
            if loan.is_open and loan.end <= now:
                loan.state = "expired"
            if not loan.is_open:
                del self.open_loans[loan_id]

    def route(self, method, url, body):  # pragma: no cover - subclasses
        raise NotImplementedError

    def _new_loan(self, licence: FakeLicence, loan_id: str, end: datetime, **kwargs) -> str | None:
        """Make a loan, or say why not: the error codes are the Dilicom ones."""
        if licence.recalled:
            return "RECALL"
        if licence.is_expired:
            return "OFFER_EXPIRED"
        if loan_id in licence.loans:
            return None  # the same request again: same loan
        if licence.loans_left <= 0:
            return "NO_LOAN_LEFT"
        if licence.in_use >= licence.concurrency:
            return "NO_COPY_AVAILABLE"
        now = timezone.now()
        if end <= now or end > now + timedelta(days=licence.loan_max_days, minutes=5):
            return "INVALID_LOAN_END_DATE"
        licence.loans_left -= 1
        loan = FakeLoan(id=loan_id, licence_id=licence.id, end=end, started=now, **kwargs)
        licence.loans[loan_id] = self.open_loans[loan_id] = loan
        return None

    def _extend(self, loan: FakeLoan, end: datetime | None) -> str | None:
        licence = self.licences[loan.licence_id]
        if not loan.is_open:
            return "LOAN_ENDED"
        if not licence.renewable or licence.recalled:
            return "EXTENSION_REFUSED"
        if end is None or end <= loan.end:
            return "INVALID_LOAN_END_DATE"
        if end > loan.started + timedelta(days=licence.loan_max_days, minutes=5):
            return "EXTENSION_REFUSED"
        loan.end = end
        return None


def _date(value) -> datetime | None:
    return parse_datetime(value) if isinstance(value, str) else None


def _php_form(body: bytes) -> dict:
    """A form-encoded body the way PHP reads it: `name[0]=a&name[1]=b` is a list."""
    values: dict = {}
    for key, items in parse_qs(body.decode("utf-8"), keep_blank_values=True).items():
        if key.endswith("]") and "[" in key:
            name, index = key[:-1].split("[", 1)
            values.setdefault(name, {})[int(index)] = items[0]
        else:
            values[key] = items[0]
    return {k: [v[i] for i in sorted(v)] if isinstance(v, dict) else v for k, v in values.items()}


class FakeDilicom(FakeDistributor):
    """Dilicom PNB as the public PNB clients speak it: POST of a form-encoded body (lists as
    `orderLineId[0]`, nested fields with dots) to `<base>/<function>`, HTTP Basic with the
    GLN, `glnContractor` in every call; JSON answers with `returnStatus` OK, RECALL (this
    loan exists already) or ERROR with `returnMessage` lines (and an `errorCode`, which
    the public clients do not read: our assumption)."""

    kind = "dilicom"

    def route(self, method, url, body):
        call = url.path.rstrip("/").rsplit("/", 1)[-1]
        try:
            data = _php_form(body)
        except (UnicodeDecodeError, ValueError):
            return 400, self._error("BAD_REQUEST"), "application/json"
        if data.get("glnContractor") != self.login:
            return 200, self._error("WRONG_CONTRACTOR"), "application/json"
        handler = {
            "loanBook": self._loan_book,
            "returnLoan": self._return_loan,
            "extendLoan": self._extend_loan,
            "getLoanStatus": self._get_loan_status,
        }.get(call)
        if method != "POST" or handler is None:
            return 404, {"error": "not found"}, "application/json"
        return 200, handler(data), "application/json"

    @staticmethod
    def _error(code: str) -> dict:
        return {"returnStatus": "ERROR", "errorCode": code, "returnMessage": [code.lower()]}

    def _loan_json(self, loan: FakeLoan) -> dict:
        return {
            "loanId": loan.id,
            "orderLineId": loan.licence_id,
            "requestId": f"req-{loan.id[:8]}",
            "protection": "LCP",
            "loanEndDate": loan.end.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "link": {"url": f"{self.url}/download/{loan.id}.lcpl"},
        }

    def _credentials(self, data: dict, login: str = "login", password: str = "password") -> bool:
        return data.get(login) == self.login and data.get(password) == self.password

    def _loan_book(self, data: dict) -> dict:
        licence = self.licences.get(str(data.get("orderLineId")))
        end = _date(data.get("loanEndDate"))
        if licence is None:
            return self._error("UNKNOWN_ORDER_LINE")
        if (
            end is None
            or not data.get("loanId")
            or not data.get("DRMinfo.readerPass")
            or data.get("glnLoaner") != self.login
            or data.get("accessMedium") != "DOWNLOAD"
        ):
            return self._error("BAD_REQUEST")
        if data["loanId"] in licence.loans:  # the same loan again
            return {"returnStatus": "RECALL", **self._loan_json(licence.loans[data["loanId"]])}
        problem = self._new_loan(
            licence,
            str(data["loanId"]),
            end,
            patron=str(data.get("DRMinfo.readerId", "")),
            passphrase=data["DRMinfo.readerPass"],
            hint=str(data.get("DRMinfo.readerHint", "")),
        )
        if problem:
            return self._error(problem)
        return {"returnStatus": "OK", **self._loan_json(licence.loans[data["loanId"]])}

    def _return_loan(self, data: dict) -> dict:
        if not self._credentials(data):
            return self._error("AUTHENTICATION_FAILED")
        loan = self.loan(str(data.get("loanId")))
        if loan is None or loan.licence_id != data.get("orderLineId"):
            return self._error("UNKNOWN_LOAN")
        if not loan.is_open:
            return self._error("LOAN_ENDED")
        loan.state = "returned"
        return {"returnStatus": "OK", "loanId": loan.id}

    def _extend_loan(self, data: dict) -> dict:
        if not self._credentials(data):
            return self._error("AUTHENTICATION_FAILED")
        loan = self.loan(str(data.get("loanId")))
        if loan is None or loan.licence_id != data.get("orderLineId"):
            return self._error("UNKNOWN_LOAN")
        problem = self._extend(loan, _date(data.get("date")))
        if problem:
            return self._error(problem)
        return {"returnStatus": "OK", "loanId": loan.id}

    def _get_loan_status(self, data: dict) -> dict:
        if not self._credentials(data, "glnColl", "passwordColl"):
            return self._error("AUTHENTICATION_FAILED")
        ids = data.get("orderLineId") or []
        lines = []
        for line_id in ids if isinstance(ids, list) else [ids]:
            licence = self.licences.get(str(line_id))
            if licence is None or licence.recalled or licence.is_expired:
                continue  # an order line no longer sold is not listed
            running = [loan for loan in licence.loans.values() if loan.is_open]
            lines.append(
                {
                    "orderLineId": licence.id,
                    "nta": licence.loans_left,
                    "nus1": licence.in_use,
                    "pnbLoanList": [
                        {"loanId": loan.id, "endLoanDate": loan.end.isoformat()} for loan in running
                    ],
                }
            )
        return {"returnStatus": "OK", "loanResponseLine": lines}


class FakeODL(FakeDistributor):
    """ODL 1.0 as the specification writes it: an OPDS 2.0 feed paged by `next` links
    (`/feed?page=N`, `page_size` publications a page), each licence with its License Info
    Document (`self`) and a checkout link `http://opds-spec.org/acquisition/borrow` whose
    `id` is the licence's identifier and `checkout_id` the library's id of the checkout.
    A checkout answers 201 and a License Status Document with its own id; the same `id`
    and `checkout_id` again answer 303 See Other to that first LSD, whatever its status
    now (a loan returned since is `returned`). The Info Document lists the active
    checkouts."""

    kind = "odl"
    PROBLEM = "http://opds-spec.org/odl/error/"
    page_size = 2

    def info_url(self, licence_id: str) -> str:
        return f"{self.url}/licenses/{licence_id}"

    def checkout_url(self, licence_id: str = "") -> str:
        return (
            f"{self.url}/checkout"
            "{?id,checkout_id,patron_id,expires,notification_url,passphrase,hint}"
        )

    def status_url(self, checkout_id: str) -> str:
        return f"{self.url}/loans/{self.loan(checkout_id).lsd_id}/status"

    def loan_by_lsd(self, lsd_id: str) -> FakeLoan | None:
        for licence in self.licences.values():
            for loan in licence.loans.values():
                if loan.lsd_id == lsd_id:
                    return loan
        return None

    def _problem(self, status: int, kind: str):
        return status, {"type": self.PROBLEM + kind, "title": kind}, "application/problem+json"

    def route(self, method, url, body):
        parts = url.path.strip("/").split("/")
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if parts == ["feed"] and method == "GET":
            return 200, self.feed_page(int(query.get("page", "1"))), "application/opds+json"
        if parts[0] == "licenses" and len(parts) == 2 and method == "GET":
            licence = self.licences.get(parts[1])
            if licence is None:
                return 404, {"error": "unknown licence"}, "application/json"
            return 200, self.info_document(licence), "application/vnd.odl.info+json"
        if parts == ["checkout"]:
            return self._checkout(method, query)
        if parts[0] == "loans" and len(parts) == 3:
            loan = self.loan_by_lsd(parts[1])
            if loan is None:
                return 404, {"error": "unknown loan"}, "application/json"
            if parts[2] == "status" and method == "GET":
                return 200, self.status_document(loan), self._lsd
            if parts[2] == "return" and method == "PUT":
                if not loan.is_open:
                    return self._problem(403, "return/already-returned")
                loan.state = "returned"
                return 200, self.status_document(loan), self._lsd
            if parts[2] == "renew" and method == "PUT":
                if self._extend(loan, _date(query.get("end"))):
                    return self._problem(403, "renew/not-allowed")
                return 200, self.status_document(loan), self._lsd
        return 404, {"error": "not found"}, "application/json"

    _lsd = "application/vnd.readium.license.status.v1.0+json"

    def _checkout(self, method, query):
        licence = self.licences.get(query.get("id", ""))
        if method != "POST":
            return 404, {"error": "not found"}, "application/json"
        if licence is None:
            return self._problem(400, "checkout/id")
        checkout_id = query.get("checkout_id", "")
        if not checkout_id:
            return self._problem(400, "checkout/checkout_id")
        if not query.get("patron_id"):
            return self._problem(400, "checkout/patron_id")
        if checkout_id in licence.loans:  # the same checkout again: where it is
            loan = licence.loans[checkout_id]
            return 303, {"location": f"/loans/{loan.lsd_id}/status"}, "application/json"
        end = _date(query.get("expires"))
        if end is None:
            return self._problem(400, "checkout/expires")
        if not query.get("passphrase"):
            return self._problem(400, "checkout/passphrase")
        problem = self._new_loan(
            licence,
            checkout_id,
            end,
            patron=query["patron_id"],
            passphrase=query["passphrase"],
            hint=query.get("hint", ""),
            notification_url=query.get("notification_url", ""),
        )
        if problem in ("NO_LOAN_LEFT", "NO_COPY_AVAILABLE"):
            return self._problem(403, "checkout/unavailable")
        if problem in ("RECALL", "OFFER_EXPIRED"):
            return self._problem(403, "checkout/expired")
        if problem:
            return self._problem(400, "checkout/expires")
        loan = licence.loans[checkout_id]
        loan.lsd_id = f"lsd-{licence.id}-{len(licence.loans)}"
        return 201, self.status_document(loan), self._lsd

    def feed_page(self, page: int) -> dict:
        licences = sorted(self.licences.values(), key=lambda lic: lic.id)
        start = (page - 1) * self.page_size
        chunk = licences[start : start + self.page_size]
        links = [{"rel": "self", "href": f"/feed?page={page}", "type": "application/opds+json"}]
        if start + self.page_size < len(licences):
            links.append(
                {"rel": "next", "href": f"/feed?page={page + 1}", "type": "application/opds+json"}
            )
        return {
            "metadata": {"title": "Fake ODL", "currentPage": page},
            "links": links,
            "publications": [self.publication(licence) for licence in chunk],
        }

    def publication(self, licence: FakeLicence) -> dict:
        terms = {
            "checkouts": licence.loans_total,
            "concurrency": licence.concurrency,
            "length": licence.loan_max_days * 86400,
        }
        if licence.expires:
            terms["expires"] = licence.expires.isoformat()
        return {
            "metadata": {
                "@type": "http://schema.org/Audiobook"
                if licence.audiobook
                else "http://schema.org/EBook",
                "title": licence.title,
                "identifier": f"urn:isbn:{licence.ean}",
            },
            "licenses": [
                {
                    "metadata": {
                        "identifier": licence.id,
                        "format": ["application/audiobook+lcp"]
                        if licence.audiobook
                        else ["application/epub+zip"],
                        "created": "2026-01-15T10:00:00+01:00",
                        "terms": terms,
                    },
                    "links": [
                        {
                            "rel": "self",
                            "href": self.info_url(licence.id),
                            "type": "application/vnd.odl.info+json",
                        },
                        {
                            "rel": "http://opds-spec.org/acquisition/borrow",
                            "href": self.checkout_url(),
                            "type": self._lsd,
                            "templated": True,
                        },
                    ],
                }
            ],
        }

    def info_document(self, licence: FakeLicence) -> dict:
        status = "available"
        if licence.recalled or licence.is_expired:
            status = "expired"
        elif licence.loans_left <= 0:
            status = "unavailable"
        return {
            "identifier": licence.id,
            "status": status,
            "format": ["application/epub+zip"],
            "terms": {
                "checkouts": licence.loans_total,
                "concurrency": licence.concurrency,
                "length": licence.loan_max_days * 86400,
                "expires": licence.expires.isoformat() if licence.expires else None,
            },
            "checkouts": {
                "left": licence.loans_left,
                "available": licence.concurrency - licence.in_use,
                "active": [
                    {
                        "id": loan.id,
                        "href": f"/loans/{loan.lsd_id}/status",
                        "patron_id": loan.patron,
                        "expires": loan.end.isoformat(),
                    }
                    for loan in licence.loans.values()
                    if loan.is_open
                ],
            },
        }

    def status_document(self, loan: FakeLoan) -> dict:
        base = f"{self.url}/loans/{loan.lsd_id}"
        links = [{"rel": "self", "href": f"{base}/status", "type": self._lsd}]
        if loan.is_open:
            links.append(
                {
                    "rel": "license",
                    "href": f"{base}/license.lcpl",
                    "type": "application/vnd.readium.lcp.license.v1.0+json",
                }
            )
            links.append({"rel": "return", "href": f"{base}/return{{?id,name}}", "templated": True})
            if self.licences[loan.licence_id].renewable:
                links.append(
                    {"rel": "renew", "href": f"{base}/renew{{?end,id,name}}", "templated": True}
                )
        return {
            "id": loan.lsd_id,
            "status": loan.state,
            "message": f"The loan is {loan.state}.",
            "updated": {"status": timezone.now().isoformat()},
            "links": links,
            "potential_rights": {"end": loan.end.isoformat()},
        }

    def revoke(self, checkout_id: str) -> bytes:
        """End a loan from the distributor's side; the notification it would send."""
        with self.lock:
            loan = self.loan(checkout_id)
            loan.state = "revoked"
            return json.dumps(self.status_document(loan)).encode()


def mirror(fake: FakeDistributor, licences) -> None:
    """Give the fake the portal's licences (the demo's), with the same terms."""
    for licence in licences:
        fake.add_licence(
            licence.distributor_key,
            loans_total=licence.loans_total or 1000,
            loans_left=licence.loans_left if licence.loans_left is not None else 1000,
            concurrency=licence.concurrent_max,
            loan_max_days=licence.loan_max_days,
            expires=licence.valid_until,
        )
