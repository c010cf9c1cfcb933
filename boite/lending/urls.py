from django.urls import path

from boite.lending import patron_views, staff_loan_views, views

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
    path("gestion/prets/suggestions/", staff_loan_views.suggestions, name="suggestions"),
    path("gestion/prets/titres/", staff_loan_views.loans_by_title, name="loans_by_title"),
    path("prets/emprunter/<int:record_id>/", patron_views.borrow, name="borrow"),
    path("prets/reserver/<int:record_id>/", patron_views.place_hold, name="hold"),
    path("compte/prets/", patron_views.my_loans, name="my_loans"),
    path("compte/prets/rendre/", patron_views.return_loan, name="return"),
    path("compte/prets/prolonger/", patron_views.extend_loan, name="extend"),
    path("compte/prets/annuler-reservation/", patron_views.cancel_hold, name="cancel_hold"),
    path("opds/prets/catalogue.json", patron_views.opds_collection, name="opds_collection"),
    path("opds/prets/mes-prets.json", patron_views.opds_loans, name="opds_loans"),
]
