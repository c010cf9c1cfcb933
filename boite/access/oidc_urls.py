"""The OpenID Connect provider's endpoints, mounted at /o/ by boite/urls.py.

Authorisation, token, revocation, introspection, discovery (OpenID and RFC 8414, both
naming the issuer `…/o`, which the authorisation response's `iss` also says), JWKS,
userinfo and RP-initiated logout: django-oauth-toolkit's application-management and
dynamic-registration pages are left out on purpose (clients are created by connectors
in the back office, nowhere else). The namespace stays `oauth2_provider` because the
toolkit reverses its own URLs.
"""

from django.urls import path
from oauth2_provider import urls as toolkit

from boite.access import oidc_views

app_name = "oauth2_provider"

_BASE = {"token", "revoke-token", "introspect"}
_OIDC_OURS = {"user-info", "oidc-connect-discovery-info"}
urlpatterns = [
    path("authorize/", oidc_views.AuthorizationView.as_view(), name="authorize"),
    path("userinfo/", oidc_views.UserInfoView.as_view(), name="user-info"),
    path(
        ".well-known/openid-configuration",
        oidc_views.ConnectDiscoveryInfoView.as_view(),
        name="oidc-connect-discovery-info",
    ),
    *[p for p in toolkit.metadata_urlpatterns if p.name == "oauth-server-metadata"],
    *[p for p in toolkit.base_urlpatterns if p.name in _BASE],
    *[p for p in toolkit.oidc_urlpatterns if p.name not in _OIDC_OURS],
]
