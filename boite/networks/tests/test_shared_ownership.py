"""A shared thing has one owner network: the other network sees it read-only and keeps
its own settings of it (DESIGN.md, « Trust boundary »). Through complete HTTP requests
on the back office, the database checked after each refused attempt."""

from __future__ import annotations

import pytest
from django.urls import reverse

from boite.access.models import Connector
from boite.catalog.models import NetworkResource, Provider, Record, Resource
from boite.lending.models import DistributorAccount, Licence
from boite.networks.access import staff_access
from boite.networks.models import User
from boite.tests.admin_forms import admin_form_data

pytestmark = pytest.mark.django_db

NOTICE = (
    "Cette ressource appartient au réseau « La Boîte numérique » : vous pouvez régler sa "
    "visibilité et son ordre sur votre portail."
)


@pytest.fixture
def superuser(db) -> User:
    return User.objects.create_superuser("consortium", "tech@example.org", "pw-consortium-1")


@pytest.fixture
def provider(calvados) -> Provider:
    return Provider.objects.create(
        name="Cafeyn", slug="cafeyn", website="https://www.cafeyn.co/", owner=calvados
    )


@pytest.fixture
def shared(provider, calvados, caen_network) -> Resource:
    """Cafeyn, owned by the departmental network, open to both."""
    resource = Resource.objects.create(
        provider=provider,
        owner=calvados,
        name="Cafeyn — la presse",
        slug="cafeyn",
        category="presse",
        description="La presse en ligne.",
        harvest_format="csv",
        harvest_source="https://flux.cafeyn.example/catalogue.csv",
        harvest_secret="secret-du-flux",
    )
    resource.networks.add(calvados, caen_network)
    return resource


@pytest.fixture
def account(calvados, caen_network) -> DistributorAccount:
    account = DistributorAccount.objects.create(
        name="Dilicom PNB",
        kind="dilicom",
        base_url="https://pnb.dilicom.example/v3/",
        login="3025594195400",
        password="mot-de-passe-pnb",
        owner=calvados,
    )
    account.networks.set([calvados, caen_network])
    return account


def _change(model, obj) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[obj.pk])


def _delete(model, obj) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_delete", args=[obj.pk])


def _row(resource, network) -> NetworkResource:
    return NetworkResource.objects.get(resource=resource, network=network)


# -- the rule ---------------------------------------------------------------------------


def test_only_the_owner_network_and_superusers_may_change_a_shared_row(
    shared, admin_calvados, admin_caen, librarian_bayeux, outsider, superuser, caen_network
):
    assert staff_access(admin_calvados).may_change_shared(shared)
    assert staff_access(superuser).may_change_shared(shared)
    for stranger in (admin_caen, librarian_bayeux, outsider):
        assert not staff_access(stranger).may_change_shared(shared)
    shared.owner = None  # the consortium's
    assert not staff_access(admin_calvados).may_change_shared(shared)
    assert staff_access(superuser).may_change_shared(shared)
    assert list(Resource.objects.owned_by(staff_access(admin_caen))) == []


# -- resources: read-only for the other network, its own settings editable ---------------


def test_the_other_network_sees_the_resource_read_only_with_whose_it_is(
    client, login, admin_caen, shared, calvados, caen_network
):
    login(client, admin_caen)
    page = client.get(_change(Resource, shared))
    assert page.status_code == 200
    html = page.content.decode()
    assert NOTICE in html
    assert 'name="name"' not in html and 'name="harvest_source"' not in html
    assert "secret-du-flux" not in html  # a read-only secret shows only its state
    # Its own settings, and only its own: the departmental row is not in the formset.
    rows = page.context["inline_admin_formsets"][0].formset.queryset
    assert list(rows) == [_row(shared, caen_network)]
    assert "Harvest this resource" not in html and "Moissonner cette ressource" not in html


