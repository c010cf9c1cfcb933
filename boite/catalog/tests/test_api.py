"""The JSON API: /api/search and /api/records/{id}, scoped to the portal's network."""

import pytest

from boite.catalog.models import Record


def test_api_search_returns_count_results_and_facets(client, catalogue):
    data = client.get("/api/search", {"q": "polar", "category": ["livre", "presse"]}).json()
    assert data["count"] == 3
    titles = {r["title"] for r in data["results"]}
    assert titles == {"Le Polar de la falaise", "L'Hiver des corbeaux", "Polar Mag"}
    facets = {f["value"]: f["count"] for f in data["facets"]["category"]}
    assert facets == {"livre": 2, "presse": 1}
    assert set(data["facets"]) == {"category", "kind", "resource", "audience", "language"}


def test_api_search_sort_and_pages(client, catalogue):
    first = client.get("/api/search", {"sort": "title", "per_page": 5}).json()
    second = client.get("/api/search", {"sort": "title", "per_page": 5, "page": 2}).json()
    assert first["count"] == Record.objects.count()
    assert len(first["results"]) == 5
    assert not {r["id"] for r in first["results"]} & {r["id"] for r in second["results"]}


def test_api_record(client, catalogue):
    record = Record.objects.get(title="La Nuit du polar")
    data = client.get(f"/api/records/{record.pk}").json()
    assert data["title"] == "La Nuit du polar"
    assert data["resource"] == "mediatheque-numerique"
    assert data["access_url"].endswith(f"/acces/mediatheque-numerique/{record.pk}/")
    assert {"name": "Julien Lefort", "role": "réalisateur"} in data["contributors"]


@pytest.fixture
def calvados_record(make_resource, calvados, tmp_path):
    from boite.catalog.harvest.runner import harvest

    source = tmp_path / "x.csv"
    source.write_text("id;titre\n1;Polar réservé au Calvados\n", encoding="utf-8")
    resource = make_resource(source=source, networks=[calvados])
    harvest(resource)
    return resource.records.get()


def test_api_only_shows_the_networks_records(client, caen_client, calvados_record):
    assert client.get(f"/api/records/{calvados_record.pk}").status_code == 200
    assert caen_client.get(f"/api/records/{calvados_record.pk}").status_code == 404
    assert client.get("/api/search", {"q": "polar"}).json()["count"] == 1
    assert caen_client.get("/api/search", {"q": "polar"}).json()["count"] == 0


def test_api_unknown_record_is_404(client, catalogue):
    assert client.get("/api/records/999999").status_code == 404


def test_api_bad_parameters_are_refused(client, catalogue):
    assert client.get("/api/search", {"page": "abc"}).status_code == 422


def test_openapi_documents_the_catalogue(client, calvados):
    schema = client.get("/api/openapi.json").json()
    assert "/api/search" in schema["paths"]
    assert "/api/records/{record_id}" in schema["paths"]
