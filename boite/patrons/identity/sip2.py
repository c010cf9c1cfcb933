"""SIP2 (3M Standard Interchange Protocol 2.00): card number and PIN checked by the ILS.

The client logs in (93/94) with the network's credentials, then asks about the patron
with the card (`AA`) and PIN (`AD`), either by Patron Status (23/24) or by Patron
Information (63/64). Library systems speak SIP2 each in their own way: a *profile*
(`PROFILES`, chosen in the network's patron rules) says, for one ILS family, which
message pair to use, the character set, where the expiry date is, what a missing `CQ`
means, which of the 14 patron-status positions block a login, and whether checksums
are sent. Every rule comes from messages or source code of that system.

Checksums (`AZ`) are computed and verified on the bytes sent or received, never on
text re-encoded. An answer is read up to a carriage return or a newline.

Two kinds of failure are kept apart. A failure of the *system* (no connection, no
answer in time, framing that cannot be read, the SC login refused) raises
`Sip2Error`, counted by a circuit breaker per network and ILS address
(boite.lib.breaker, shared through the cache): after PATRONS_SIP2_BREAKER_FAILURES in a
row, logins answer « service indisponible » at once for
PATRONS_SIP2_BREAKER_COOLDOWN_SECONDS. An answer that is wrong *about one patron* (a
bad checksum on it, a missing field, a date that cannot be read, another card) raises
`Sip2PatronError`: that login is « service indisponible », the raw answer goes to the
log (never to a page), and the breaker does not count it, so a few bad records never
lock the other patrons out.
"""

from __future__ import annotations

import logging
import re
import socket
import ssl
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from boite.lib.breaker import CircuitBreaker
from boite.networks.models import Network, User
from boite.patrons.identity import IdentityUnavailable, LoginRefused
from boite.patrons.models import Patron, PatronEvent, PatronRules

log = logging.getLogger(__name__)
TERMINATOR = b"\r"
MAX_MESSAGE = 8192
_TRAILER = re.compile(rb"AY(\d)AZ([0-9A-Fa-f]{4})$")
_CHECKSUM_TAIL = re.compile(rb"AZ([0-9A-Fa-f]{0,4})$")


class Sip2Error(IdentityUnavailable):
    """Any SIP2 failure: the login is « service indisponible »."""


class Sip2SystemError(Sip2Error):
    """The library system failed (connection, time, framing, SC login): counted."""


class Sip2PatronError(Sip2Error):
    """The answer about one patron cannot be trusted: that login fails, nothing else."""

    def __init__(self, reason: str, raw: bytes = b"") -> None:
        super().__init__(reason)
        self.raw = raw


class Sip2CircuitOpen(Sip2Error):
    """The ILS failed several times in a row: not even tried during the cool-down."""


# -- the 14 patron-status positions (SIP2 2.00, fixed field of 24 and 64) ---------------
CHARGE_DENIED, RENEWAL_DENIED, RECALL_DENIED, HOLD_DENIED, CARD_LOST = 0, 1, 2, 3, 4
TOO_MANY_CHARGED, TOO_MANY_OVERDUE, TOO_MANY_RENEWALS, TOO_MANY_CLAIMS = 5, 6, 7, 8
TOO_MANY_LOST, EXCESSIVE_FINES, EXCESSIVE_FEES, RECALL_OVERDUE, TOO_MANY_BILLED = (
    9, 10, 11, 12, 13,
)  # fmt: skip
FINES_POSITIONS = frozenset({EXCESSIVE_FINES, EXCESSIVE_FEES})


@dataclass(frozen=True)
class Profile:
    """How one family of library systems speaks SIP2 (see docs/patrons.md)."""

    key: str
    label: str
    message: str = "23"  # "23" (Patron Status) or "63" (Patron Information)
    charset: str = "utf-8"  # how the ILS encodes text: utf-8, cp850, iso-8859-1
    checksum: str = "on"  # "on": sent and required; "optional": checked when present; "off"
    expiry_field: str = "PA"  # "PA", "PX" or "" (the ILS does not say)
    missing_cq: str = "refuse"  # "refuse": no CQ is no proof; "accept": the ILS omits it
    blocking: frozenset[int] = frozenset({CHARGE_DENIED, CARD_LOST})
    name_order: str = "last, first"  # or "first last"
    fines_from_limit: bool = False  # fee amount BV at or above the limit CC: fines


