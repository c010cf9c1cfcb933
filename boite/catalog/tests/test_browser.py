"""The catalogue in a real browser (Chromium): searching, refining, suggestions."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_patron_searches_refines_and_opens_a_record(page, catalogue):
    page.goto("/recherche/")
    page.get_by_label("Rechercher dans le catalogue", exact=True).fill("polar")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("6 résultats")
    page.get_by_role("checkbox", name="Presse (1 résultat)").check()
    page.get_by_role("button", name="Appliquer les filtres").click()
    expect(page.get_by_role("status")).to_contain_text("1 résultat")
    page.get_by_role("link", name="Polar Mag").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Polar Mag")
    expect(page.get_by_role("link", name="Accéder Polar Mag")).to_have_attribute(
        "href", f"/acces/cafeyn/{page.url.rstrip('/').rsplit('/', 1)[1]}/"
    )


def test_suggestions_appear_while_typing(page, catalogue):
    page.goto("/recherche/")
    field = page.locator("#id_q")
    field.press_sequentially("les cin", delay=30)
    options = page.locator("#search-suggestions option")
    expect(options.first).to_have_attribute("value", "Les Cinémas de Normandie")
