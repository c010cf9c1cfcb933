from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LendingConfig(AppConfig):
    name = "boite.lending"
    verbose_name = _("PNB lending")

    def ready(self) -> None:
        from boite.lending import personal_data, signals  # noqa: F401 - registers them
