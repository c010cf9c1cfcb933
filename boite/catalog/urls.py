from django.urls import path

from boite.catalog import views

app_name = "catalog"

urlpatterns = [
    path("categories/<slug:slug>/", views.category, name="category"),
    path("ressources/<slug:slug>/", views.resource, name="resource"),
    path("notices/<int:pk>/", views.record, name="record"),
    path("recherche/", views.search, name="search"),
    path("recherche/suggestions/", views.suggest, name="suggest"),
    path("gestion/catalogue/", views.harvests, name="harvests"),
    path("gestion/catalogue/<slug:slug>/moissonner/", views.harvest_start, name="harvest_start"),
    path("gestion/catalogue/<slug:slug>/fichier/", views.resource_source, name="resource_source"),
    path("gestion/catalogue/moissons/<int:pk>/", views.run_status, name="run"),
    path("gestion/catalogue/moissons/<int:pk>/etat/", views.run_progress, name="run_progress"),
    path("gestion/catalogue/moissons/<int:pk>/fichier/", views.run_source, name="run_source"),
]
