"""The yearly report: a page and an ODT per year and network, the consortium for
superusers; figures worked by hand from the `year_of_use` fixture."""

import io
import zipfile
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from boite.finance.models import Agreement, Contract

pytestmark = pytest.mark.django_db
URL = "/gestion/statistiques/bilan/2026/"


@pytest.fixture
def root(db):
    return get_user_model().objects.create_superuser("root", "root@example.org", "x")


def _table(response, key):
    return next(t for t in response.context["report"].tables if t.key == key)


@pytest.fixture
def contract(year_of_use, resources, department, urban_community):
    agreement = Agreement.create(
        title="Convention",
        purpose="Ressources en ligne",
        parties=[department, urban_community],
        start=date(2026, 1, 1),
        end=date(2028, 12, 31),
    )
    return Contract.objects.create(
        year=2026,
        resource=resources["cafeyn"],
        offer="Cafeyn",
        supplier="Cafeyn SAS",
        reference="M-1",
        start=date(2026, 1, 1),
        end=date(2026, 12, 31),
        yearly_cost=Decimal("1200.00"),
        ordering_party=department,
        agreement=agreement,
    )


def test_the_report_of_a_network(client, login, admin_calvados, contract, calvados):
    login(client, admin_calvados)
    response = client.get(URL)
    assert response.status_code == 200
    assert response.context["report"].network == calvados
    usage = _table(response, "usage")
    # Calvados: Cafeyn opened 5 times by patrons 1 and 2, refused once; PNB: 2 loans by 1.
    assert usage.rows == [
        ["Cafeyn — la presse", 5, 2, 0, 1],
        ["Livres numériques (PNB)", 0, 1, 2, 0],
    ]
    key = {row[0]: row[1:] for row in _table(response, "key-figures").rows}
    assert key["Emprunts"] == [2]
    assert key["Usagers actifs (au moins une fois dans l'année)"] == [2]
    membership = _table(response, "membership")
    assert membership.rows == [["La Boîte numérique", 1, 1]]  # Bayeux, in Bayeux
    titles = _table(response, "loans-titles")
    assert sum(row[2] for row in titles.rows) == 2
    # Cost per use is a consortium figure: 1 200 € over the 6 openings of both networks.
    cost = _table(response, "cost-per-use")
    assert cost.rows == [
        ["Cafeyn", Decimal("1200.00"), 6, 3, 0, Decimal("200.00"), Decimal("400.00"), None]
    ]
    page = response.content.decode()
    assert "<caption>" in page and '<th scope="col">' in page
    assert "200,00" in page


def test_the_other_network_is_refused(client, login, admin_calvados, admin_caen, year_of_use):
    login(client, admin_calvados)
    assert client.get(URL + "?network=caen-la-mer").status_code == 404
    login(client, admin_caen)
    response = client.get(URL)
    assert _table(response, "usage").rows == [
        ["Cafeyn — la presse", 1, 1, 0, 0],
        ["Livres numériques (PNB)", 0, 1, 1, 0],
    ]
    assert client.get(URL + "?network=boite-numerique").status_code == 404
    assert (
        client.get("/gestion/statistiques/bilan/2026.odt?network=boite-numerique").status_code
        == 404
    )


@pytest.mark.parametrize("persona", ["librarian_bayeux", "outsider", "finance_officer", "editor"])
def test_others_are_refused(client, login, request, persona):
    login(client, request.getfixturevalue(persona))
    assert client.get(URL).status_code == 403
    assert client.get("/gestion/statistiques/bilan/2026.odt").status_code == 403


def test_anonymous_is_sent_to_login(client):
    for url in (URL, "/gestion/statistiques/bilan/2026.odt"):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_years_outside_the_range(client, login, admin_calvados):
    login(client, admin_calvados)
    assert client.get("/gestion/statistiques/bilan/2010/").status_code == 404
    assert client.get("/gestion/statistiques/bilan/2999/").status_code == 404


def test_the_consortium_view(client, login, root, year_of_use, calvados, caen_network):
    login(client, root)
    response = client.get(URL)
    assert response.context["report"].network is None
    key = _table(response, "key-figures")
    assert key.headers[1:] == [
        "La Boîte numérique",
        "Réseau des bibliothèques de Caen la Mer",
        "Total",
    ]
    loans = next(row for row in key.rows if row[0] == "Emprunts")
    assert loans[1:] == [2, 1, 3]
    assert _table(response, "usage").rows[0] == ["Cafeyn — la presse", 6, 3, 0, 1]
    one = client.get(URL + "?network=caen-la-mer")
    assert one.context["report"].network == caen_network


def test_the_odt(client, login, admin_calvados, contract):
    login(client, admin_calvados)
    response = client.get("/gestion/statistiques/bilan/2026.odt")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.oasis.opendocument.text"
    assert "resultats-2026-boite-numerique.odt" in response["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(response.content)) as odt:
        content = odt.read("content.xml").decode()
    assert "Résultats 2026 — La Boîte numérique" in content
    assert "Cafeyn — la presse" in content and "Usage par ressource" in content
