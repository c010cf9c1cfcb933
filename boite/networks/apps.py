from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NetworksConfig(AppConfig):
    name = "boite.networks"
    verbose_name = _("Networks and libraries")
