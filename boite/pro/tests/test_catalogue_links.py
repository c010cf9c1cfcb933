"""Links with the catalogue: favourites are records, documents and contacts name a
resource; the pages show them with their links."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from boite.catalog.models import Provider, Record, Resource
from boite.pro.models import Document, OfferContact, Selection, SelectionItem

pytestmark = pytest.mark.django_db


@pytest.fixture
def film(calvados):
    provider = Provider.objects.create(name="ARTE", slug="arte")
    resource = Resource.objects.create(
        provider=provider, name="Médiathèque Numérique", slug="mn", category="cinema"
    )
    resource.networks.set([calvados])
    return Record.objects.create(
        resource=resource,
        provider_id="mn-1",
        title="Le Grand Bain",
        cover_url="https://covers.example.org/grand-bain.jpg",
    )


def test_a_favourite_record_shows_its_title_cover_and_page(client, calvados, film):
    selection = Selection.objects.create(network=calvados, title="Coups de cœur", slug="cdc")
    SelectionItem.objects.create(selection=selection, record=film, description="Drôle.")
    SelectionItem.objects.create(
        selection=selection, title="Hors catalogue", link="https://example.org/x", position=1
    )
    page = client.get(reverse("pro:selection", args=["cdc"])).content.decode()
    assert f'<a href="{film.get_absolute_url()}">Le Grand Bain</a>' in page
    assert 'src="https://covers.example.org/grand-bain.jpg" alt=""' in page
    assert "Médiathèque Numérique" in page and "Drôle." in page
    assert '<a href="https://example.org/x">Hors catalogue</a>' in page


def test_an_item_needs_a_record_or_a_title(calvados):
    selection = Selection.objects.create(network=calvados, title="Vide", slug="vide")
    with pytest.raises(ValidationError) as error:
        SelectionItem(selection=selection).full_clean()
    assert "title" in error.value.message_dict


def test_contacts_and_documents_link_their_resource(
    client, login, librarian_lisieux, calvados, film
):
    OfferContact.objects.create(network=calvados, resource=film.resource, name="Service films")
    Document.objects.create(
        network=calvados, kind="guide", title="Guide des films", resource=film.resource
    )
    login(client, librarian_lisieux)
    link = f'<a href="{film.resource.get_absolute_url()}">Médiathèque Numérique</a>'
    assert link in client.get(reverse("pro:directory")).content.decode()
    assert link in client.get(reverse("pro:documents")).content.decode()
    with pytest.raises(ValidationError):
        OfferContact(network=calvados, name="Sans offre").full_clean()
