"""The whole journey of a new patron, in a real browser (Chromium)."""

import json
import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from boite.patrons.models import Patron
from boite.patrons.tests.journeys import register_at_bayeux
from conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PATRON_PASSWORD = "une phrase de passe solide"


def test_register_try_be_validated_download_and_delete(
    page, browser, live_server, bayeux_library, lisieux_library, librarian_bayeux
):
    # Register on the departmental portal, choosing the library by postal code.
    register_at_bayeux(page, PATRON_PASSWORD)

    # Confirm the e-mail address with the link of the message.
    link = re.search(r"http://\S+/inscription/confirmer/\S+/", mail.outbox[-1].body).group(0)
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Votre adresse électronique est confirmée"
    )
    expect(page.locator(".patron-state")).to_contain_text("période d’essai jusqu’au")
    patron = Patron.objects.get(user__email="jeanne.leroy@example.org")
    assert patron.is_active_on()  # the trial opens the resources

    # The staff of Bayeux validates the registration, in another browser.
    staff = browser.new_context(base_url=live_server.url, locale="fr-FR")
    desk = staff.new_page()
    desk.goto("/admin/login/?next=/gestion/usagers/")
    desk.get_by_label("Nom d’utilisateur").fill(librarian_bayeux.username)
    desk.get_by_label("Mot de passe", exact=False).fill(PASSWORD)
    desk.get_by_role("button", name="Se connecter").click()
    desk.get_by_role("link", name="Leroy Jeanne").click()
    desk.get_by_label("Numéro de carte").fill("BAY-2026-001")
    desk.get_by_role("button", name="Valider", exact=True).click()
    expect(desk.get_by_text("L’inscription est validée.")).to_be_visible()
    staff.close()

    # The patron sees the expiry date.
    page.goto("/compte/")
    patron.refresh_from_db()
    assert patron.state == Patron.State.ACTIVE
    expect(page.locator("#patron-state")).to_contain_text("Votre accès est valable jusqu’au")
    expect(page.get_by_text("BAY-2026-001")).to_be_visible()

    # Download my data, then delete my account.
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger mes données (JSON)").click()
    data = json.loads(download.value.path().read_text(encoding="utf-8"))
    assert data["email"] == "jeanne.leroy@example.org" and data["card_number"] == "BAY-2026-001"
    page.get_by_role("link", name="Supprimer mon compte").click()
    page.get_by_label("Votre mot de passe, pour confirmer").fill(PATRON_PASSWORD)
    page.get_by_label("Je comprends").check()
    page.get_by_role("button", name="Supprimer mon compte maintenant").click()
    expect(
        page.get_by_text("Votre compte et vos données personnelles sont effacés.")
    ).to_be_visible()
    patron.refresh_from_db()
    assert patron.state == Patron.State.ERASED and patron.user is None
