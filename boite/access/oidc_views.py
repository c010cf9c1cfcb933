"""The authorisation endpoint, bound to the portal's connectors.

The toolkit's view does the OAuth work; this one first makes sure the client is an
active OIDC connector *of this portal's network* and that the patron may use it
(`refusal_for`, the rule the gate also applies), so that a client of one network
cannot log in patrons through another network's portal.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from oauth2_provider import views as toolkit

from boite.access.identity import refusal_for
from boite.access.models import Connector


class AuthorizationView(toolkit.AuthorizationView):
    def _refusal(self, request: HttpRequest) -> HttpResponse | None:
        client_id = request.GET.get("client_id") or request.POST.get("client_id") or ""
        connector = Connector.objects.filter(
            kind="oidc",
            is_active=True,
            network=request.network,
            oauth_application__client_id=client_id,
        ).first()
        if connector is None:
            message = _("This service is not allowed to use the portal's login.")
            return render(request, "access/cas_error.html", {"message": message}, status=400)
        refusal = refusal_for(request.user, connector)
        if refusal:
            return render(request, "access/cas_error.html", {"message": refusal}, status=403)
        return None

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        return self._refusal(request) or super().get(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        return self._refusal(request) or super().post(request, *args, **kwargs)
