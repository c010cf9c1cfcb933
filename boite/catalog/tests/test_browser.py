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


def test_a_missing_or_broken_cover_shows_the_drawn_one(page, catalogue, live_server):
    from pathlib import Path

    from boite.catalog.models import Record
    from boite.catalog.search import index_record

    broken = Record.objects.filter(resource__in=catalogue.values()).order_by("pk").first()
    broken.cover_url = f"{live_server.url}/static/catalog/no-such-cover.jpg"
    broken.save()
    index_record(broken)
    page.goto(broken.get_absolute_url())
    cover = page.locator("article.record .cover")
    expect(cover.locator("img")).to_be_hidden()
    expect(cover.locator(".cover-drawn-title")).to_be_visible()
    expect(cover.locator(".cover-drawn-title")).to_have_text(broken.title[:70])
    screens = Path("/work/screens/catalog")
    if screens.parent.is_dir():
        screens.mkdir(exist_ok=True)
        for width, height in ((1366, 900), (390, 844)):
            page.set_viewport_size({"width": width, "height": height})
            page.screenshot(path=str(screens / f"record-drawn-cover-{width}.png"))
            page.goto("/recherche/?q=polar")
            page.screenshot(path=str(screens / f"search-covers-{width}.png"), full_page=True)
            page.goto(broken.get_absolute_url())
    page.goto("/recherche/?q=polar")
    drawn = page.locator(".result .cover-drawn-title").first
    expect(drawn).to_be_attached()
