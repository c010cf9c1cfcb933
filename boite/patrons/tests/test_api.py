import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_patron_reads_own_state(login, patron_bayeux):
    client = login(Client(HTTP_HOST="localhost"), patron_bayeux.user)
    data = client.get("/api/patrons/me").json()
    assert data["is_active"] and data["reason"] is None
    assert data["pseudonym"] == patron_bayeux.pseudonym
    assert data["expires_on"] == patron_bayeux.expires_on.isoformat()


def test_expired_patron_reads_the_reason(login, patron_expired):
    client = login(Client(HTTP_HOST="localhost"), patron_expired.user)
    data = client.get("/api/patrons/me").json()
    assert not data["is_active"] and "expiré" in data["reason"]


def test_me_needs_a_patron_of_this_portal(login, calvados, patron_caen):
    assert Client(HTTP_HOST="localhost").get("/api/patrons/me").status_code == 401
    client = login(Client(HTTP_HOST="localhost"), patron_caen.user)
    assert client.get("/api/patrons/me").status_code == 404


def test_librarian_lists_own_patrons(login, librarian_bayeux, patron_bayeux, patron_caen):
    client = login(Client(HTTP_HOST="localhost"), librarian_bayeux)
    rows = client.get("/api/patrons/").json()
    assert [r["card_number"] for r in rows] == ["BAY0001"]


@pytest.mark.parametrize("who", ["librarian_lisieux", "admin_caen"])
def test_other_staff_see_nothing_through_the_api(request, login, who, patron_bayeux):
    client = login(Client(HTTP_HOST="localhost"), request.getfixturevalue(who))
    response = client.get("/api/patrons/")
    assert response.status_code == 200 and response.json() == []


def test_outsider_and_anonymous_are_refused_by_the_api(login, outsider, patron_bayeux):
    assert Client(HTTP_HOST="localhost").get("/api/patrons/").status_code == 401
    client = login(Client(HTTP_HOST="localhost"), outsider)
    assert client.get("/api/patrons/").status_code == 403
    assert client.get("/api/patrons/me").status_code == 404
