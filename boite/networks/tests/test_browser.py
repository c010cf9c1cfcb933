"""The portal shell in a real browser (Chromium)."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_visitor_finds_a_library_with_the_keyboard(page, bayeux_library, lisieux_library):
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("La Boîte numérique")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Aller au contenu")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    page.get_by_role("link", name="Trouver votre bibliothèque").click()
    page.get_by_label("Nom, commune ou code postal").fill("14400")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Médiathèque de Bayeux")).to_be_visible()
    expect(page.get_by_text("André Malraux")).to_have_count(0)


def test_the_home_page_fits_a_320_pixel_screen(page, calvados):
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto("/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 320


def test_the_other_network_hides_a_shared_resource_from_its_portal(
    page, browser_login, admin_caen, calvados, caen_network
):
    from boite.catalog.models import NetworkResource, Provider, Resource

    provider = Provider.objects.create(name="Cafeyn", slug="cafeyn", owner=calvados)
    resource = Resource.objects.create(
        provider=provider, owner=calvados, name="Cafeyn", slug="cafeyn", category="presse"
    )
    resource.networks.add(calvados, caen_network)
    browser_login(admin_caen)
    page.goto(f"/admin/catalog/resource/{resource.pk}/change/")
    expect(
        page.get_by_text("Cette ressource appartient au réseau « La Boîte numérique »")
    ).to_be_visible()
    expect(page.get_by_role("textbox", name="Nom")).to_have_count(0)
    page.locator('input[name="portal_settings-0-shown"]').uncheck()
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(page.get_by_text("a été modifié avec succès")).to_be_visible()
    row = NetworkResource.objects.get(resource=resource, network=caen_network)
    assert row.shown is False
    assert NetworkResource.objects.get(resource=resource, network=calvados).shown is True