PROFILES: dict[str, Profile] = {
    profile.key: profile
    for profile in (
        Profile("generic", gettext_lazy("SIP2 2.00 as specified")),
        # Koha (C4::SIP): both pairs; text in the account's encoding, UTF-8 as set up
        # by most; expiry in PA (YYYYMMDD); charge privileges denied for debarred,
        # expired or over the fines limit; checksums only with error detection on.
        Profile("koha", "Koha", message="63", checksum="optional"),
        # Evergreen (OpenILS::Application::SIP2): 63/64; expiry in PA; CQ is left out
        # where the account has no password to check; expired, barred or inactive
        # accounts get positions 0–3; too many fines is position 10.
        Profile(
            "evergreen",
            "Evergreen",
            message="63",
            checksum="optional",
            missing_cq="accept",
            blocking=frozenset({CHARGE_DENIED, CARD_LOST, EXCESSIVE_FINES}),
        ),
        # Sierra (Innovative): 63/64; no expiry field; the fee amount BV and its limit
        # CC are both sent, so fines show from them; accented names in CP850.
        Profile(
            "sierra",
            "Sierra",
            message="63",
            charset="cp850",
            checksum="optional",
            expiry_field="",
            fines_from_limit=True,
        ),
        # Polaris: 63/64 with checksums; PA is the patron's branch, the expiry is PX
        # (YYYYMMDD    HHMMSS); positions 0–3 are set together for any block, even
        # for a wrong PIN or an unknown card, so they decide nothing alone: a lost
        # card (4) and fines (10, 11) block.
        Profile(
            "polaris",
            "Polaris",
            message="63",
            expiry_field="PX",
            blocking=frozenset({CARD_LOST, EXCESSIVE_FINES, EXCESSIVE_FEES}),
        ),
        # PMB (French, open source): 23/24 and 63/64; « prénom nom »; no expiry field;
        # position 3 is any loan block (late returns, fines, subscription), 10 the
        # fines block, 11 an expired subscription or unpaid fee; position 2 is always
        # set in its 24.
        Profile(
            "pmb",
            "PMB",
            checksum="optional",
            charset="iso-8859-1",
            expiry_field="",
            name_order="first last",
            blocking=frozenset({CARD_LOST, EXCESSIVE_FINES, EXCESSIVE_FEES}),
        ),
    )
}


def profile_choices() -> list[tuple[str, str]]:
    return [(profile.key, profile.label) for profile in PROFILES.values()]


def profile_for(key: str) -> Profile:
    return PROFILES.get(key) or PROFILES["generic"]


# -- checksums, on bytes ----------------------------------------------------------------
def checksum_bytes(data: bytes) -> str:
    """The AZ checksum of bytes up to and including « AZ »: the 16-bit two's
    complement of their sum."""
    return f"{(-sum(data)) & 0xFFFF:04X}"


def checksum(text: str, charset: str = "utf-8") -> str:
    return checksum_bytes(text.encode(charset, "replace"))


def with_checksum(body: str, sequence: int, charset: str = "utf-8") -> bytes:
    head = f"{body}AY{sequence % 10}AZ".encode(charset, "replace")
    return head + checksum_bytes(head).encode("ascii")


def verify_bytes(raw: bytes, policy: str = "on") -> tuple[bytes, int | None]:
    """The message without its AY/AZ trailer, and its sequence number (None when there
    is none). Raises Sip2PatronError for a wrong checksum, or a missing one when the
    profile requires it."""
    match = _TRAILER.search(raw)
    if match:
        if (
            policy != "off"
            and checksum_bytes(raw[: match.start(2)]) != match.group(2).upper().decode()
        ):
            raise Sip2PatronError("bad checksum")
        return raw[: match.start()], int(match.group(1))
    if policy == "on":
        raise Sip2PatronError("no checksum")
    # Optional: an « AY…AZ » with an empty or short checksum is no checksum at all.
    body = _CHECKSUM_TAIL.sub(b"", raw)
    body = re.sub(rb"AY\d$", b"", body)
    return body, None


def verify(message: str | bytes, charset: str = "utf-8") -> str:
    """The text of a message whose checksum is required and right."""
    raw = message if isinstance(message, bytes) else message.encode(charset)
    body, _sequence = verify_bytes(raw)
    return body.decode(charset)


