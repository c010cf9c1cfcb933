"""The OpenID Connect provider's endpoints, mounted at /o/ by boite/urls.py.

Only authorisation, token, revocation, introspection, discovery, JWKS and userinfo:
django-oauth-toolkit's application-management and dynamic-registration pages are left
out on purpose (clients are created by connectors in the back office, nowhere else).
The namespace stays `oauth2_provider` because the toolkit reverses its own URLs.
"""

from django.urls import path
from oauth2_provider import urls as toolkit

from boite.access.oidc_views import AuthorizationView

app_name = "oauth2_provider"

_BASE = {"token", "revoke-token", "introspect"}
urlpatterns = [
    path("authorize/", AuthorizationView.as_view(), name="authorize"),
    *[p for p in toolkit.base_urlpatterns if p.name in _BASE],
    *toolkit.oidc_urlpatterns,
]
