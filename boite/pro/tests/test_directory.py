"""The directory of the network's contacts."""

from django.urls import reverse

from boite.pro.models import OfferContact


def test_the_directory_lists_libraries_staff_and_offer_contacts(
    client, login, librarian_lisieux, librarian_bayeux, librarian_caen, admin_calvados, calvados
):
    librarian_bayeux.first_name, librarian_bayeux.last_name = "Sophie", "Hamel"
    librarian_bayeux.save()
    OfferContact.objects.create(
        network=calvados, offer="Cafeyn", name="Service presse", email="presse@example.org"
    )
    login(client, librarian_lisieux)
    page = client.get(reverse("pro:directory")).content.decode()
    assert "Médiathèque de Bayeux" in page
    assert "Sophie Hamel" in page and librarian_bayeux.email in page
    assert admin_calvados.email in page
    assert "Cafeyn" in page and "presse@example.org" in page
    assert librarian_caen.email not in page  # another network
    assert "Bibliothèque Alexis de Tocqueville" not in page


def test_the_directory_finds_a_library(client, login, librarian_lisieux, bayeux_library):
    login(client, librarian_lisieux)
    page = client.get(reverse("pro:directory"), {"q": "14400"}).content.decode()
    assert "Médiathèque de Bayeux" in page
    assert "Médiathèque André Malraux" not in page