def test_the_other_network_cannot_rename_repoint_or_give_away_but_sets_its_portal(
    client, login, admin_caen, shared, calvados, caen_network
):
    login(client, admin_caen)
    url = _change(Resource, shared)
    data = admin_form_data(client.get(url))
    data.update(
        {
            "name": "Piraté",
            "slug": "pirate",
            "harvest_source": "https://attaquant.example/flux.csv",
            "harvest_secret": "autre",
            "owner": str(caen_network.pk),
            "description": "Texte remplacé",
            "portal_settings-0-position": "5",
        }
    )
    data.pop("portal_settings-0-shown", None)  # untick « shown » on Caen's portal
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    shared.refresh_from_db()
    assert shared.name == "Cafeyn — la presse" and shared.slug == "cafeyn"
    assert shared.harvest_source == "https://flux.cafeyn.example/catalogue.csv"
    assert shared.harvest_secret == "secret-du-flux"
    assert shared.description == "La presse en ligne."
    assert shared.owner == calvados
    caen_row, calvados_row = _row(shared, caen_network), _row(shared, calvados)
    assert (caen_row.shown, caen_row.position) == (False, 5)
    assert (calvados_row.shown, calvados_row.position) == (True, 0)
    assert shared not in Resource.objects.open_to(caen_network)
    assert shared in Resource.objects.open_to(calvados)


def test_a_forged_row_of_the_other_network_is_refused(
    client, login, admin_caen, shared, calvados, caen_network
):
    login(client, admin_caen)
    url = _change(Resource, shared)
    data = admin_form_data(client.get(url))
    data["portal_settings-0-id"] = str(_row(shared, calvados).pk)
    data.pop("portal_settings-0-shown", None)
    response = client.post(url, data)
    assert response.status_code == 200
    refusal = "Ces réglages appartiennent au portail d&#x27;un autre réseau."
    assert refusal in response.content.decode()
    assert _row(shared, calvados).shown and _row(shared, caen_network).shown


def test_the_other_network_cannot_delete_the_resource(client, login, admin_caen, shared):
    login(client, admin_caen)
    assert client.get(_delete(Resource, shared)).status_code == 403
    assert client.post(_delete(Resource, shared), {"post": "yes"}).status_code == 403
    assert Resource.objects.filter(pk=shared.pk).exists()


def test_the_other_network_cannot_harvest_or_edit_records(
    client, login, admin_caen, shared, caen_network
):
    record = Record.objects.create(resource=shared, provider_id="c1", title="Le Monde")
    login(client, admin_caen)
    response = client.post(reverse("catalog:harvest_start", args=[shared.slug]), {"mode": "full"})
    assert response.status_code == 404
    assert not shared.runs.exists()
    response = client.post(_change(Record, record), {"title": "Faux", "resource": shared.pk})
    assert response.status_code == 403
    record.refresh_from_db()
    assert record.title == "Le Monde"


def test_the_owner_changes_the_resource_and_not_the_other_networks_settings(
    client, login, admin_calvados, shared, calvados, caen_network
):
    _row(shared, caen_network).__class__.objects.filter(network=caen_network).update(position=7)
    login(client, admin_calvados)
    url = _change(Resource, shared)
    page = client.get(url)
    assert NOTICE not in page.content.decode()
    assert list(page.context["inline_admin_formsets"][0].formset.queryset) == [
        _row(shared, calvados)
    ]
    data = admin_form_data(page)
    data.update({"name": "Cafeyn", "portal_settings-0-position": "2"})
    assert client.post(url, data).status_code == 302
    shared.refresh_from_db()
    assert shared.name == "Cafeyn" and shared.harvest_secret == "secret-du-flux"
    assert _row(shared, calvados).position == 2
    assert _row(shared, caen_network).position == 7
    assert set(shared.networks.all()) == {calvados, caen_network}


def test_a_new_resource_belongs_to_its_creators_network_and_opens_there(
    client, login, admin_caen, provider, calvados, caen_network
):
    login(client, admin_caen)
    url = reverse("admin:catalog_resource_add")
    form = {
        "provider": provider.pk,
        "name": "Toutapprendre",
        "slug": "toutapprendre",
        "category": "formation",
        "audience": "all",
        "harvest_auth": "none",
        "harvest_schedule": "manual",
        "harvest_options": "{}",
        "in_service": "on",
        "portal_settings-TOTAL_FORMS": "0",
        "portal_settings-INITIAL_FORMS": "0",
    }
    # Giving it to the other network is refused, with a message, and creates nothing.
    refused = client.post(url, {**form, "owner": calvados.pk})
    assert refused.status_code == 200 and refused.context["adminform"].form.errors["owner"]
    assert not Resource.objects.filter(slug="toutapprendre").exists()
    assert client.post(url, {**form, "owner": caen_network.pk}).status_code == 302
    created = Resource.objects.get(slug="toutapprendre")
    assert created.owner == caen_network
    assert list(created.networks.all()) == [caen_network]


