from django.contrib.admin.apps import AdminConfig


class BoiteAdminConfig(AdminConfig):
    """The Django admin, entered through staff roles rather than the is_staff flag."""

    default_site = "boite.networks.scoped_admin.BoiteAdminSite"
