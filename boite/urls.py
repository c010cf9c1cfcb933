from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from boite import views
from boite.api import api
from boite.lib.uploads import serve_media

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("o/", include("boite.access.oidc_urls")),
    path("", include("boite.catalog.urls")),
    path("", include("boite.patrons.urls")),
    path("", include("boite.access.urls")),
    path("", include("boite.lending.urls")),
    path("", include("boite.stats.urls")),
    path("", include("boite.finance.urls")),
    path("", include("boite.pro.urls")),
    path("", include("boite.networks.urls")),
]

if settings.DEBUG or settings.TESTING:
    # Uploaded files; in production the reverse proxy serves MEDIA_ROOT (same headers).
    urlpatterns.append(path("media/<path:path>", serve_media))