def test_the_portal_lists_resources_in_each_networks_order(
    shared, provider, calvados, caen_network
):
    other = Resource.objects.create(provider=provider, name="Arte", slug="arte", category="cinema")
    other.networks.add(calvados, caen_network)
    NetworkResource.objects.filter(resource=shared, network=caen_network).update(position=1)
    NetworkResource.objects.filter(resource=other, network=caen_network).update(position=2)
    assert list(Resource.objects.open_to(calvados)) == [other, shared]  # by name
    assert list(Resource.objects.open_to(caen_network)) == [shared, other]


def test_the_superuser_changes_everything(client, login, superuser, shared, calvados, caen_network):
    login(client, superuser)
    url = _change(Resource, shared)
    page = client.get(url)
    assert len(page.context["inline_admin_formsets"][0].formset.queryset) == 2
    data = admin_form_data(page)
    data.update({"name": "Cafeyn (consortium)", "owner": ""})
    assert client.post(url, data).status_code == 302, data
    shared.refresh_from_db()
    assert shared.name == "Cafeyn (consortium)" and shared.owner is None


@pytest.mark.parametrize("who", ["librarian_caen", "librarian_bayeux", "outsider"])
def test_library_staff_and_outsiders_cannot_change_a_shared_resource(
    client, login, request, who, shared, calvados
):
    login(client, request.getfixturevalue(who))
    url = _change(Resource, shared)
    data = {
        "name": "Piraté",
        "portal_settings-TOTAL_FORMS": "1",
        "portal_settings-INITIAL_FORMS": "1",
        "portal_settings-0-id": str(_row(shared, calvados).pk),
    }
    assert client.post(url, data).status_code in (302, 403)
    shared.refresh_from_db()
    assert shared.name == "Cafeyn — la presse"
    assert _row(shared, calvados).shown


# -- providers, distributor accounts, licences, connectors ---------------------------------


def test_the_other_network_sees_the_provider_read_only(
    client, login, admin_caen, provider, calvados
):
    login(client, admin_caen)
    url = _change(Provider, provider)
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Ce fournisseur appartient au réseau « La Boîte numérique »" in html
    assert 'name="name"' not in html
    response = client.post(url, {"name": "Piraté", "slug": "pirate", "owner": ""})
    assert response.status_code == 403
    assert client.post(_delete(Provider, provider), {"post": "yes"}).status_code == 403
    provider.refresh_from_db()
    assert (provider.name, provider.website, provider.owner) == (
        "Cafeyn",
        "https://www.cafeyn.co/",
        calvados,
    )


def test_the_owner_changes_its_provider(client, login, admin_calvados, provider, calvados):
    login(client, admin_calvados)
    url = _change(Provider, provider)
    data = admin_form_data(client.get(url))
    data["website"] = "https://cafeyn.example/"
    assert client.post(url, data).status_code == 302
    provider.refresh_from_db()
    assert provider.website == "https://cafeyn.example/" and provider.owner == calvados


def test_the_other_network_sees_the_distributor_account_read_only(
    client, login, admin_caen, account, calvados, caen_network
):
    login(client, admin_caen)
    url = _change(DistributorAccount, account)
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Ce compte de distributeur appartient au réseau « La Boîte numérique »" in html
    assert "mot-de-passe-pnb" not in html and 'name="base_url"' not in html
    forged = {
        "name": "Dilicom PNB",
        "kind": "dilicom",
        "base_url": "https://attaquant.example/",
        "login": "1",
        "password": "volé",
        "timeout_seconds": "10",
        "networks": [caen_network.pk],
        "owner": caen_network.pk,
        "is_active": "on",
    }
    assert client.post(url, forged).status_code == 403
    assert client.post(_delete(DistributorAccount, account), {"post": "yes"}).status_code == 403
    account.refresh_from_db()
    assert account.base_url == "https://pnb.dilicom.example/v3/"
    assert account.password == "mot-de-passe-pnb" and account.owner == calvados
    assert set(account.networks.all()) == {calvados, caen_network}


