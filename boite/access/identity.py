"""What the portal tells a provider about a patron: one small, explicit record.

Connectors receive an `Identity`, never a User or a Patron, so that what leaves the
portal is decided here and nowhere else. `identity_for(user, network)` builds it from
the User's own fields for now; the gate (issue « Direct access », next wave) replaces
it with `Identity.from_patron(patron)` filled from patrons.Patron (card number, birth
date, home library, expiry date).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import asdict, dataclass
from datetime import date

from django.conf import settings

# The attributes a connector may pass on; each connector's settings pick among them.
ATTRIBUTES = (
    "pseudonym",
    "card_number",
    "email",
    "first_name",
    "last_name",
    "birth_date",
    "birth_year",
    "library_code",
    "library_name",
    "network",
    "expiry_date",
)


@dataclass(frozen=True)
class Identity:
    """A patron as providers see them. `pseudonym` is stable, opaque and per network."""

    pseudonym: str
    card_number: str = ""
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    birth_date: date | None = None
    library_code: str = ""
    library_name: str = ""
    network: str = ""
    expiry_date: date | None = None

    @property
    def birth_year(self) -> int | None:
        return self.birth_date.year if self.birth_date else None

    def attributes(self, names: list[str] | tuple[str, ...] = ATTRIBUTES) -> dict[str, str]:
        """The named attributes as strings (dates in ISO 8601), empty ones left out."""
        values = asdict(self) | {"birth_year": self.birth_year}
        out = {}
        for name in names:
            value = values.get(name)
            if value in (None, ""):
                continue
            out[name] = value.isoformat() if isinstance(value, date) else str(value)
        return out

    def __repr__(self) -> str:
        # Personal data never reaches a log through a repr.
        return f"Identity(pseudonym={self.pseudonym!r})"


def pseudonym_for(user_id: int, network_slug: str) -> str:
    """A stable pseudonymous id: HMAC of the account id, keyed by the site's secret."""
    message = f"patron:{network_slug}:{user_id}".encode()
    digest = hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()
    return digest[:32]


def identity_for(user, network=None) -> Identity:
    """The identity of a logged-in account on a portal.

    Built from the User's fields only (username as card number) until the patrons app
    lands: the gate wave swaps this for the Patron's data (card number, birth date,
    home library, expiry date). Every caller goes through this one function.
    """
    slug = network.slug if network is not None else ""
    return Identity(
        pseudonym=pseudonym_for(user.pk, slug),
        card_number=user.get_username(),
        email=user.email,
        first_name=user.first_name,
        last_name=user.last_name,
        network=slug,
    )


def refusal_for(user, connector) -> str | None:
    """Why this account may not enter the connector's provider, or None when it may.

    Every account of the portal may, for now; the gate wave puts its rule here (active
    or trial patron of the connector's network, resource in service, age, quota) so
    that CAS and OpenID Connect logins obey the same rule as the « Accéder » button.
    """
    return None
