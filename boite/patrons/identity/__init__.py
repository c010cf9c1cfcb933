"""Identity sources: how a network checks who a patron is when they log in.

One interface, one module per kind: `local` (e-mail and password kept by the portal,
validated by the libraries) and `sip2` (card number and PIN checked by the network's
library system). `source_for(network)` picks the network's source from its rules.
"""

from __future__ import annotations

from typing import Protocol

from django.utils.translation import gettext_lazy as _

from boite.networks.models import Network


class IdentityUnavailable(Exception):
    """The source cannot answer now (unreachable, slow, nonsense): never a login."""

    message = _("The library system is unavailable (service indisponible): please try again later.")


class LoginRefused(Exception):
    """The credentials are right but the account may not log in; the message says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class IdentitySource(Protocol):
    #: what the login form asks for: "email" or "card"
    identifier_kind: str

    def authenticate(self, network: Network, identifier: str, secret: str):
        """The Patron these credentials prove, or None. Raises IdentityUnavailable."""


def source_for(network: Network) -> IdentitySource:
    from boite.patrons.identity import local, sip2
    from boite.patrons.models import PatronRules

    rules = PatronRules.for_network(network)
    if rules.uses_sip2:
        return sip2.Sip2Source(rules)
    return local.LocalSource()