# -- reading answers ----------------------------------------------------------------------
def parse_fields(text: str) -> dict[str, str]:
    """Variable fields « XXvalue| » → {"XX": "value"} (the first occurrence wins, screen
    messages AF are joined)."""
    fields: dict[str, str] = {}
    for part in text.split("|"):
        if len(part) >= 2 and part[:2].isalpha() and part[:2].isupper():
            if part[:2] == "AF" and "AF" in fields:
                fields["AF"] = f"{fields['AF']} {part[2:]}".strip()
            fields.setdefault(part[:2], part[2:])
    return fields


def parse_date(value: str) -> date | None:
    """A SIP2 date read leniently: YYYYMMDD, with or without a time (« YYYYMMDD    HHMMSS »,
    a time-zone code in between) or dashes; None when it is no date (Polaris's PA1)."""
    digits = re.sub(r"\D", "", value or "")
    if len(digits) < 8:
        return None
    try:
        return datetime.strptime(digits[:8], "%Y%m%d").date()
    except ValueError:
        return None


def sip_datetime(moment: datetime | None = None) -> str:
    moment = timezone.localtime(moment or timezone.now())
    return moment.strftime("%Y%m%d    %H%M%S")


@dataclass(frozen=True)
class PatronStatus:
    card: str
    valid_patron: bool | None
    valid_password: bool | None  # None: the answer has no CQ
    name: str = ""
    expires_on: date | None = None
    library_code: str = ""
    flags: frozenset[int] = field(default_factory=frozenset)
    screen_message: str = ""
    fee_amount: float | None = None
    fee_limit: float | None = None
    expired_flag: bool = False  # Polaris's PY

    @property
    def blocked(self) -> bool:
        return bool(self.flags)


def _amount(value: str | None) -> float | None:
    try:
        return float(value.replace(",", ".")) if value else None
    except ValueError:
        return None


_FIXED = {"24": 37, "64": 61}


def parse_status(message: str, profile: Profile | None = None) -> PatronStatus:
    """A 24 (Patron Status) or 64 (Patron Information) response, already stripped of
    its AY/AZ trailer. Raises Sip2PatronError when it is not one."""
    profile = profile or PROFILES["generic"]
    kind = message[:2]
    if kind not in _FIXED or len(message) < 16:
        raise Sip2PatronError("not a patron status or information response")
    status = message[2:16]
    start = _FIXED[kind]
    if not re.fullmatch(r"[A-Z]{2}", message[start : start + 2] or ""):
        # Some systems pad or shorten the fixed part: the fields begin at AO or AA.
        found = [i for i in (message.find("AO", 37), message.find("AA", 37)) if i >= 0]
        start = min(found) if found else len(message)
    fields = parse_fields(message[start:])
    if not fields.get("AA"):
        raise Sip2PatronError("no patron identifier")
    expires_on = None
    if profile.expiry_field and fields.get(profile.expiry_field):
        expires_on = parse_date(fields[profile.expiry_field])
        if expires_on is None:
            log.info("SIP2 expiry %r is no date: ignored", fields[profile.expiry_field])
    valid = {"Y": True, "N": False}
    return PatronStatus(
        card=fields["AA"],
        valid_patron=valid.get(fields.get("BL", "").upper()[:1]),
        valid_password=valid.get(fields.get("CQ", "").upper()[:1]),
        name=fields.get("AE", "").strip().strip(",").strip(),
        expires_on=expires_on,
        library_code=fields.get("AQ", ""),
        flags=frozenset(i for i, flag in enumerate(status) if flag in "Yy"),
        screen_message=fields.get("AF", ""),
        fee_amount=_amount(fields.get("BV")),
        fee_limit=_amount(fields.get("CC")),
        expired_flag=fields.get("PY", "").upper() == "Y",
    )


# -- what the answer means for the login ------------------------------------------------
class Outcome:
    VALID = "valid"
    WRONG_PIN = "wrong_pin"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    LOST = "lost"
    FINES = "fines"
    BLOCKED = "blocked"


