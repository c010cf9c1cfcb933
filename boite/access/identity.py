"""What the portal tells a provider about a patron: one small, explicit record.

Connectors receive an `Identity`, never a User or a Patron, so that what leaves the
portal is decided here and nowhere else. `identity_for(user, network, connector)` builds it
from the patrons.Patron of the account (card number, names, e-mail, birth date, home
library, network, expiry date) with a pseudonym of its own for each connector.

A patron in trial has no card number yet: in its place, each provider receives an
identifier of that patron's own (`trial_card_for`), stable from the first day, so that
two patrons in trial never share one account at the provider. Once the library gives
the patron a card, the card number replaces it.
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


def pseudonym_for(patron_pseudonym: str, connector_id: int | None) -> str:
    """The id a provider receives: an HMAC of the patron's own pseudonym and the
    connector, keyed by the site's secret. Each connector (each provider, each network)
    sees a different id for the same patron, so two providers cannot match their lists."""
    message = f"patron:{patron_pseudonym}:connector:{connector_id or 0}".encode()
    digest = hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()
    return digest[:32]


TRIAL_CARD_PREFIX = "T"


def trial_card_for(patron_pseudonym: str, connector) -> str:
    """The identifier a provider receives in place of a card number that the patron does
    not have yet: an HMAC of the patron's own pseudonym and the provider (the connector
    when it opens no resource), 24 characters, « T » then 23 hexadecimal digits."""
    if not patron_pseudonym:
        return ""
    if connector.resource_id:
        scope = f"provider:{connector.resource.provider_id}"
    else:
        scope = f"connector:{connector.pk}"
    message = f"patron:{patron_pseudonym}:{scope}".encode()
    digest = hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()
    return TRIAL_CARD_PREFIX + digest[:23].upper()


def identity_from_patron(patron, connector=None) -> Identity:
    user = patron.user
    library = patron.home_library
    card_number = patron.card_number
    if not card_number and connector is not None:
        card_number = trial_card_for(patron.pseudonym, connector)
    return Identity(
        pseudonym=pseudonym_for(patron.pseudonym, connector.pk if connector else None),
        card_number=card_number,
        email=user.email if user else "",
        first_name=user.first_name if user else "",
        last_name=user.last_name if user else "",
        birth_date=patron.birth_date,
        library_code=library.code,
        library_name=library.name,
        network=patron.network.slug,
        expiry_date=patron.expires_on,
    )


def identity_for(user, network, connector=None) -> Identity | None:
    """The identity of the patron account `user` on the network's portal, as `connector`
    may see it (the pseudonym is per connector); None when the account is no patron of
    that network. Every caller (gate, CAS, OpenID Connect) goes through this function."""
    from boite.patrons.models import Patron

    patron = Patron.of(user, network)
    return identity_from_patron(patron, connector) if patron is not None else None


def refusal_for(user, connector) -> str | None:
    """Why this account may not enter the connector's provider, or None when it may.

    The rule is `boite.access.rules.decide`, the same as the « Accéder » button's,
    without the quota: the quota counts clicks on « Accéder », and the provider's CAS
    or OpenID Connect login that follows a click must not be refused for it.
    """
    from boite.access.rules import decide

    decision = decide(user, connector.network, connector.resource, connector=connector, quota=False)
    return None if decision.allowed else decision.message
