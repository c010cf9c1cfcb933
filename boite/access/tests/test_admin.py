"""Connectors in the back office: network administrators only; secrets write-only."""

import logging

import pytest
from django.contrib.admin.models import LogEntry

from boite.access.models import Connector

SECRET = "Tr3s-S3cret-Provider-Key-9876"
ADD = "/admin/access/connector/add/"


def _form(network, **extra) -> dict:
    data = {
        "network": network.pk,
        "name": "Médiathèque Numérique",
        "kind": "signed_link",
        "is_active": "on",
        "preset": "",
        "settings": "{}",
        "secret_key": "",
        "secret_client_secret": "",
    }
    data.update(extra)
    return data


@pytest.fixture
def connector(calvados) -> Connector:
    connector = Connector(
        network=calvados,
        name="Vodeclic",
        kind="open_link",
        settings={"url": "https://provider.example/"},
    )
    connector.full_clean()
    connector.set_secret("key", SECRET)
    connector.save()
    return connector


def test_a_network_administrator_adds_a_signed_link_from_a_preset(
    client, login, admin_calvados, calvados, caplog
):
    login(client, admin_calvados)
    assert client.get(ADD).status_code == 200
    with caplog.at_level(logging.DEBUG):
        response = client.post(
            ADD, _form(calvados, preset="mediatheque_numerique", secret_key=SECRET)
        )
    assert response.status_code == 302
    connector = Connector.objects.get()
    assert connector.secret("key") == SECRET
    assert connector.settings["params"][-2]["hash"] == "sha256"
    assert SECRET not in caplog.text
    assert all(SECRET not in entry.change_message for entry in LogEntry.objects.all())


def test_the_secret_is_never_in_the_page_source(client, login, admin_calvados, connector):
    login(client, admin_calvados)
    page = client.get(f"/admin/access/connector/{connector.pk}/change/").content.decode()
    assert SECRET not in page
    assert "Un secret est enregistré" in page
    listing = client.get("/admin/access/connector/").content.decode()
    assert SECRET not in listing


def test_saving_without_typing_keeps_the_secret_and_typing_replaces_it(
    client, login, admin_calvados, calvados, connector
):
    login(client, admin_calvados)
    url = f"/admin/access/connector/{connector.pk}/change/"
    settings = '{"url": "https://provider.example/"}'
    form = _form(calvados, name="Vodeclic", kind="open_link", settings=settings)
    assert client.post(url, form).status_code == 302
    connector.refresh_from_db()
    assert connector.secret("key") == SECRET
    assert client.post(url, {**form, "secret_key": "new-key"}).status_code == 302
    connector.refresh_from_db()
    assert connector.secret("key") == "new-key"
    assert client.post(url, {**form, "clear_key": "on"}).status_code == 302
    connector.refresh_from_db()
    assert not connector.has_secret("key")
    assert "Aucun secret" in client.get(url).content.decode()


def test_bad_settings_get_a_clear_message_and_change_nothing(
    client, login, admin_calvados, calvados, connector
):
    login(client, admin_calvados)
    url = f"/admin/access/connector/{connector.pk}/change/"
    bad = '{"url": "https://x.example/", "params": [{"name": "id", "parts": ["password"]}]}'
    response = client.post(url, _form(calvados, settings=bad, secret_key="leaked?"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "password" in page and "Partie inconnue" in page
    assert "leaked?" not in page
    connector.refresh_from_db()
    assert connector.kind == "open_link"
    assert connector.secret("key") == SECRET


def test_an_oidc_connector_gets_its_client(client, login, admin_calvados, calvados):
    login(client, admin_calvados)
    settings = (
        '{"url": "https://p.example/", "redirect_uris": ["https://p.example/cb"],'
        ' "claims": ["email"]}'
    )
    form = _form(calvados, kind="oidc", settings=settings, secret_client_secret=SECRET)
    assert client.post(ADD, form).status_code == 302
    connector = Connector.objects.get()
    app = connector.oauth_application
    assert app.redirect_uris == "https://p.example/cb"
    assert app.client_secret != SECRET  # only its hash is stored by the toolkit
    page = client.get(f"/admin/access/connector/{connector.pk}/change/").content.decode()
    assert app.client_id in page
    assert SECRET not in page


@pytest.mark.parametrize("persona", ["librarian_bayeux", "librarian_lisieux", "outsider"])
def test_staff_without_the_role_cannot_see_or_change_connectors(
    request, client, login, connector, persona
):
    login(client, request.getfixturevalue(persona))
    url = f"/admin/access/connector/{connector.pk}/change/"
    for page in ("/admin/access/connector/", url, ADD):
        assert client.get(page).status_code in (302, 403)
    client.post(url, {"name": "Piraté"})
    connector.refresh_from_db()
    assert connector.name == "Vodeclic"


def test_anonymous_visitors_go_to_the_login_page(client, connector):
    response = client.get("/admin/access/connector/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_the_administrator_of_another_network_cannot_see_or_move_it(
    caen_client, login, admin_caen, connector, caen_network, calvados
):
    login(caen_client, admin_caen)
    assert "Vodeclic" not in caen_client.get("/admin/access/connector/").content.decode()
    url = f"/admin/access/connector/{connector.pk}/change/"
    assert caen_client.get(url).status_code in (302, 403, 404)
    caen_client.post(url, _form(caen_network, name="Piraté", kind="open_link"))
    connector.refresh_from_db()
    assert connector.name == "Vodeclic"
    # …and cannot create one in the departmental network either.
    settings = '{"url": "https://provider.example/"}'
    response = caen_client.post(ADD, _form(calvados, kind="open_link", settings=settings))
    assert response.status_code == 200
    assert Connector.objects.count() == 1


def test_oauth_clients_and_tokens_are_not_in_the_back_office(client, login, admin_calvados):
    login(client, admin_calvados)
    assert "oauth2_provider" not in client.get("/admin/").content.decode()
    for model in ("application", "accesstoken", "grant", "idtoken", "refreshtoken"):
        assert client.get(f"/admin/oauth2_provider/{model}/").status_code == 404
