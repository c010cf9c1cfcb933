"""A patron's whole life on the portal, in one Chromium tab: register, confirm the address
from the real e-mail, be validated by the librarian of Bayeux, log in, search the demo
catalogue (tantivy), open a magazine at the provider (a fake Cafeyn on 127.0.0.1 that
checks the signed link), borrow a PNB e-book (a fake Dilicom on 127.0.0.1) and return it,
then download one's data and find the loan and the access in it.

Everyone takes their turn in the same tab (`page`), so that a failure at any step leaves
its screenshot in test-artifacts/.
"""

from __future__ import annotations

import json
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core import mail
from playwright.sync_api import Page, expect

from boite.lending.models import Loan
from boite.patrons.models import Patron
from boite.patrons.tests.journeys import register_at_bayeux
from conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PATRON_PASSWORD = "une phrase de passe solide"
CARD = "BAY-2026-077"
WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def _audit(page: Page) -> None:
    """axe-core on a page in a state the page-by-page audit cannot reach (results with
    facets, a loan in progress)."""
    results = Axe().run(page, options=WCAG_AA)
    assert results.violations_count == 0, results.generate_report()


def _search(page: Page, text: str, facet: str, found: str) -> None:
    """Search from the header's box, then keep one category: as many results as it said."""
    page.get_by_label("Recherche rapide").fill(text)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Rechercher")
    page.get_by_role("checkbox", name=f"{facet} ({found})", exact=True).check()
    page.get_by_role("button", name="Appliquer les filtres").click()
    expect(page.get_by_role("status")).to_have_text(found)


def test_register_validate_search_open_borrow_return_and_download(
    page, demo_portal, bayeux_library, librarian_bayeux
):
    # The patron registers on the departmental portal, choosing Bayeux by postal code.
    register_at_bayeux(page, PATRON_PASSWORD)

    # She confirms her address with the link of the e-mail the portal sent, then logs out.
    (message,) = mail.outbox
    assert message.to == ["jeanne.leroy@example.org"]
    page.goto(re.search(r"http://\S+/inscription/confirmer/\S+/", message.body).group(0))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Votre adresse électronique est confirmée"
    )
    page.get_by_role("link", name="Se déconnecter").click()
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_text("Vous êtes déconnecté")).to_be_visible()

    # The librarian of Bayeux validates the registration from the staff pages.
    page.goto("/admin/login/?next=/gestion/usagers/")
    page.get_by_label("Nom d’utilisateur").fill(librarian_bayeux.username)
    page.get_by_label("Mot de passe", exact=False).fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("link", name="Leroy Jeanne").click()
    page.get_by_label("Numéro de carte").fill(CARD)
    page.get_by_role("button", name="Valider", exact=True).click()
    expect(page.get_by_text("L’inscription est validée.")).to_be_visible()
    page.context.clear_cookies()  # the librarian's session ends with her turn

    # The patron logs in with her e-mail address and password.
    page.goto("/")
    page.get_by_role("link", name="Se connecter").first.click()
    page.get_by_label("Adresse électronique").fill("jeanne.leroy@example.org")
    page.get_by_label("Mot de passe").fill(PATRON_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.locator("#patron-state")).to_contain_text("Votre accès est valable jusqu’au")

    # She searches the catalogue, keeps the press, opens Polar Mag at Cafeyn: recognised.
    _search(page, "polar", "Presse", "1 résultat")
    _audit(page)
    page.get_by_role("link", name="Polar Mag").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Polar Mag")
    page.get_by_role("link", name="Accéder Polar Mag").click()
    expect(page.locator("body")).to_have_text(f"recognised as {CARD}")
    assert page.url.startswith(demo_portal.provider.origin + "/")

    # Back on the portal: an e-book this time, borrowed from the fake Dilicom…
    page.go_back()
    _search(page, "polar", "Livres", "2 résultats")
    page.get_by_role("link", name="Le Polar de la falaise").click()
    page.get_by_role("link", name="Emprunter Le Polar de la falaise").click()
    _audit(page)
    page.get_by_label("Durée du prêt").select_option(label="14 jours")
    page.get_by_label("Phrase secrète de lecture").fill("la mer monte vite")
    page.get_by_label("Indice de la phrase secrète").fill("la marée")
    page.get_by_role("button", name="Emprunter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes prêts")
    expect(page.locator(".loan")).to_contain_text("Le Polar de la falaise")
    _audit(page)
    loan = Loan.objects.get()
    assert demo_portal.dilicom.loan(str(loan.uuid)).is_open

    # …and returned early.
    page.get_by_role("button", name="Rendre maintenant Le Polar de la falaise").click()
    expect(page.get_by_text("Aucun prêt en cours.")).to_be_visible()
    assert not demo_portal.dilicom.loan(str(loan.uuid)).is_open

    # Her data: the account, the loan (returned), Cafeyn opened once, each step logged.
    page.get_by_role("navigation", name="Compte").get_by_role("link", name="Mon compte").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger mes données (JSON)").click()
    data = json.loads(download.value.path().read_text(encoding="utf-8"))
    assert (data["email"], data["card_number"]) == ("jeanne.leroy@example.org", CARD)
    (borrowed,) = data["loans"]
    assert (borrowed["title"], borrowed["state"]) == ("Le Polar de la falaise", "returned")
    assert borrowed["passphrase_hint"] == "la marée"
    (opened,) = data["resources_opened"]
    assert (opened["resource"], opened["times_opened"]) == ("Cafeyn — la presse en ligne", 1)
    assert opened["last_title"] == "Polar Mag"
    assert [e["event"] for e in data["statistical_events"]] == [
        "registration",
        "email_confirmed",
        "validation",
        "access_granted",
        "loan",
        "return",
    ]
    patron = Patron.objects.get(card_number=CARD)
    assert patron.state == Patron.State.ACTIVE and patron.home_library == bayeux_library
