"""Local accounts: the patron's e-mail and password, within the network."""

from __future__ import annotations

from boite.networks.models import Network, User
from boite.patrons.models import Patron


class LocalSource:
    identifier_kind = "email"

    def authenticate(self, network: Network, identifier: str, secret: str) -> Patron | None:
        patron = (
            Patron.objects.select_related("user")
            .filter(network=network, user__email__iexact=identifier.strip(), user__isnull=False)
            .first()
        )
        if patron is None:
            # Hash anyway, so that the answer takes as long for an unknown address.
            User().set_password(secret)
            return None
        if not patron.user.check_password(secret):
            return None
        return patron