def outcome(status: PatronStatus, profile: Profile, today: date | None = None) -> str:
    """What the login does with this answer, by the profile's rules."""
    today = today or timezone.localdate()
    if status.valid_patron is not True:
        return Outcome.UNKNOWN
    if status.valid_password is False:
        return Outcome.WRONG_PIN
    if status.valid_password is None and profile.missing_cq != "accept":
        return Outcome.WRONG_PIN
    if status.expired_flag or (status.expires_on is not None and status.expires_on < today):
        return Outcome.EXPIRED
    blocking = status.flags & profile.blocking
    if CARD_LOST in blocking:
        return Outcome.LOST
    over_limit = (
        profile.fines_from_limit
        and status.fee_amount is not None
        and status.fee_limit
        and status.fee_amount >= status.fee_limit
    )
    if blocking & FINES_POSITIONS or over_limit:
        return Outcome.FINES
    if blocking:
        # Charge privileges denied with fines owed is a fines block, said as such.
        if CHARGE_DENIED in blocking and status.fee_amount:
            return Outcome.FINES
        return Outcome.BLOCKED
    return Outcome.VALID


def refusal_message(kind: str, library: str) -> str:
    if kind == Outcome.LOST:
        return _("Your card is reported lost: contact the library %(library)s.") % {
            "library": library
        }
    if kind == Outcome.FINES:
        return _(
            "Your account is blocked for unpaid fines (amendes): contact the library %(library)s."
        ) % {"library": library}
    return _("Your library has blocked your account: contact the library %(library)s.") % {
        "library": library
    }


def split_name(name: str, order: str) -> tuple[str, str]:
    """(first, last) of the ILS's personal name."""
    if order == "first last":
        first, _sep, last = name.strip().partition(" ")
        return (first, last) if last else ("", first)
    last, _sep, first = name.partition(",")
    return first.strip(), last.strip()


# -- the connection -----------------------------------------------------------------------
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
        profile: Profile | None = None,
    ) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.tls, self.tls_context = tls, tls_context
        self.profile = profile or PROFILES["generic"]
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
            raise Sip2SystemError(f"cannot connect: {error.__class__.__name__}") from None
        sock.settimeout(self.timeout)
        self.sock = sock
        return self

    def __exit__(self, *exc) -> None:
        if self.sock is not None:
            try:
                self.sock.close()
            finally:
                self.sock = None

    def exchange(
        self, body: str, expect: str | tuple[str, ...], *, about_patron: bool = False
    ) -> str:
        """Send one message, read its answer: the answer's text without the trailer."""
        profile = self.profile
        if profile.checksum == "off":
            message = body.encode(profile.charset, "replace")
        else:
            message = with_checksum(body, self.sequence, profile.charset)
        sent_sequence = self.sequence % 10
        self.sequence += 1
        try:
            self.sock.sendall(message + TERMINATOR)
            raw = self._read_message()
        except (OSError, ssl.SSLError) as error:  # socket.timeout is an OSError
            raise Sip2SystemError(f"no answer: {error.__class__.__name__}") from None
        if raw[:2] == b"96":
            raise Sip2SystemError("the ILS asks to resend (it could not read the request)")
        expected = (expect,) if isinstance(expect, str) else expect
        if raw[:2].decode("ascii", "replace") not in expected:
            raise Sip2SystemError(f"expected {'/'.join(expected)}")
        try:
            stripped, sequence = verify_bytes(raw, profile.checksum)
        except Sip2PatronError as error:
            if about_patron:
                raise Sip2PatronError(str(error), raw) from None
            raise Sip2SystemError(str(error)) from None
        if sequence is not None and sequence != sent_sequence:
            raise Sip2SystemError("wrong sequence number")
        return self._decode(stripped)

    def _decode(self, data: bytes) -> str:
        try:
            return data.decode(self.profile.charset)
        except UnicodeDecodeError:
            # A UTF-8 profile on a system that still speaks its old code page.
            log.info("SIP2 answer is not %s: read as CP850", self.profile.charset)
            return data.decode("cp850", "replace")

    def _read_message(self) -> bytes:
        """One message, up to a carriage return or a newline (both are met in the
        field); an empty line between two messages (« \\r\\n ») is skipped."""
        while True:
            self._buffer = self._buffer.lstrip(b"\r\n")
            ends = [i for i in (self._buffer.find(b"\r"), self._buffer.find(b"\n")) if i >= 0]
            if ends:
                end = min(ends)
                message, self._buffer = self._buffer[:end], self._buffer[end + 1 :]
                return message
            if len(self._buffer) > MAX_MESSAGE:
                raise Sip2SystemError("answer too long")
            chunk = self.sock.recv(1024)
            if not chunk:
                raise Sip2SystemError("connection closed")
            self._buffer += chunk

    def login(self, user: str, password: str, location: str = "") -> bool:
        answer = self.exchange(f"9300CN{user}|CO{password}|CP{location}|", "94")
        if len(answer) < 3 or answer[2] not in "01":
            raise Sip2SystemError("bad login response")
        return answer[2] == "1"

    def patron_status(self, institution: str, card: str, pin: str) -> PatronStatus:
        now = sip_datetime()
        if self.profile.message == "63":
            body = f"63000{now}{' ' * 10}AO{institution}|AA{card}|AC|AD{pin}|"
        else:
            body = f"23000{now}AO{institution}|AA{card}|AC|AD{pin}|"
        # Either answer reads the same: a system that answers a 63 with a 24 is heard.
        answer = self.exchange(body, ("24", "64"), about_patron=True)
        status = parse_status(answer, self.profile)
        if status.card.strip() != card:
            raise Sip2PatronError("answer for another card", answer.encode("utf-8"))
        return status


