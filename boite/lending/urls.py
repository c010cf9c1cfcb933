from django.urls import path

from boite.lending import views

app_name = "lending"

urlpatterns = [
    path("gestion/prets/", views.licence_list, name="licences"),
    path("gestion/prets/export.csv", views.licence_export, name="licences_csv"),
    path("gestion/prets/synchronisations/", views.sync_runs, name="sync_runs"),
    path(
        "gestion/prets/synchronisations/<int:account_id>/lancer/",
        views.sync_now,
        name="sync_now",
    ),
    path(
        "prets/notifications/<int:account_id>/<str:token>/",
        views.notification,
        name="notification",
    ),
    path("aide/applications-de-lecture/", views.reading_apps, name="reading_apps"),
]
