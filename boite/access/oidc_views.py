"""The OpenID Connect endpoints the toolkit's views do not do the portal's way.

The authorisation view first makes sure the client is an active OIDC connector *of
this portal's network* and that the patron may use it (`refusal_for`, the rule the gate
also applies), so that a client of one network cannot log in patrons through another
network's portal. A visitor who is not a patron of the network (anonymous, or in a
staff session) goes to the patron login of the portal (`boite.access.flows`), never to
the staff login; `prompt=none` answers `login_required` at once instead. `prompt=login`
and an exceeded `max_age` ask for the password again, even in an open session.
"""

from __future__ import annotations

import time
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from oauth2_provider import views as toolkit
from oauth2_provider.exceptions import OAuthToolkitError
from oauth2_provider.models import get_application_model

from boite.access.flows import patron_login
from boite.access.identity import refusal_for
from boite.access.models import Connector
from boite.patrons.middleware import take_fresh_login
from boite.patrons.models import Patron


def _prompts(request: HttpRequest) -> set[str]:
    return set(request.GET.get("prompt", "").split())


def _max_age_exceeded(request: HttpRequest) -> bool:
    raw = request.GET.get("max_age", "")
    if not raw.isdigit():
        return False
    last_login = request.user.last_login
    return last_login is None or time.time() - last_login.timestamp() > int(raw)


class AuthorizationView(toolkit.AuthorizationView):
    def get_login_url(self) -> str:
        return reverse("patrons:login")

    def handle_no_permission(self):
        # prompt=none is answered by the toolkit (login_required to the client); any
        # other anonymous request goes to the patron login, the prompt kept in `next`
        # so that the view below knows the password was asked for.
        if "none" in _prompts(self.request):
            return super().handle_no_permission()
        return patron_login(self.request)

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
        if Patron.of(request.user, request.network) is None:
            # A staff session: a patron must log in (or the client hears login_required).
            return self.handle_no_permission()
        refusal = refusal_for(request.user, connector)
        if refusal:
            return render(request, "access/cas_error.html", {"message": refusal}, status=403)
        return None

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        refusal = self._refusal(request)
        if refusal is not None:
            return refusal
        prompts = _prompts(request)
        if "login" in prompts or _max_age_exceeded(request):
            if "none" in prompts:
                return self._error_to_client(request, "login_required")
            if not take_fresh_login(request):
                return patron_login(request)
            # The password was just typed: the rest of the flow goes on without the
            # prompt (the toolkit would otherwise send the patron to log in again).
            query = request.GET.copy()
            query.pop("prompt", None)
            query.pop("max_age", None)
            request.GET = query
        return super().get(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        return self._refusal(request) or super().post(request, *args, **kwargs)

    def _error_to_client(self, request: HttpRequest, error: str) -> HttpResponse:
        """An OpenID Connect error response to the client's registered redirect URI."""
        try:
            _scopes, credentials = self.validate_authorization_request(request)
        except OAuthToolkitError as failure:
            return self.error_response(failure, application=None)
        application = get_application_model().objects.get(client_id=credentials["client_id"])
        params = {"error": error}
        if credentials.get("state"):
            params["state"] = credentials["state"]
        uri = credentials["redirect_uri"]
        separator = "&" if "?" in uri else "?"
        return self.redirect(uri + separator + urlencode(params), application)


class UserInfoView(toolkit.UserInfoView):
    """Tokens only in the Authorization header or a form body (RFC 6750 §2.1–2.2): an
    access token in the URL ends up in logs and is refused (RFC 9700 §2.4.2)."""

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if "access_token" in request.GET:
            response = JsonResponse(
                {
                    "error": "invalid_request",
                    "error_description": "The access token goes in the Authorization header.",
                },
                status=400,
            )
            response["WWW-Authenticate"] = 'Bearer error="invalid_request"'
            return response
        return super().dispatch(request, *args, **kwargs)


class ConnectDiscoveryInfoView(toolkit.ConnectDiscoveryInfoView):
    """Discovery advertises only the ID-token algorithms the clients are set up for
    (RS256 for every connector the portal creates), not HS256 by default."""

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        import json

        response = super().get(request, *args, **kwargs)
        data = json.loads(response.content)
        algorithms = sorted(
            set(
                Connector.objects.filter(
                    network=request.network, kind="oidc", is_active=True
                ).values_list("oauth_application__algorithm", flat=True)
            )
            - {"", None}
        ) or ["RS256"]
        data["id_token_signing_alg_values_supported"] = algorithms
        data["claims_parameter_supported"] = False
        fixed = JsonResponse(data)
        fixed["Access-Control-Allow-Origin"] = "*"
        return fixed
