from django.urls import path

from boite.stats import views

app_name = "stats"

urlpatterns = [
    path("gestion/statistiques/", views.dashboard, name="dashboard"),
    path("gestion/statistiques/export/<slug:key>.<str:fmt>", views.export, name="export"),
    path("gestion/statistiques/territoire/", views.territory, name="territory"),
    path("gestion/statistiques/rapports/", views.reports, name="reports"),
    path("gestion/statistiques/bilan/<int:year>/", views.yearly_report, name="yearly_report"),
    path(
        "gestion/statistiques/bilan/<int:year>.odt",
        views.yearly_report_odt,
        name="yearly_report_odt",
    ),
]
