import json
import re

import pytest
from django.core import mail
from django.test import Client

from boite.networks.models import User
from boite.patrons.models import Patron, PatronEvent
from conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def bayeux_patron_client(patron_bayeux):
    client = Client(HTTP_HOST="localhost")
    client.post("/connexion/", {"identifier": patron_bayeux.email, "secret": PASSWORD})
    return client


def test_account_needs_a_patron_of_this_portal(client, login, librarian_bayeux, patron_caen):
    assert client.get("/compte/")["Location"].startswith("/connexion/")
    login(client, librarian_bayeux)
    assert client.get("/compte/").status_code == 302
    login(client, patron_caen.user)  # a Caen patron on the departmental portal
    assert client.get("/compte/").status_code == 302


def test_account_page_says_the_state_in_words(bayeux_patron_client, patron_bayeux):
    page = bayeux_patron_client.get("/compte/").content.decode()
    assert "Votre accès est valable jusqu" in page and "BAY0001" in page


def test_edit_details(bayeux_patron_client, patron_bayeux):
    response = bayeux_patron_client.post(
        "/compte/modifier/",
        {"first_name": "Lou", "last_name": "Hébert", "birth_date": "1990-05-17", "phone": "0231"},
    )
    assert response.status_code == 302
    patron_bayeux.refresh_from_db()
    assert patron_bayeux.user.first_name == "Lou" and patron_bayeux.phone == "0231"


def test_edit_refuses_a_future_birth_date(bayeux_patron_client, patron_bayeux):
    response = bayeux_patron_client.post(
        "/compte/modifier/",
        {"first_name": "Lou", "last_name": "H", "birth_date": "2999-01-01", "phone": ""},
    )
    assert "futur" in response.content.decode()
    patron_bayeux.refresh_from_db()
    assert patron_bayeux.user.first_name == "Louise"


def test_change_password(bayeux_patron_client, patron_bayeux):
    new = "un tout autre mot de passe"
    response = bayeux_patron_client.post(
        "/compte/mot-de-passe/",
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302
    patron_bayeux.user.refresh_from_db()
    assert patron_bayeux.user.check_password(new)
    assert bayeux_patron_client.get("/compte/").status_code == 200


def test_password_reset_by_email_within_the_portal(client, patron_bayeux, patron_caen, on_commit):
    with on_commit(execute=True):
        client.post("/mot-de-passe-oublie/", {"email": patron_bayeux.email})
        client.post("/mot-de-passe-oublie/", {"email": patron_caen.email})  # other portal
    assert len(mail.outbox) == 1
    link = re.search(r"http://localhost(/mot-de-passe-oublie/\S+/)", mail.outbox[0].body).group(1)
    response = client.get(link, follow=True)
    new = "encore un autre mot de passe"
    client.post(response.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    patron_bayeux.user.refresh_from_db()
    assert patron_bayeux.user.check_password(new)


def test_download_my_data(bayeux_patron_client, patron_bayeux):
    response = bayeux_patron_client.get("/compte/mes-donnees.json")
    assert response["Content-Disposition"].startswith("attachment")
    data = json.loads(response.content)
    assert data["email"] == patron_bayeux.email and data["card_number"] == "BAY0001"
    assert data["birth_date"] == "1990-05-17" and data["home_library"] == "Médiathèque de Bayeux"
    assert patron_bayeux.events.filter(kind=PatronEvent.Kind.EXPORTED).exists()


def test_delete_my_account_needs_confirmation(bayeux_patron_client, patron_bayeux):
    response = bayeux_patron_client.post(
        "/compte/supprimer/", {"password": "wrong", "confirm": "on"}
    )
    assert "pas votre mot de passe" in response.content.decode()
    patron_bayeux.refresh_from_db()
    assert patron_bayeux.user is not None


def test_delete_my_account_erases_personal_data(bayeux_patron_client, patron_bayeux):
    pseudonym, user_pk = patron_bayeux.pseudonym, patron_bayeux.user_id
    response = bayeux_patron_client.post(
        "/compte/supprimer/", {"password": PASSWORD, "confirm": "on"}
    )
    assert response.status_code == 302
    patron = Patron.objects.get(pseudonym=pseudonym)
    assert patron.user is None and patron.card_number == "" and patron.birth_date is None
    assert patron.state == Patron.State.ERASED and not patron.is_active_on()
    assert patron.search_text == ""
    assert not User.objects.filter(pk=user_pk).exists()
    assert bayeux_patron_client.get("/compte/").status_code == 302
    login = Client(HTTP_HOST="localhost").post(
        "/connexion/", {"identifier": "louise.bayeux@example.org", "secret": PASSWORD}
    )
    assert login.status_code == 200
