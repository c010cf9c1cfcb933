from django.urls import path

from boite.catalog import views

app_name = "catalog"

urlpatterns = [
    path("categories/<slug:slug>/", views.category, name="category"),
    path("recherche/", views.search, name="search"),
]
