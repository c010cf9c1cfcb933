"""Steps of the patron's journeys in the browser, shared by the tests that walk them."""

from playwright.sync_api import Page, expect


def register_at_bayeux(page: Page, password: str) -> None:
    """Jeanne Leroy registers on the departmental portal, finding the Médiathèque de
    Bayeux by its postal code, up to « Consultez vos courriels »."""
    page.goto("/")
    page.get_by_role("link", name="Vous inscrire").last.click()
    page.get_by_label("Trouvez votre bibliothèque").fill("14400")
    page.keyboard.press("Enter")
    page.get_by_role("combobox", name="Votre bibliothèque").select_option(
        label="Médiathèque de Bayeux — Bayeux (14400)"
    )
    page.get_by_label("Prénom").fill("Jeanne")
    page.get_by_label("Nom :", exact=True).fill("Leroy")
    page.get_by_label("Adresse électronique").fill("jeanne.leroy@example.org")
    page.get_by_label("Date de naissance").fill("1985-03-02")
    page.get_by_label("Mot de passe :", exact=True).fill(password)
    page.get_by_label("Mot de passe (confirmation)").fill(password)
    page.get_by_label("J’ai lu la notice").check()
    page.get_by_role("button", name="Vous inscrire").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Consultez vos courriels")
