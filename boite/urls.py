from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.static import serve

from boite import views
from boite.api import api

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
    # Uploaded files; in production the reverse proxy serves MEDIA_ROOT.
    urlpatterns.append(path("media/<path:path>", serve, {"document_root": settings.MEDIA_ROOT}))
