from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatsConfig(AppConfig):
    name = "boite.stats"
    verbose_name = _("Statistics")

    def ready(self) -> None:
        from boite.stats import personal_data  # noqa: F401 - registers the export's part
