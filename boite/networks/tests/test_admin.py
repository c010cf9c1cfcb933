"""The back office shows each role what the access helper allows, nothing more."""

import pytest

from boite.networks.models import Network


def _admin(client, login, user):
    return login(client, user)


def test_outsider_and_anonymous_cannot_enter_the_back_office(client, login, outsider):
    assert client.get("/admin/").status_code == 302  # to the login page
    login(client, outsider)
    assert client.get("/admin/").status_code == 302
    assert client.get("/admin/networks/library/").status_code == 302


def test_librarian_lists_only_their_library(
    client, login, librarian_bayeux, lisieux_library, caen_library
):
    login(client, librarian_bayeux)
    page = client.get("/admin/networks/library/").content.decode()
    assert "Médiathèque de Bayeux" in page
    assert "André Malraux" not in page
    assert "Tocqueville" not in page


def test_librarian_of_another_library_cannot_open_or_change_it(
    client, login, librarian_lisieux, bayeux_library
):
    login(client, librarian_lisieux)
    url = f"/admin/networks/library/{bayeux_library.pk}/change/"
    assert client.get(url).status_code in (302, 403, 404)
    response = client.post(url, {"name": "Piraté"})
    assert response.status_code in (302, 403, 404)
    bayeux_library.refresh_from_db()
    assert bayeux_library.name == "Médiathèque de Bayeux"


def test_librarian_can_update_their_opening_hours_but_not_move_the_library(
    client, login, librarian_bayeux, bayeux_library
):
    login(client, librarian_bayeux)
    url = f"/admin/networks/library/{bayeux_library.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    form = {
        "name": bayeux_library.name,
        "code": "BAY",
        "address": "1 rue de la Poterie",
        "postal_code": "14400",
        "email": "",
        "phone": "",
        "website": "",
        "opening_hours": "Mercredi 10 h – 18 h",
    }
    assert client.post(url, form).status_code == 302
    bayeux_library.refresh_from_db()
    assert bayeux_library.opening_hours == "Mercredi 10 h – 18 h"


def test_librarian_cannot_add_libraries_nor_see_networks_or_roles(client, login, librarian_bayeux):
    login(client, librarian_bayeux)
    assert client.get("/admin/networks/library/add/").status_code == 403
    assert client.get("/admin/networks/network/").status_code == 403
    assert client.get("/admin/networks/staffrole/").status_code == 403
    assert client.get("/admin/networks/user/").status_code == 403


def test_network_admin_sees_own_network_only(
    client, login, admin_caen, calvados, caen_network, bayeux_library, caen_library
):
    login(client, admin_caen)
    page = client.get("/admin/networks/network/").content.decode()
    assert "Caen la Mer" in page and "La Boîte numérique" not in page
    assert client.get(f"/admin/networks/network/{calvados.pk}/change/").status_code in (302, 404)
    libraries = client.get("/admin/networks/library/").content.decode()
    assert "Tocqueville" in libraries and "Bayeux" not in libraries


def test_network_admin_adds_a_library_only_in_their_network(
    client, login, admin_caen, calvados, caen_network, communes
):
    login(client, admin_caen)
    base = {
        "name": "Bibliothèque d'Hérouville",
        "slug": "herouville",
        "authority": communes["herouville"].pk,
        "membership": "member",
        "code": "",
        "address": "",
        "postal_code": "14200",
        "email": "",
        "phone": "",
        "website": "",
        "opening_hours": "",
    }
    refused = client.post("/admin/networks/library/add/", {**base, "network": calvados.pk})
    assert refused.status_code == 200  # the form comes back with an error
    assert not calvados.libraries.exists()
    accepted = client.post("/admin/networks/library/add/", {**base, "network": caen_network.pk})
    assert accepted.status_code == 302
    assert caen_network.libraries.filter(slug="herouville").exists()


def test_network_admin_cannot_give_roles_in_another_network(
    client, login, admin_caen, calvados, librarian_bayeux
):
    login(client, admin_caen)
    page = client.get("/admin/networks/staffrole/").content.decode()
    assert "biblio.bayeux" not in page


@pytest.mark.parametrize("colour", ["#ffff00", "#a0a0a0"])
def test_a_brand_colour_without_contrast_is_refused(colour, calvados):
    from django.core.exceptions import ValidationError

    calvados.primary_colour = colour
    with pytest.raises(ValidationError):
        calvados.full_clean()


def test_network_admin_edits_branding_of_own_network(client, login, admin_calvados, calvados):
    login(client, admin_calvados)
    url = f"/admin/networks/network/{calvados.pk}/change/"
    assert client.get(url).status_code == 200
    data = {
        "name": "La Boîte numérique",
        "primary_colour": "#123456",
        "accent_colour": "#b3164b",
        "tagline": "Nouveau",
        "welcome_text": "",
        "contact_email": "",
        "contact_phone": "",
        "contact_address": "",
        "legal_notice": "",
        "privacy_notice": "",
        "accessibility_status": "partial",
        "accessibility_audit_date": "",
        "accessibility_details": "",
        "hosts-TOTAL_FORMS": "0",
        "hosts-INITIAL_FORMS": "0",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Network.objects.get(pk=calvados.pk).tagline == "Nouveau"


def test_network_admin_sees_host_names_but_cannot_change_them(
    client, login, admin_calvados, calvados
):
    login(client, admin_calvados)
    page = client.get(f"/admin/networks/network/{calvados.pk}/change/").content.decode()
    assert "localhost" in page
    assert 'name="hosts-0-host"' not in page  # shown, not editable


def test_finance_edits_populations_inline(client, login, finance_officer, communes):
    login(client, finance_officer)
    page = client.get(f"/admin/networks/authority/{communes['bayeux'].pk}/change/")
    assert page.status_code == 200
    assert 'name="populations-0-population"' in page.content.decode()
