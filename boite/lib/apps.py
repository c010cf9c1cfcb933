from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LibConfig(AppConfig):
    """Shared helpers; its one table keeps the e-mails the worker could not deliver."""

    name = "boite.lib"
    label = "lib"
    verbose_name = _("Technical")

    def ready(self) -> None:
        from boite.lib import outbound  # noqa: F401 — registers its deployment check
