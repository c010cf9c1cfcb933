"""A stored secret belongs to the address it goes to (boite.lib.crypto.SecretsFollowAddress).

The attack: an administrator who may edit a shared harvest source, distributor account,
SUSHI endpoint or connector points its address at a server of their own and leaves the
secret box empty, hoping the stored secret follows. Every such form refuses, before
saving, until the secret is typed again or its « clear » box is ticked.
"""

from __future__ import annotations

import html

import pytest

from boite.access.models import Connector
from boite.catalog.models import Provider, Resource
from boite.lending.models import DistributorAccount
from boite.stats.models import ProviderAccount
from boite.tests.admin_forms import admin_form_data as _form_data

pytestmark = pytest.mark.django_db

REFUSAL = (
    "L'adresse a changé : le secret enregistré sera effacé. "
    "Saisissez-le à nouveau ou cochez « Effacer le secret »"
)


def _text(response) -> str:
    return html.unescape(response.content.decode())


def _refused(response) -> bool:
    return response.status_code == 200 and REFUSAL in _text(response)


@pytest.fixture
def resource(calvados) -> Resource:
    provider = Provider.objects.create(name="Fournisseur", slug="fournisseur")
    resource = Resource.objects.create(
        provider=provider,
        name="Presse",
        slug="presse",
        category="presse",
        harvest_format="onix",
        harvest_source="https://provider.example/onix.xml",
        harvest_auth="basic",
        harvest_username="bib",
        harvest_secret="clair-moisson",
        owner=calvados,
    )
    resource.networks.add(calvados)
    return resource


def test_changing_a_harvest_source_without_the_secret_is_refused(
    client, login, admin_calvados, resource
):
    login(client, admin_calvados)
    url = f"/admin/catalog/resource/{resource.pk}/change/"
    data = _form_data(client.get(url))
    response = client.post(url, {**data, "harvest_source": "https://attacker.example/x.xml"})
    assert _refused(response)
    resource.refresh_from_db()
    assert resource.harvest_source == "https://provider.example/onix.xml"
    assert resource.harvest_secret == "clair-moisson"
    assert "clair-moisson" not in response.content.decode()


def test_changing_the_harvest_account_without_the_secret_is_refused(
    client, login, admin_calvados, resource
):
    login(client, admin_calvados)
    url = f"/admin/catalog/resource/{resource.pk}/change/"
    data = _form_data(client.get(url))
    assert _refused(client.post(url, {**data, "harvest_username": "autre"}))
    resource.refresh_from_db()
    assert resource.harvest_username == "bib"


def test_a_new_source_with_the_secret_typed_again_or_cleared_is_saved(
    client, login, admin_calvados, resource
):
    login(client, admin_calvados)
    url = f"/admin/catalog/resource/{resource.pk}/change/"
    data = _form_data(client.get(url))
    moved = {**data, "harvest_source": "https://cdn.provider.example/onix.xml"}
    assert client.post(url, {**moved, "harvest_secret": "nouveau"}).status_code == 302
    resource.refresh_from_db()
    assert resource.harvest_source == "https://cdn.provider.example/onix.xml"
    assert resource.harvest_secret == "nouveau"

    again = {**data, "harvest_source": "https://elsewhere.example/onix.xml"}
    assert client.post(url, {**again, "harvest_secret_clear": "on"}).status_code == 302
    resource.refresh_from_db()
    assert resource.harvest_source == "https://elsewhere.example/onix.xml"
    assert resource.harvest_secret == ""


def test_other_changes_and_sources_without_a_secret_are_not_questioned(
    client, login, admin_calvados, resource
):
    login(client, admin_calvados)
    url = f"/admin/catalog/resource/{resource.pk}/change/"
    data = _form_data(client.get(url))
    assert client.post(url, {**data, "description": "Revue"}).status_code == 302
    resource.refresh_from_db()
    assert resource.harvest_secret == "clair-moisson"
    Resource.objects.filter(pk=resource.pk).update(harvest_secret="")
    data = _form_data(client.get(url))
    assert client.post(url, {**data, "harvest_source": "https://b.example/"}).status_code == 302


def test_the_other_network_and_an_outsider_cannot_reach_the_form(
    client, login, admin_caen, outsider, resource
):
    url = f"/admin/catalog/resource/{resource.pk}/change/"
    for persona in (admin_caen, outsider):
        login(client, persona)
        assert client.get(url).status_code in (302, 403)
        client.post(url, {"harvest_source": "https://attacker.example/"})
    resource.refresh_from_db()
    assert resource.harvest_source == "https://provider.example/onix.xml"


# -- distributor account ---------------------------------------------------------------------


@pytest.fixture
def account(calvados) -> DistributorAccount:
    account = DistributorAccount.objects.create(
        name="ODL",
        kind="odl",
        base_url="https://odl.example/feed",
        login="bdc",
        password="clair-odl",
        owner=calvados,
    )
    account.networks.set([calvados])
    return account


