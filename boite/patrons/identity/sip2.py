"""SIP2 (3M Standard Interchange Protocol 2.00): card number and PIN checked by the ILS.

The client logs in (93/94) with the network's credentials, then asks the patron's
status (23/24) with the card (`AA`) and PIN (`AD`); the answer says whether the card
is known (`BL`) and the PIN right (`CQ`). Expiry (`PA`, YYYYMMDD) and home library
(`AQ`, the library's code) are read when the ILS sends them, as Koha does. Every
message carries a sequence number (`AY`) and a checksum (`AZ`); an answer with a bad
checksum, a wrong sequence, a malformed body, or no answer within the timeout raises
IdentityUnavailable: never a login.

A circuit breaker per network and ILS address (boite.lib.breaker, shared through the
cache): after PATRONS_SIP2_BREAKER_FAILURES failures in a row, logins answer
« service indisponible » at once for PATRONS_SIP2_BREAKER_COOLDOWN_SECONDS, instead of
each holding a web thread for the whole timeout; then one login probes the ILS.
"""

from __future__ import annotations

import logging
import re
import socket
import ssl
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from boite.lib.breaker import CircuitBreaker
from boite.networks.models import Network, User
from boite.patrons.identity import IdentityUnavailable, LoginRefused
from boite.patrons.models import Patron, PatronEvent, PatronRules

log = logging.getLogger(__name__)
TERMINATOR = b"\r"
MAX_MESSAGE = 8192


class Sip2Error(IdentityUnavailable):
    pass


class Sip2CircuitOpen(Sip2Error):
    """The ILS failed several times in a row: not even tried during the cool-down."""


def checksum(text: str) -> str:
    """The AZ checksum of everything up to and including « AZ »."""
    total = sum(text.encode("latin-1", "replace"))
    return f"{(-total) & 0xFFFF:04X}"


def with_checksum(body: str, sequence: int) -> str:
    head = f"{body}AY{sequence % 10}AZ"
    return head + checksum(head)


def verify(message: str) -> str:
    """The message without its AY/AZ trailer; raises Sip2Error when the checksum is wrong."""
    match = re.search(r"AY(\d)AZ([0-9A-Fa-f]{4})$", message)
    if not match:
        raise Sip2Error("no checksum")
    if checksum(message[: match.start(2)]) != match.group(2).upper():
        raise Sip2Error("bad checksum")
    return message[: match.start()]


def parse_fields(text: str) -> dict[str, str]:
    """Variable fields « XXvalue| » → {"XX": "value"} (the first occurrence wins)."""
    fields: dict[str, str] = {}
    for part in text.split("|"):
        if len(part) >= 2 and part[:2].isalpha() and part[:2].isupper():
            fields.setdefault(part[:2], part[2:])
    return fields


def sip_datetime(moment: datetime | None = None) -> str:
    moment = timezone.localtime(moment or timezone.now())
    return moment.strftime("%Y%m%d    %H%M%S")


@dataclass(frozen=True)
class PatronStatus:
    card: str
    valid_patron: bool
    valid_password: bool
    name: str = ""
    expires_on: date | None = None
    library_code: str = ""
    blocked: bool = False
    screen_message: str = ""


def parse_status(message: str) -> PatronStatus:
    """A 24 patron status response (already stripped of AY/AZ)."""
    if not message.startswith("24") or len(message) < 2 + 14 + 3 + 18:
        raise Sip2Error("not a patron status response")
    status = message[2:16]
    if not re.fullmatch(r"[ Y]{14}", status):
        raise Sip2Error("bad patron status")
    fields = parse_fields(message[37:])
    if "AA" not in fields or "BL" not in fields:
        raise Sip2Error("missing fields")
    expires_on = None
    if fields.get("PA"):
        try:
            expires_on = datetime.strptime(fields["PA"][:8], "%Y%m%d").date()
        except ValueError:
            raise Sip2Error("bad expiry date") from None
    return PatronStatus(
        card=fields["AA"],
        valid_patron=fields.get("BL") == "Y",
        valid_password=fields.get("CQ") == "Y",
        name=fields.get("AE", ""),
        expires_on=expires_on,
        library_code=fields.get("AQ", ""),
        blocked=status[0] == "Y",  # charge privileges denied
        screen_message=fields.get("AF", ""),
    )


