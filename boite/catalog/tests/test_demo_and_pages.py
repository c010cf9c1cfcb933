"""The demo catalogue and the portal pages: only what the network may use is visible."""

import io

import pytest

from boite.catalog import demo
from boite.catalog.models import Provider, Record, Resource


def test_demo_loads_every_provider_and_harvests_every_fixture(catalogue, calvados, caen_network):
    names = set(Provider.objects.values_list("name", flat=True))
    for expected in [
        "Médiathèque Numérique",
        "Cafeyn",
        "Philharmonie de Paris / Muniki",
        "Skilleos",
        "Vodeclic",
        "Toutapprendre",
        "diGame",
        "Ma Petite Médiathèque",
        "Dilicom PNB",
    ]:
        assert expected in names
    for resource in catalogue.values():
        assert set(resource.networks.all()) == {calvados, caen_network}
        assert resource.records.count() >= 4, resource.slug
        assert resource.runs.get().status == "succeeded"


def test_demo_reloaded_changes_nothing(catalogue):
    before = list(Record.objects.order_by("pk").values_list("pk", "updated_at"))
    demo.load(io.StringIO())
    assert list(Record.objects.order_by("pk").values_list("pk", "updated_at")) == before
    run = catalogue["cafeyn"].runs.order_by("-pk").first()
    assert (run.created, run.updated, run.unchanged) == (0, 0, 8)


def test_category_page_lists_the_resources_of_the_network(client, catalogue):
    page = client.get("/categories/formation/").content.decode()
    assert "Toutapprendre" in page
    assert "Vodeclic" in page
    assert "Cafeyn" not in page


def test_unknown_category_is_404(client, calvados):
    assert client.get("/categories/inconnue/").status_code == 404


@pytest.fixture
def calvados_only(make_resource, calvados):
    resource = make_resource(
        slug="reservee-calvados", name="Ressource réservée au Calvados", category="cinema"
    )
    Record.objects.create(resource=resource, provider_id="x1", title="Film réservé")
    return resource


def test_a_resource_of_another_network_is_invisible(client, caen_client, calvados_only):
    record = calvados_only.records.get()
    assert "réservée" in client.get("/categories/cinema/").content.decode()
    assert "réservée" not in caen_client.get("/categories/cinema/").content.decode()
    assert client.get(calvados_only.get_absolute_url()).status_code == 200
    assert caen_client.get(calvados_only.get_absolute_url()).status_code == 404
    assert client.get(record.get_absolute_url()).status_code == 200
    assert caen_client.get(record.get_absolute_url()).status_code == 404


def test_a_resource_out_of_service_is_invisible(client, calvados_only):
    calvados_only.in_service = False
    calvados_only.save()
    assert client.get(calvados_only.get_absolute_url()).status_code == 404


def test_resource_page_shows_how_to_use_and_access(client, catalogue):
    resource = catalogue["ma-petite-mediatheque"]
    page = client.get(resource.get_absolute_url()).content.decode()
    assert "Ma Petite Médiathèque" in page
    assert "de 3 à 12 ans" in page
    assert "Sur un ordinateur" in page
    assert 'href="/acces/ma-petite-mediatheque/"' in page
    assert resource.get_access_url() == "/acces/ma-petite-mediatheque/"


def test_record_page_has_cover_contributors_access_and_similar_titles(client, catalogue):
    record = Record.objects.get(title="La Nuit du polar")
    page = client.get(record.get_absolute_url()).content.decode()
    assert "images.mediatheque-numerique.example/mn-1002.jpg" in page
    assert "Camille Roussel" in page
    assert f'href="/acces/mediatheque-numerique/{record.pk}/"' in page
    assert "Titres proches" in page
    assert "Le Polar de la falaise" in page or "Polar Mag" in page


def test_withdrawn_record_is_gone(client, catalogue):
    record = Record.objects.get(title="La Nuit du polar")
    record.withdrawn = True
    record.save()
    assert client.get(record.get_absolute_url()).status_code == 404


def test_resources_are_listed_for_both_portals(client, caen_client, catalogue):
    for browser in (client, caen_client):
        assert "Médiathèque Numérique" in browser.get("/categories/cinema/").content.decode()
    assert Resource.objects.count() == 10
