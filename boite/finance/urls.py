from django.urls import path

from boite.finance import views

app_name = "finance"

urlpatterns = [
    path("gestion/finances/", views.home, name="home"),
    path("gestion/finances/adhesions/nouvelle/", views.campaign_create, name="campaign_create"),
    path("gestion/finances/adhesions/<int:pk>/", views.campaign_detail, name="campaign"),
    path(
        "gestion/finances/adhesions/<int:pk>/generer/",
        views.campaign_generate,
        name="campaign_generate",
    ),
    path(
        "gestion/finances/adhesions/<int:pk>/export.csv",
        views.campaign_export,
        {"fmt": "csv"},
        name="campaign_csv",
    ),
    path(
        "gestion/finances/adhesions/<int:pk>/export.xlsx",
        views.campaign_export,
        {"fmt": "xlsx"},
        name="campaign_xlsx",
    ),
    path(
        "gestion/finances/adhesions/<int:pk>/relances/",
        views.campaign_remind,
        name="campaign_remind",
    ),
    path("gestion/finances/appels/<int:pk>/etat/", views.membership_state, name="membership_state"),
    path("gestion/finances/appels/<int:pk>/lettre/", views.membership_letter, name="letter"),
    path(
        "gestion/finances/appels/<int:pk>/lettre.odt",
        views.membership_letter_odt,
        name="letter_odt",
    ),
    path("gestion/finances/simulation/", views.what_if, name="what_if"),
    path("gestion/finances/conventions/nouvelle/", views.agreement_create, name="agreement_create"),
    path("gestion/finances/conventions/<int:pk>/", views.agreement_detail, name="agreement"),
    path("gestion/finances/contrats/nouveau/", views.contract_create, name="contract_create"),
    path("gestion/finances/contrats/<int:year>/", views.contracts, name="contracts"),
    path("gestion/finances/gouvernance/<int:pk>/", views.committee_detail, name="committee"),
    path("gestion/finances/reunions/<int:pk>/", views.meeting_detail, name="meeting"),
    path("gestion/finances/documents/<slug:kind>/<int:pk>/", views.document, name="document"),
]
