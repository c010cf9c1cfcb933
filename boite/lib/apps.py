from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LibConfig(AppConfig):
    """Shared helpers; its tables keep the e-mails the worker could not deliver and,
    without Redis, the login and rate-limit counters."""

    name = "boite.lib"
    label = "lib"
    verbose_name = _("Technical")

    def ready(self) -> None:
        from boite.lib import (
            checks,  # noqa: F401 - registers the checks of var/
            counters,  # noqa: F401  (registers its deployment check)
            outbound,  # noqa: F401 — registers its deployment check
        )
