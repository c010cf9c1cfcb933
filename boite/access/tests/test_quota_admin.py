"""Quotas and connectors' resources in the back office: network administrators of the
resource's network only."""

import pytest

from boite.access.models import Quota
from boite.catalog.models import Provider, Resource

pytestmark = pytest.mark.django_db
LIST = "/admin/access/quota/"
ADD = "/admin/access/quota/add/"


@pytest.fixture
def films(calvados) -> Resource:
    provider = Provider.objects.create(name="Films", slug="films")
    resource = Resource.objects.create(
        provider=provider, name="Films", slug="films", category="cinema"
    )
    resource.networks.add(calvados)
    return resource


@pytest.fixture
def quota(calvados, films) -> Quota:
    return Quota.objects.create(
        network=calvados,
        resource=films,
        limit=4,
        period=Quota.Period.MONTH,
        unit_singular="film",
        unit_plural="films",
    )


def _form(network, resource, **extra) -> dict:
    return {
        "network": network.pk,
        "resource": resource.pk,
        "limit": "4",
        "period": "month",
        "unit_singular": "film",
        "unit_plural": "films",
        **extra,
    }


def test_a_network_administrator_sets_a_quota(client, login, admin_calvados, calvados, films):
    login(client, admin_calvados)
    assert client.get(ADD).status_code == 200
    response = client.post(ADD, _form(calvados, films))
    assert response.status_code == 302
    assert Quota.objects.get().limit == 4


def test_bad_input_changes_nothing(client, login, admin_calvados, calvados, caen_network, films):
    login(client, admin_calvados)
    response = client.post(ADD, _form(calvados, films, limit="0"))
    assert response.status_code == 200
    assert "errornote" in response.content.decode()
    # A resource closed to the network cannot get a quota there.
    films.networks.set([caen_network])
    response = client.post(ADD, _form(calvados, films))
    assert response.status_code == 200
    assert not Quota.objects.exists()


@pytest.mark.parametrize(
    "persona", ["librarian_bayeux", "librarian_lisieux", "outsider", "admin_caen"]
)
def test_others_cannot_see_or_change_a_quota(client, login, request, quota, persona):
    login(client, request.getfixturevalue(persona))
    change = f"/admin/access/quota/{quota.pk}/change/"
    assert client.get(change).status_code in (302, 403, 404)
    response = client.post(change, {"limit": "99"})
    assert response.status_code in (302, 403, 404)
    quota.refresh_from_db()
    assert quota.limit == 4
    listing = client.get(LIST)
    assert listing.status_code in (302, 403) or "Films" not in listing.content.decode()


def test_anonymous_visitors_are_sent_to_the_login(client, quota):
    assert "/admin/login/" in client.get(LIST)["Location"]
