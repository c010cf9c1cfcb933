from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccessConfig(AppConfig):
    name = "boite.access"
    verbose_name = _("Direct access")

    def ready(self) -> None:
        # The admin site has discovered every app's admin module by now (its config
        # comes first in INSTALLED_APPS), the toolkit's included.
        from boite.access import checks, personal_data  # noqa: F401 - they register
        from boite.access.admin import unregister_toolkit_admin

        unregister_toolkit_admin()
