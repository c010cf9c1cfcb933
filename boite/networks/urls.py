from django.urls import path

from boite.networks import views

app_name = "networks"

urlpatterns = [
    path("", views.home, name="home"),
    path("bibliotheques/", views.library_directory, name="library_directory"),
    path("bibliotheques/<slug:slug>/", views.library_detail, name="library"),
    path("mentions-legales/", views.legal_page, {"page": "legal"}, name="legal_notice"),
    path("donnees-personnelles/", views.legal_page, {"page": "privacy"}, name="privacy"),
    path("accessibilite/", views.legal_page, {"page": "accessibility"}, name="accessibility"),
    path("gestion/", views.desk, name="desk"),
    path("theme.css", views.theme_css, name="theme_css"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("apple-touch-icon.png", views.touch_icon, name="touch_icon"),
]
