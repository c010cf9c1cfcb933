"""Bulk import of a library's patrons from its ILS export (Orphée, Koha…).

A CSV or TSV file, UTF-8 or Windows-1252, delimiter guessed from the header line.
Columns are recognised by name in French or English (see COLUMNS). `plan()` reads the
whole file and says, row by row, what would happen — create, update, unchanged or an
error — without writing; `apply()` does it in the caller's transaction. Importing the
same file again changes nothing; rows of another library are refused. Each patron
created writes the statistics event of a registration, as an online registration does.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext as _

from boite.lib.text import fold
from boite.networks.models import Library, User
from boite.patrons.models import Patron, PatronEvent
from boite.patrons.services import new_username
from boite.stats.events import EventKind, patron_fields, record_event

MAX_BYTES = 20 * 1024 * 1024
DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%Y%m%d", "%d.%m.%Y")

COLUMNS = {
    "card": {
        "cardnumber",
        "carte",
        "numerodecarte",
        "ncarte",
        "nocarte",
        "numerocarte",
        "barcode",
        "codebarre",
        "numerolecteur",
        "nlecteur",
    },
    "last_name": {"nom", "surname", "lastname", "nomdefamille"},
    "first_name": {"prenom", "firstname"},
    "birth_date": {
        "datedenaissance",
        "datenaissance",
        "naissance",
        "dateofbirth",
        "birthdate",
        "dob",
    },
    "email": {"email", "courriel", "mail", "adressemail", "emailaddress", "adressecourriel"},
    "expires_on": {
        "finabonnement",
        "findabonnement",
        "datefinabonnement",
        "dateexpiry",
        "expiry",
        "expirydate",
        "datefin",
        "finvalidite",
        "subscriptionend",
        "datedefinabonnement",
        "expiration",
    },
    "library": {"bibliotheque", "branchcode", "library", "site", "codebibliotheque"},
}
REQUIRED = ("card", "last_name", "first_name", "expires_on")


class ImportFileError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Row:
    line: int
    card: str = ""
    values: dict = field(default_factory=dict)
    action: str = "error"  # create, update, unchanged, error
    errors: list[str] = field(default_factory=list)
    patron: Patron | None = None


@dataclass
class Plan:
    columns: list[str]
    rows: list[Row]

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)

    def counts(self) -> dict[str, int]:
        return {a: self.count(a) for a in ("create", "update", "unchanged")} | {
            "created": self.count("create"),
            "updated": self.count("update"),
            "errors": self.count("error"),
        }

    @property
    def errors(self) -> list[Row]:
        return [r for r in self.rows if r.action == "error"]


def decode(raw: bytes) -> str:
    if len(raw) > MAX_BYTES:
        raise ImportFileError(_("The file is too large (20 MB at most)."))
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if not raw.strip():
        raise ImportFileError(_("The file is empty."))
    if b"\x00" in raw:
        raise ImportFileError(_("This is not a text file: export the patrons as CSV or TSV."))
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError:
        raise ImportFileError(
            _("The encoding of the file is not recognised: save it as UTF-8 or Windows-1252.")
        ) from None


def _key(header: str) -> str:
    return fold(header).replace(" ", "")


def _read(text: str) -> tuple[dict[str, int], list[str], list[tuple[int, list[str]]]]:
    first_line = text.splitlines()[0] if text.splitlines() else ""
    delimiter = max(["\t", ";", ",", "|"], key=first_line.count)
    if first_line.count(delimiter) == 0:
        raise ImportFileError(_("The first line must name the columns, separated by ; , or tabs."))
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = next(reader)
        columns: dict[str, int] = {}
        for index, name in enumerate(header):
            for column, aliases in COLUMNS.items():
                if _key(name) in aliases and column not in columns:
                    columns[column] = index
        missing = [c for c in REQUIRED if c not in columns]
        if missing:
            names = {
                "card": _("card number"),
                "last_name": _("last name"),
                "first_name": _("first name"),
                "expires_on": _("end of subscription"),
            }
            raise ImportFileError(
                _("Missing columns: %(columns)s.")
                % {"columns": ", ".join(names[m] for m in missing)}
            )
        rows = [(reader.line_num, row) for row in reader if any(cell.strip() for cell in row)]
    except csv.Error as error:
        raise ImportFileError(
            _("The file is not valid CSV: %(error)s.") % {"error": error}
        ) from None
    return columns, header, rows


def _date(text: str) -> date | None:
    text = text.strip()
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def plan(text: str, library: Library) -> Plan:
    columns, header, raw_rows = _read(text)
    network = library.network
    today = timezone.localdate()
    existing = {
        p.card_number: p
        for p in Patron.objects.filter(network=network)
        .exclude(card_number="")
        .select_related("user")
    }
    emails = {
        email.casefold(): pk
        for pk, email in Patron.objects.filter(network=network, user__isnull=False).values_list(
            "pk", "user__email"
        )
        if email
    }
    seen_cards: set[str] = set()
    rows: list[Row] = []
    for line, cells in raw_rows:

        def cell(column: str, cells=cells) -> str:
            index = columns.get(column)
            return cells[index].strip() if index is not None and index < len(cells) else ""

        row = Row(line=line, card=cell("card"))
        errors = row.errors
        if not row.card:
            errors.append(_("no card number"))
        elif len(row.card) > 40:
            errors.append(_("card number too long"))
        elif row.card in seen_cards:
            errors.append(_("card number repeated in the file"))
        seen_cards.add(row.card)
        last, first = cell("last_name"), cell("first_name")
        if not last or not first:
            errors.append(_("name missing"))
        expires_on = _date(cell("expires_on"))
        if expires_on is None:
            errors.append(_("end of subscription is not a date (DD/MM/YYYY)"))
        birth_text = cell("birth_date")
        birth_date = _date(birth_text) if birth_text else None
        if birth_text and birth_date is None:
            errors.append(_("birth date is not a date (DD/MM/YYYY)"))
        elif birth_date and birth_date > today:
            errors.append(_("birth date in the future"))
        email = cell("email")
        if email:
            try:
                validate_email(email)
            except ValidationError:
                errors.append(_("invalid e-mail address"))
        row_library = cell("library")
        if row_library and row_library.casefold() != (library.code or "").casefold():
            errors.append(_("row of another library (%(code)s)") % {"code": row_library})
        patron = existing.get(row.card)
        if patron is not None and patron.home_library_id != library.pk:
            errors.append(_("this card belongs to a patron of another library"))
        owner = emails.get(email.casefold()) if email else None
        if owner is not None and (patron is None or owner != patron.pk):
            errors.append(_("this e-mail address is used by another patron"))
        row.values = {
            "last_name": last[:150],
            "first_name": first[:150],
            "email": email,
            "birth_date": birth_date,
            "expires_on": expires_on,
            "state": Patron.State.ACTIVE
            if expires_on and expires_on >= today
            else Patron.State.EXPIRED,
        }
        if patron is not None and patron.state in (Patron.State.SUSPENDED, Patron.State.ERASED):
            row.values["state"] = patron.state  # a suspension is the library's decision
        row.patron = patron
        if errors:
            row.action = "error"
        elif patron is None:
            row.action = "create"
        else:
            row.action = "unchanged" if _current(patron) == row.values else "update"
        rows.append(row)
    return Plan(columns=header, rows=rows)


def _current(patron: Patron) -> dict:
    user = patron.user
    return {
        "last_name": user.last_name if user else "",
        "first_name": user.first_name if user else "",
        "email": user.email if user else "",
        "birth_date": patron.birth_date,
        "expires_on": patron.expires_on,
        "state": patron.state,
    }


def apply(text: str, library: Library, *, actor) -> Plan:
    """Write the plan's creations and updates (call inside a transaction)."""
    result = plan(text, library)
    now = timezone.now()
    for row in result.rows:
        v = row.values
        if row.action == "create":
            user = User(
                username=new_username(),
                email=v["email"],
                first_name=v["first_name"],
                last_name=v["last_name"],
            )
            user.set_unusable_password()
            user.save()
            patron = Patron.objects.create(
                user=user,
                network=library.network,
                home_library=library,
                card_number=row.card,
                birth_date=v["birth_date"],
                expires_on=v["expires_on"],
                state=v["state"],
                validated_at=now,
            )
            patron.log(PatronEvent.Kind.IMPORTED, actor)
            # A new patron of the network, as if registered online: the statistics
            # count them among the new registrations (updates are not new patrons).
            record_event(EventKind.REGISTRATION, **patron_fields(patron))
        elif row.action == "update":
            patron = row.patron
            user = patron.user
            if user is None:
                continue
            user.first_name, user.last_name, user.email = (
                v["first_name"],
                v["last_name"],
                v["email"],
            )
            user.save(update_fields=["first_name", "last_name", "email"])
            patron.birth_date, patron.expires_on, patron.state = (
                v["birth_date"],
                v["expires_on"],
                v["state"],
            )
            patron.validated_at = patron.validated_at or now
            patron.save()
            patron.log(PatronEvent.Kind.IMPORTED, actor)
    return result
