from django.urls import path

from boite.patrons import staff_views, views

app_name = "patrons"

urlpatterns = [
    path("inscription/", views.register, name="register"),
    path("inscription/envoyee/", views.registered, name="registered"),
    path("inscription/confirmer/<str:token>/", views.confirm, name="confirm"),
    path("inscription/bienvenue/", views.welcome, name="welcome"),
    path("connexion/", views.login_view, name="login"),
    path("deconnexion/", views.logout_view, name="logout"),
    path("compte/", views.account, name="account"),
    path("compte/modifier/", views.account_edit, name="account_edit"),
    path("compte/mot-de-passe/", views.password_change, name="password_change"),
    path("compte/mes-donnees.json", views.account_export, name="account_export"),
    path("compte/supprimer/", views.account_delete, name="account_delete"),
    path("compte/deconnexion-partout/", views.logout_everywhere, name="logout_everywhere"),
    path("mot-de-passe-oublie/", views.password_reset, name="password_reset"),
    path("mot-de-passe-oublie/envoye/", views.password_reset_done, name="password_reset_done"),
    path(
        "mot-de-passe-oublie/<uidb64>/<token>/",
        views.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path(
        "mot-de-passe-oublie/termine/",
        views.password_reset_complete,
        name="password_reset_complete",
    ),
    path("gestion/usagers/", staff_views.queue, name="staff_queue"),
    path("gestion/usagers/valider/", staff_views.validate_from_queue, name="staff_validate"),
    path("gestion/usagers/export.csv", staff_views.export, name="staff_export"),
    path("gestion/usagers/import/", staff_views.import_patrons, name="staff_import"),
    path("gestion/usagers/<int:pk>/", staff_views.detail, name="staff_detail"),
    path("gestion/usagers/<int:pk>/valider/", staff_views.approve, name="staff_approve"),
    path("gestion/usagers/<int:pk>/refuser/", staff_views.reject, name="staff_reject"),
    path("gestion/usagers/<int:pk>/document/", staff_views.ask_document, name="staff_document"),
    path("gestion/usagers/<int:pk>/renouveler/", staff_views.renew, name="staff_renew"),
    path("gestion/usagers/<int:pk>/suspendre/", staff_views.suspend, name="staff_suspend"),
    path("gestion/usagers/<int:pk>/retablir/", staff_views.reinstate, name="staff_reinstate"),
    path(
        "gestion/usagers/<int:pk>/bibliotheque/",
        staff_views.change_library,
        name="staff_change_library",
    ),
]
