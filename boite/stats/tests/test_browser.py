"""The statistics dashboard in a real browser: charts drawn from the tables."""

from datetime import date

import pytest
from playwright.sync_api import expect

from boite.stats.rollup import rollup
from conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_administrator_sees_charts_beside_their_tables(page, admin_calvados, some_events):
    rollup(date(2026, 3, 1), date(2026, 3, 31))
    page.goto("/admin/login/?next=/gestion/statistiques/%3Fstart%3D2026-03%26end%3D2026-04")
    page.locator("#id_username").fill(admin_calvados.username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_password").press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Statistiques")
    table = page.get_by_role("table", name="Ressources ouvertes par mois")
    expect(table).to_be_visible()
    expect(table.get_by_role("rowheader", name="cafeyn")).to_be_visible()
    chart = page.locator('figure[data-table="table-resources"] canvas')
    expect(chart).to_have_count(1)
    expect(chart).to_have_attribute("role", "img")
    assert page.evaluate("typeof window.Chart") == "function"
    page.get_by_label("Au mois (inclus)").fill("2026-01")
    page.get_by_role("button", name="Afficher").click()
    expect(page.get_by_text("Le dernier mois précède le premier.")).to_be_visible()