class Sip2Source:
    """Card number and PIN checked by the network's ILS; the patron is created or
    updated from the answer (name, expiry and home library, at every login)."""

    identifier_kind = "card"

    def __init__(self, rules: PatronRules) -> None:
        self.rules = rules
        profile = profile_for(rules.sip2_profile)
        if rules.sip2_charset:
            profile = replace(profile, charset=rules.sip2_charset)
        self.profile = profile

    def client(self) -> Sip2Client:
        if not self.rules.sip2_host or not self.rules.sip2_port:
            raise Sip2SystemError("SIP2 is not configured")
        return Sip2Client(
            self.rules.sip2_host,
            self.rules.sip2_port,
            timeout=self.rules.sip2_timeout,
            tls=self.rules.sip2_tls,
            profile=self.profile,
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
        except Sip2PatronError as error:
            # The system answered: it is up. The answer is this patron's problem.
            breaker.record_success()
            log.warning(
                "SIP2 answer of network %s about card …%s unreadable (%s): %r",
                self.rules.network_id,
                card[-4:],
                error,
                error.raw,
            )
            raise
        except Sip2SystemError as error:
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
                raise Sip2SystemError("login refused")
            return client.patron_status(rules.sip2_institution, card, pin)

    def authenticate(self, network: Network, identifier: str, secret: str) -> Patron | None:
        card = identifier.strip()
        if not card or not secret or "|" in card + secret or len(card) > 40:
            return None
        status = self.check(card, secret)
        kind = outcome(status, self.profile)
        if kind in (Outcome.UNKNOWN, Outcome.WRONG_PIN):
            return None
        patron = self.sync(network, status, expired=kind == Outcome.EXPIRED)
        if kind == Outcome.EXPIRED:
            raise LoginRefused(patron.refusal_reason())
        if kind != Outcome.VALID:
            raise LoginRefused(refusal_message(kind, patron.home_library.name))
        return patron

    @transaction.atomic
    def sync(self, network: Network, status: PatronStatus, *, expired: bool = False) -> Patron:
        """Create or update the patron the ILS vouched for: names, expiry and home
        library are those of this answer (the ILS is the record)."""
        library = None
        if status.library_code:
            library = network.libraries.filter(code=status.library_code).first()
        patron = (
            Patron.objects.select_for_update(of=("self",))
            .select_related("user")
            .filter(network=network, card_number=status.card)
            .first()
        )
        first, last = split_name(status.name, self.profile.name_order)
        if patron is None:
            library = library or network.libraries.members().order_by("name").first()
            if library is None:
                raise Sip2SystemError("the network has no library")
            user = User(username="patron-sip2-" + Patron._meta.get_field("pseudonym").default())
            user.set_unusable_password()
            patron = Patron(
                network=network,
                home_library=library,
                card_number=status.card,
                email_confirmed_at=timezone.now(),
                consent_at=timezone.now(),
                validated_at=timezone.now(),
            )
        else:
            user = patron.user
            if library is not None:
                patron.home_library = library
        if status.name and (user.first_name, user.last_name) != (first[:150], last[:150]):
            user.first_name, user.last_name = first[:150], last[:150]
            user.save()
        elif user.pk is None:
            user.save()
        patron.user = user
        if patron.state != Patron.State.SUSPENDED:
            patron.state = Patron.State.EXPIRED if expired else Patron.State.ACTIVE
        patron.expires_on = status.expires_on
        patron.save()
        patron.log(PatronEvent.Kind.SIP2_LOGIN)
        return patron