def test_the_other_network_cannot_change_a_licence_of_the_account(
    client, login, admin_caen, account, caen_network
):
    licence = Licence.objects.create(
        account=account, distributor_key="OL-1", ean="9782070000000", title="Vrai titre"
    )
    licence.networks.set(account.networks.all())
    login(client, admin_caen)
    url = _change(Licence, licence)
    assert client.get(url).status_code == 200
    assert client.post(url, {"title": "Faux", "networks": [caen_network.pk]}).status_code == 403
    licence.refresh_from_db()
    assert licence.title == "Vrai titre" and licence.networks.count() == 2


def test_a_connector_is_its_networks_own(client, login, admin_caen, shared, calvados):
    connector = Connector.objects.create(
        network=calvados, resource=shared, name="Cafeyn Calvados", kind="open_link"
    )
    login(client, admin_caen)
    url = _change(Connector, connector)
    assert client.get(url).status_code == 302  # not among Caen's: back to the index
    response = client.post(url, {"name": "Piraté", "network": calvados.pk, "kind": "open_link"})
    assert response.status_code in (302, 403)
    connector.refresh_from_db()
    assert connector.name == "Cafeyn Calvados"


@pytest.mark.parametrize("who", ["librarian_caen", "librarian_bayeux", "outsider"])
def test_library_staff_and_outsiders_cannot_change_providers_or_accounts(
    client, login, request, who, provider, account
):
    login(client, request.getfixturevalue(who))
    assert client.post(_change(Provider, provider), {"name": "X"}).status_code in (302, 403)
    assert client.post(_change(DistributorAccount, account), {"name": "X"}).status_code in (
        302,
        403,
    )
    provider.refresh_from_db()
    account.refresh_from_db()
    assert provider.name == "Cafeyn" and account.name == "Dilicom PNB"


# -- who may be picked for a role ------------------------------------------------------


def test_the_role_form_offers_only_accounts_of_the_network(
    client, login, admin_caen, admin_calvados, librarian_bayeux, caen_network
):
    newcomer = User.objects.create_user("nouveau", "n@example.org", "pw-nouveau-1", is_staff=True)
    login(client, admin_caen)
    url = reverse("admin:autocomplete")
    query = {"app_label": "networks", "model_name": "staffrole", "field_name": "user", "term": ""}
    found = {r["text"] for r in client.get(url, query).json()["results"]}
    assert "nouveau" in found and "admin.caen" in found
    assert "biblio.bayeux" not in found and "admin.calvados" not in found
    response = client.post(
        reverse("admin:networks_staffrole_add"),
        {"user": librarian_bayeux.pk, "kind": "network_admin", "network": caen_network.pk},
    )
    assert response.status_code == 200 and response.context["adminform"].form.errors["user"]
    assert not librarian_bayeux.staff_roles.filter(network=caen_network).exists()
    assert newcomer.staff_roles.count() == 0


def test_the_superuser_changes_providers_and_accounts_and_hands_them_over(
    client, login, superuser, provider, account, caen_network
):
    login(client, superuser)
    url = _change(Provider, provider)
    data = admin_form_data(client.get(url))
    data.update({"website": "https://cafeyn.example/", "owner": str(caen_network.pk)})
    assert client.post(url, data).status_code == 302
    provider.refresh_from_db()
    assert provider.website == "https://cafeyn.example/" and provider.owner == caen_network
    url = _change(DistributorAccount, account)
    data = admin_form_data(client.get(url))
    # A new address takes its password again (the secret follows its address).
    data.update({"base_url": "https://pnb.example/v4/", "owner": "", "password": "nouveau"})
    assert client.post(url, data).status_code == 302
    account.refresh_from_db()
    assert account.base_url == "https://pnb.example/v4/" and account.owner is None
    assert account.password == "nouveau"
