"""The patron login that every protocol flow (CAS, OpenID Connect) sends a visitor to.

A flow that needs a patron redirects to the network's own patron login (`/connexion/`)
with the flow's address as `next`; the login page asks `service_for_next()` which
service is being opened, to say so (« Connectez-vous pour ouvrir Skilleos »), and
returns to the flow once the patron is logged in. The staff login of the back office
is never part of a patron's path.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse


@dataclass(frozen=True)
class FlowService:
    """What the login page says about the flow it returns to."""

    name: str
    login_hint: str = ""


def patron_login(request: HttpRequest, next_url: str | None = None) -> HttpResponseRedirect:
    """To the patron login of this portal, coming back to `next_url` (default: here)."""
    query = urlencode({"next": next_url or request.get_full_path()})
    return HttpResponseRedirect(f"{reverse('patrons:login')}?{query}")


def _service_name(connector) -> str:
    return connector.resource.name if connector.resource_id else connector.name


def service_for_next(network, next_url: str) -> FlowService | None:
    """The service a `next` address of the login page opens, when it is a CAS login or
    an OpenID Connect authorisation of one of this network's connectors."""
    from boite.access.models import Connector

    if not next_url:
        return None
    parts = urlsplit(next_url)
    params = {key: values[0] for key, values in parse_qs(parts.query).items()}
    if parts.path == reverse("access:cas_login"):
        for connector in Connector.objects.filter(
            network=network, kind="cas", is_active=True
        ).select_related("resource"):
            if connector.allows_service(params.get("service", "")):
                return FlowService(_service_name(connector))
        return None
    if parts.path == reverse("oauth2_provider:authorize"):
        connector = (
            Connector.objects.filter(
                network=network,
                kind="oidc",
                is_active=True,
                oauth_application__client_id=params.get("client_id", ""),
            )
            .select_related("resource")
            .first()
        )
        if connector is not None:
            return FlowService(_service_name(connector), params.get("login_hint", "")[:254])
    return None
