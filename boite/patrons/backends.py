"""The authentication backend of patrons: within `request.network`, through the
network's identity source (e-mail and password, or card and PIN via SIP2)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import OuterRef, Subquery

from boite.patrons.identity import source_for


class PatronBackend(ModelBackend):
    def get_user(self, user_id):
        """The logged-in user of each request, with the session generation of their patron
        account read in the same query (SessionGenerationMiddleware needs it each time)."""
        from boite.patrons.models import Patron

        generation = Patron.objects.filter(user_id=OuterRef("pk")).values("session_generation")
        try:
            user = (
                get_user_model()
                ._default_manager.annotate(patron_generation=Subquery(generation[:1]))
                .get(pk=user_id)
            )
        except get_user_model().DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None

    def authenticate(self, request, identifier=None, secret=None, **kwargs):
        network = getattr(request, "network", None)
        if network is None or not identifier or not secret:
            return None
        patron = source_for(network).authenticate(network, identifier, secret)
        if patron is None or patron.user is None:
            return None
        return patron.user if self.user_can_authenticate(patron.user) else None