@pytest.mark.parametrize(
    "change", [{"base_url": "https://attacker.example/feed"}, {"login": "autre"}]
)
def test_changing_a_distributor_address_or_login_without_the_password_is_refused(
    client, login, admin_calvados, account, change
):
    login(client, admin_calvados)
    url = f"/admin/lending/distributoraccount/{account.pk}/change/"
    data = _form_data(client.get(url))
    assert _refused(client.post(url, {**data, **change}))
    account.refresh_from_db()
    assert (account.base_url, account.login, account.password) == (
        "https://odl.example/feed",
        "bdc",
        "clair-odl",
    )
    assert client.post(url, {**data, **change, "password": "neuf"}).status_code == 302
    account.refresh_from_db()
    assert account.password == "neuf"


# -- SUSHI ------------------------------------------------------------------------------------


@pytest.fixture
def sushi(calvados) -> ProviderAccount:
    return ProviderAccount.objects.create(
        network=calvados,
        provider="cafeyn",
        name="Cafeyn",
        customer_id="BDC-14",
        sushi_url="https://sushi.example/r5/",
        requestor_id="req-1",
        api_key="clair-sushi",
    )


def test_the_sushi_key_is_encrypted_and_write_only(client, login, admin_calvados, sushi):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT api_key FROM stats_provideraccount WHERE id = %s", [sushi.pk])
        raw = cursor.fetchone()[0]
    assert raw.startswith("gAAAAA") and "clair-sushi" not in raw
    login(client, admin_calvados)
    url = f"/admin/stats/provideraccount/{sushi.pk}/change/"
    page = client.get(url)
    assert "clair-sushi" not in page.content.decode()
    assert 'name="api_key_clear"' in page.content.decode()
    data = _form_data(page)
    assert client.post(url, {**data, "name": "Cafeyn presse"}).status_code == 302
    sushi.refresh_from_db()
    assert sushi.api_key == "clair-sushi"


@pytest.mark.parametrize(
    "change", [{"sushi_url": "https://attacker.example/r5/"}, {"requestor_id": "req-2"}]
)
def test_changing_a_sushi_endpoint_without_the_key_is_refused(
    client, login, admin_calvados, sushi, change
):
    login(client, admin_calvados)
    url = f"/admin/stats/provideraccount/{sushi.pk}/change/"
    data = _form_data(client.get(url))
    assert _refused(client.post(url, {**data, **change}))
    sushi.refresh_from_db()
    assert (sushi.sushi_url, sushi.api_key) == ("https://sushi.example/r5/", "clair-sushi")
    assert client.post(url, {**data, **change, "api_key_clear": "on"}).status_code == 302
    sushi.refresh_from_db()
    assert sushi.api_key == ""


# -- connector ------------------------------------------------------------------------------

SIGNED = {
    "url": "https://provider.example/sso",
    "params": [{"name": "h", "parts": ["card_number", "key"], "hash": "sha256"}],
}


@pytest.fixture
def connector(calvados) -> Connector:
    connector = Connector(network=calvados, name="Lien", kind="signed_link", settings=SIGNED)
    connector.full_clean()
    connector.set_secret("key", "clair-cle")
    connector.save()
    return connector


def _connector_form(calvados, settings: str, **extra) -> dict:
    import json

    return {
        "network": calvados.pk,
        "name": "Lien",
        "kind": "signed_link",
        "is_active": "on",
        "preset": "",
        "settings": settings if isinstance(settings, str) else json.dumps(settings),
        "secret_key": "",
        "secret_client_secret": "",
        **extra,
    }


def test_changing_a_connector_address_without_the_key_is_refused(
    client, login, admin_calvados, calvados, connector
):
    login(client, admin_calvados)
    url = f"/admin/access/connector/{connector.pk}/change/"
    moved = {**SIGNED, "url": "https://attacker.example/sso"}
    response = client.post(url, _connector_form(calvados, moved))
    assert response.status_code == 200
    assert (
        "L'adresse a changé : le secret enregistré sera effacé. Saisissez-le à nouveau ou "
        "cochez « Effacer : clé secrète partagée »" in _text(response)
    )
    connector.refresh_from_db()
    assert connector.settings["url"] == "https://provider.example/sso"
    assert connector.secret("key") == "clair-cle"
    # Same address, other change: saved, key kept.
    assert client.post(url, _connector_form(calvados, SIGNED, name="Lien 2")).status_code == 302
    connector.refresh_from_db()
    assert connector.secret("key") == "clair-cle"
    # Moved with the key cleared: saved, key gone.
    cleared = _connector_form(calvados, moved, clear_key="on")
    assert client.post(url, cleared).status_code == 302
    connector.refresh_from_db()
    assert connector.settings["url"] == "https://attacker.example/sso"
    assert not connector.has_secret("key")


def test_a_signed_link_sending_the_key_in_clear_is_refused(client, login, admin_calvados, calvados):
    login(client, admin_calvados)
    recipe = {"url": "https://provider.example/sso", "params": [{"name": "k", "parts": ["key"]}]}
    response = client.post(
        "/admin/access/connector/add/", _connector_form(calvados, recipe, secret_key="k3y")
    )
    assert response.status_code == 200
    assert (
        "Le paramètre « k » enverrait la clé partagée en clair : la clé ne peut servir "
        "qu'à l'intérieur d'une empreinte (hash)." in _text(response)
    )
    assert not Connector.objects.exists()
