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
