from django.db import OperationalError
from django.test import Client


def test_each_host_serves_its_own_network(client, caen_client):
    assert "La Boîte numérique" in client.get("/").content.decode()
    page = caen_client.get("/").content.decode()
    assert "Réseau des bibliothèques de Caen la Mer" in page
    assert "La Boîte numérique" not in page


def test_host_names_are_matched_without_port_or_case(calvados):
    assert Client(HTTP_HOST="LOCALHOST:8000").get("/").status_code == 200


def test_an_unknown_host_gets_a_clear_404_page(calvados):
    response = Client(HTTP_HOST="inconnu.localhost").get("/")
    assert response.status_code == 404
    assert "Portail introuvable" in response.content.decode()
    assert "inconnu.localhost" in response.content.decode()


def test_an_inactive_network_is_not_served(calvados):
    calvados.is_active = False
    calvados.save()
    assert Client(HTTP_HOST="localhost").get("/").status_code == 404


def test_a_forged_host_is_refused_before_any_lookup(calvados):
    assert Client(HTTP_HOST="evil.example").get("/").status_code == 400


def test_health_check_answers_on_any_host_with_the_database_up(db):
    response = Client(HTTP_HOST="127.0.0.1").get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


class _UnreachableDatabase:
    def cursor(self):
        raise OperationalError("connection refused")


def test_health_check_says_503_when_the_database_is_down(db, monkeypatch):
    monkeypatch.setattr("boite.views.connection", _UnreachableDatabase())
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"
