from datetime import date

import pytest

from boite.stats.rollup import rollup

pytestmark = pytest.mark.django_db
API = "/api/stats"


@pytest.fixture
def rolled_up(some_events):
    rollup(date(2026, 3, 1), date(2026, 4, 30))


def test_anonymous_gets_401(client):
    assert client.get(f"{API}/tables/events").status_code == 401


@pytest.mark.parametrize("persona", ["outsider", "editor", "finance_officer"])
def test_people_without_a_statistics_role_get_403(client, login, request, persona):
    login(client, request.getfixturevalue(persona))
    assert client.get(f"{API}/tables/events").status_code == 403
    assert client.get(f"{API}/networks").status_code == 403


def test_network_admin_reads_their_network(client, login, admin_calvados, rolled_up):
    login(client, admin_calvados)
    assert client.get(f"{API}/networks").json() == [
        {"slug": "boite-numerique", "name": "La Boîte numérique"}
    ]
    body = client.get(f"{API}/tables/resources?start=2026-03&end=2026-03").json()
    assert body["rows"] == [["cafeyn", 5, 5], ["vodeclic", 1, 1]]
    assert body["network"] == "boite-numerique"
    assert (body["first_month"], body["last_month"]) == ("2026-03", "2026-03")


def test_small_patron_counts_are_masked(client, login, admin_calvados, rolled_up):
    login(client, admin_calvados)
    body = client.get(f"{API}/tables/patrons?start=2026-03&end=2026-03").json()
    assert body["rows"][0][1:] == ["< 5", "< 5", 0]


def test_other_networks_admin_is_refused_that_network(client, login, admin_caen, rolled_up):
    login(client, admin_caen)
    response = client.get(f"{API}/tables/resources?network=boite-numerique")
    assert response.status_code == 400
    body = client.get(f"{API}/tables/resources?start=2026-03&end=2026-03").json()
    assert body["rows"] == [["cafeyn", 1, 1]]


def test_library_staff_read_their_library_only(client, login, librarian_lisieux, rolled_up):
    login(client, librarian_lisieux)
    body = client.get(f"{API}/tables/resources?start=2026-03&end=2026-03").json()
    assert body["rows"] == [["vodeclic", 1, 1]]
    assert client.get(f"{API}/tables/counter").status_code == 404


def test_unknown_table_and_bad_period(client, login, admin_calvados):
    login(client, admin_calvados)
    assert client.get(f"{API}/tables/nope").status_code == 404
    assert client.get(f"{API}/tables/events?start=2026-13").status_code == 400
    assert "events" in client.get(f"{API}/tables").json()
