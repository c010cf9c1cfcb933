"""The authentication backend of patrons: within `request.network`, through the
network's identity source (e-mail and password, or card and PIN via SIP2)."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from boite.patrons.identity import source_for


class PatronBackend(ModelBackend):
    def authenticate(self, request, identifier=None, secret=None, **kwargs):
        network = getattr(request, "network", None)
        if network is None or not identifier or not secret:
            return None
        patron = source_for(network).authenticate(network, identifier, secret)
        if patron is None or patron.user is None:
            return None
        return patron.user if self.user_can_authenticate(patron.user) else None
