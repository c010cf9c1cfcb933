"""The yearly campaign in a real browser: the finance officer generates the calls and
tries another rate, with the keyboard-reachable, labelled controls."""

import pytest
from django.test import Client
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def test_finance_officer_runs_the_campaign(
    page, live_server, finance_officer, campaign, bayeux_library, lisieux_library
):
    _log_in(page, live_server, finance_officer)
    page.goto("/gestion/finances/")
    page.get_by_role("link", name="Finances et gouvernance").first.click()
    page.get_by_role("link", name="2026").click()
    page.get_by_role(
        "button", name="Générer les appels de toutes les collectivités adhérentes"
    ).click()
    expect(page.get_by_role("status")).to_contain_text("2 appels générés")
    table = page.get_by_role("table", name="Appels à cotisation 2026")
    expect(table.get_by_role("row", name="Bayeux")).to_contain_text("1\u00a0935,00")
    page.get_by_label("Tarif par habitant à essayer (€)").fill("0.20")
    page.get_by_role("button", name="Calculer").click()
    expect(page.get_by_text("6\u00a0620,00 €")).to_be_visible()
    page.get_by_label("Nouvel état de Bayeux").select_option("paid")
    page.get_by_role("row", name="Bayeux").get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("status")).to_contain_text("Bayeux : payée.")