class Sip2Client:
    """One connection to the ILS; use as a context manager."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        timeout: float = 5.0,
        tls: bool = False,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.tls, self.tls_context = tls, tls_context
        self.sequence = 0
        self.sock: socket.socket | None = None
        self._buffer = b""

    def __enter__(self) -> Sip2Client:
        try:
            sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
            if self.tls:
                context = self.tls_context or ssl.create_default_context()
                sock = context.wrap_socket(sock, server_hostname=self.host)
        except (OSError, ssl.SSLError) as error:
            raise Sip2Error(f"cannot connect: {error.__class__.__name__}") from None
        sock.settimeout(self.timeout)
        self.sock = sock
        return self

    def __exit__(self, *exc) -> None:
        if self.sock is not None:
            try:
                self.sock.close()
            finally:
                self.sock = None

    def exchange(self, body: str, expect: str) -> str:
        message = with_checksum(body, self.sequence)
        sent_sequence = self.sequence % 10
        self.sequence += 1
        try:
            self.sock.sendall(message.encode("utf-8") + TERMINATOR)
            raw = self._read_message()
        except (OSError, ssl.SSLError) as error:  # socket.timeout is an OSError
            raise Sip2Error(f"no answer: {error.__class__.__name__}") from None
        try:
            answer = raw.decode("utf-8")
        except UnicodeDecodeError:
            answer = raw.decode("latin-1")
        answer = answer.strip("\r\n")
        sequence = re.search(r"AY(\d)AZ[0-9A-Fa-f]{4}$", answer)
        stripped = verify(answer)
        if sequence and int(sequence.group(1)) != sent_sequence:
            raise Sip2Error("wrong sequence number")
        if not stripped.startswith(expect):
            raise Sip2Error(f"expected {expect}")
        return stripped

    def _read_message(self) -> bytes:
        while TERMINATOR not in self._buffer:
            chunk = self.sock.recv(1024)
            if not chunk:
                raise Sip2Error("connection closed")
            self._buffer += chunk
            if len(self._buffer) > MAX_MESSAGE:
                raise Sip2Error("answer too long")
        message, _sep, self._buffer = self._buffer.partition(TERMINATOR)
        return message

    def login(self, user: str, password: str, location: str = "") -> bool:
        answer = self.exchange(f"9300CN{user}|CO{password}|CP{location}|", "94")
        if len(answer) < 3 or answer[2] not in "01":
            raise Sip2Error("bad login response")
        return answer[2] == "1"

    def patron_status(self, institution: str, card: str, pin: str) -> PatronStatus:
        body = f"23000{sip_datetime()}AO{institution}|AA{card}|AC|AD{pin}|"
        status = parse_status(self.exchange(body, "24"))
        if status.card != card:
            raise Sip2Error("answer for another card")
        return status


class Sip2Source:
    """Card number and PIN checked by the network's ILS; the patron is created or
    updated from the answer (expiry and home library)."""

    identifier_kind = "card"

    def __init__(self, rules: PatronRules) -> None:
        self.rules = rules

    def client(self) -> Sip2Client:
        if not self.rules.sip2_host or not self.rules.sip2_port:
            raise Sip2Error("SIP2 is not configured")
        return Sip2Client(
            self.rules.sip2_host,
            self.rules.sip2_port,
            timeout=self.rules.sip2_timeout,
            tls=self.rules.sip2_tls,
        )

    def breaker(self) -> CircuitBreaker:
        rules = self.rules
        return CircuitBreaker(
            f"sip2:{rules.network_id}:{rules.sip2_host}:{rules.sip2_port}",
            failures=settings.PATRONS_SIP2_BREAKER_FAILURES,
            cooldown=settings.PATRONS_SIP2_BREAKER_COOLDOWN_SECONDS,
            # connect, log in, ask: three waits at most
            probe_timeout=3 * rules.sip2_timeout + 5,
        )

    def check(self, card: str, pin: str) -> PatronStatus:
        client = self.client()  # refuses an unconfigured ILS before the breaker counts
        breaker = self.breaker()
        if not breaker.allow():
            raise Sip2CircuitOpen("circuit open")
        try:
            status = self._ask(client, card, pin)
        except Sip2Error as error:
            if breaker.record_failure():
                log.warning(
                    "SIP2 of network %s failed %s times in a row (%s): logins fail at once "
                    "for %s s",
                    self.rules.network_id,
                    breaker.failures,
                    error,
                    breaker.cooldown,
                )
            raise
        breaker.record_success()
        return status

    def _ask(self, client: Sip2Client, card: str, pin: str) -> PatronStatus:
        rules = self.rules
        with client:
            if rules.sip2_login_user and not client.login(
                rules.sip2_login_user, rules.sip2_login_password, rules.sip2_location
            ):
                log.warning("SIP2 login refused for network %s", rules.network_id)
                raise Sip2Error("login refused")
            return client.patron_status(rules.sip2_institution, card, pin)

    def authenticate(self, network: Network, identifier: str, secret: str) -> Patron | None:
        card = identifier.strip()
        if not card or not secret or "|" in card + secret or len(card) > 40:
            return None
        status = self.check(card, secret)
        if not (status.valid_patron and status.valid_password):
            return None
        patron = self.sync(network, status)
        if patron.state == Patron.State.EXPIRED:
            raise LoginRefused(patron.refusal_reason())
        return patron

    @transaction.atomic
    def sync(self, network: Network, status: PatronStatus) -> Patron:
        """Create or update the patron the ILS vouched for."""
        today = timezone.localdate()
        library = None
        if status.library_code:
            library = network.libraries.filter(code=status.library_code).first()
        patron = (
            Patron.objects.select_for_update(of=("self",))
            .select_related("user")
            .filter(network=network, card_number=status.card)
            .first()
        )
        if patron is None:
            library = library or network.libraries.members().order_by("name").first()
            if library is None:
                raise Sip2Error("the network has no library")
            last, _sep, first = status.name.partition(",")
            user = User(
                username="patron-sip2-" + Patron._meta.get_field("pseudonym").default(),
                first_name=first.strip()[:150],
                last_name=last.strip()[:150],
            )
            user.set_unusable_password()
            user.save()
            patron = Patron(
                user=user,
                network=network,
                home_library=library,
                card_number=status.card,
                email_confirmed_at=timezone.now(),
                consent_at=timezone.now(),
                validated_at=timezone.now(),
            )
        elif library is not None:
            patron.home_library = library
        if patron.state != Patron.State.SUSPENDED:
            expired = status.blocked or (
                status.expires_on is not None and status.expires_on < today
            )
            patron.state = Patron.State.EXPIRED if expired else Patron.State.ACTIVE
        patron.expires_on = status.expires_on
        patron.save()
        patron.log(PatronEvent.Kind.SIP2_LOGIN)
        return patron
