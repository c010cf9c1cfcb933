"""`check --deploy`: the key that signs OpenID Connect ID tokens comes from the
environment. A key in a file of var/ is one leak (a backup, a misconfigured drop
directory) away from anyone signing tokens that every OIDC provider trusts."""

from __future__ import annotations

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def check_oidc_key_from_environment(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    if settings.DEBUG or settings.OIDC_KEY_FROM_ENVIRONMENT:
        return []
    return [
        checks.Error(
            "OIDC_RSA_PRIVATE_KEY is not set: OpenID Connect has no signing key from the "
            "environment.",
            hint=(
                "Set OIDC_RSA_PRIVATE_KEY to an RSA private key in PEM (newlines may be "
                "written \\n): see docs/deployment.md. The key generated under var/ is for "
                "development only."
            ),
            id="boite.E010",
        )
    ]
