from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProConfig(AppConfig):
    name = "boite.pro"
    verbose_name = _("Professional space")
