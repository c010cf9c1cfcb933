"""Keyboard-only journeys in Chromium (RGAA 4.1 criteria 7.3, 10.7, 12.8, 12.13): a person
who cannot use a mouse registers from the home page, confirms, logs in, edits their
details; searches the catalogue, refines, opens a title and enters the provider; borrows
an e-book and returns it from the patron space; and a librarian validates a registration
— with Tab, Shift+Tab, Enter, Space, arrows and typing only. Every element the focus
lands on, on the way, must show it (an outline or a ring) and be on screen.
"""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import Locator, Page, expect

from boite.lending.models import Loan
from boite.patrons.models import Patron
from conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PATRON_PASSWORD = "une phrase de passe solide"
MAX_TABS = 80

# What the focused element looks like: its outline, its box-shadow and whether it is
# laid out on screen, read from the browser.
_FOCUS_STATE = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  return {
    tag: el.tagName.toLowerCase(),
    label: (el.getAttribute("aria-label") || el.innerText || el.name || el.id || "")
      .trim().slice(0, 60),
    style: `${style.outlineStyle} ${style.outlineWidth} / ${style.boxShadow}`,
    // "auto" is the browser's own focus ring (Django's admin login keeps it).
    outline: style.outlineStyle === "auto" || (style.outlineStyle !== "none"
      && parseFloat(style.outlineWidth) >= 2),
    ring: style.boxShadow !== "none",
    onScreen: box.width > 0 && box.height > 0 && box.bottom > 0 && box.right > 0
      && box.top < window.innerHeight && box.left < window.innerWidth,
  };
}"""


class Keyboard:
    """Moves the focus with Tab until a target has it, checking each stop on the way."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.stops = 0

    def _check_focus(self) -> None:
        state = self.page.evaluate(_FOCUS_STATE)
        if state is None:
            return  # the focus went back to the document (before the first link)
        self.stops += 1
        where = f"{state['tag']} « {state['label']} » ({state['style']}) on {self.page.url}"
        assert state["outline"] or state["ring"], f"no visible focus on {where}"
        assert state["onScreen"], f"focused but off screen: {where}"

    def tab_to(self, target: Locator, *, backwards: bool = False) -> None:
        key = "Shift+Tab" if backwards else "Tab"
        for _n in range(MAX_TABS):
            self.page.keyboard.press(key)
            self._check_focus()
            if target.evaluate("el => el === document.activeElement"):
                return
        raise AssertionError(f"{MAX_TABS} × {key} never reached {target} on {self.page.url}")

    def activate(self, target: Locator, key: str = "Enter", *, navigates: bool = True) -> None:
        self.tab_to(target)
        self.press(key, navigates=navigates)

    def press(self, key: str, *, navigates: bool = True) -> None:
        """A key that follows a link or sends a form waits for the next page."""
        if not navigates:
            self.page.keyboard.press(key)
            return
        with self.page.expect_navigation():
            self.page.keyboard.press(key)

    def fill(self, target: Locator, text: str) -> None:
        self.tab_to(target)
        self.page.keyboard.type(text)


def test_keyboard_only_registration_confirmation_and_patron_space(page, bayeux_library):
    keys = Keyboard(page)
    page.goto("/")
    keys.activate(page.get_by_role("link", name="Vous inscrire").first)
    expect(page.get_by_role("heading", level=1)).to_have_text("Vous inscrire")

    keys.fill(page.get_by_label("Trouvez votre bibliothèque"), "14400")
    keys.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("1 bibliothèque correspond")
    library = page.get_by_role("combobox", name="Votre bibliothèque")
    keys.tab_to(library)
    page.keyboard.type("Médiathèque de Bayeux")  # a select answers to its first letters
    expect(library).to_have_value(str(bayeux_library.pk))
    keys.fill(page.get_by_label("Prénom"), "Jeanne")
    keys.fill(page.get_by_label("Nom :", exact=True), "Leroy")
    keys.fill(page.get_by_label("Adresse électronique"), "jeanne.leroy@example.org")
    # Day and month alike: the field's order (jj/mm or mm/dd) follows Chromium's own locale.
    keys.fill(page.get_by_label("Date de naissance"), "03031985")
    keys.fill(page.get_by_label("Mot de passe :", exact=True), PATRON_PASSWORD)
    keys.fill(page.get_by_label("Mot de passe (confirmation)"), PATRON_PASSWORD)
    keys.activate(page.get_by_label("J’ai lu la notice"), "Space", navigates=False)
    expect(page.get_by_label("J’ai lu la notice")).to_be_checked()
    # Back with Shift+Tab to check a field already filled, then forward to the button.
    keys.tab_to(page.get_by_label("Prénom"), backwards=True)
    expect(page.get_by_label("Prénom")).to_have_value("Jeanne")
    keys.activate(page.get_by_role("button", name="Vous inscrire"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Consultez vos courriels")

    link = re.search(r"http://\S+/inscription/confirmer/\S+/", mail.outbox[-1].body).group(0)
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Votre adresse électronique est confirmée"
    )
    patron = Patron.objects.get(user__email="jeanne.leroy@example.org")
    assert patron.home_library == bayeux_library
    assert patron.birth_date.isoformat() == "1985-03-03"

    # Log out, then log in again with the keyboard.
    page.context.clear_cookies()
    page.goto("/")
    keys.activate(page.get_by_role("link", name="Se connecter").first)
    keys.fill(page.get_by_label("Adresse électronique"), "jeanne.leroy@example.org")
    keys.fill(page.get_by_label("Mot de passe"), PATRON_PASSWORD)
    keys.press("Enter")
    expect(page).to_have_url(re.compile(r"/compte/$"))

    # The patron space: edit one's details.
    keys.activate(page.get_by_role("link", name="Modifier mes informations"))
    phone = page.get_by_label("Téléphone")
    keys.tab_to(phone)
    page.keyboard.type("02 31 00 00 00")
    keys.activate(page.get_by_role("button", name=re.compile("Enregistrer")))
    expect(page).to_have_url(re.compile(r"/compte/$"))
    patron.refresh_from_db()
    assert patron.phone == "02 31 00 00 00"
    assert keys.stops > 20  # the journey went through the page, not around it


def test_keyboard_only_staff_validation(page, bayeux_library, librarian_bayeux):
    from boite.patrons.factories import make_patron

    make_patron(
        bayeux_library,
        state=Patron.State.AWAITING,
        email="paul.attente@example.org",
        first_name="Paul",
        last_name="Attente",
    )
    keys = Keyboard(page)
    page.goto("/admin/login/?next=/gestion/usagers/")
    keys.fill(page.get_by_label("Nom d’utilisateur"), librarian_bayeux.username)
    keys.fill(page.get_by_label("Mot de passe", exact=False), PASSWORD)
    keys.press("Enter")
    expect(page).to_have_url(re.compile(r"/gestion/usagers/$"))

    keys.activate(page.get_by_role("link", name="Attente Paul"))
    keys.fill(page.get_by_label("Numéro de carte"), "BAY-2026-042")
    keys.activate(page.get_by_role("button", name="Valider", exact=True), "Space")
    expect(page.get_by_text("L’inscription est validée.")).to_be_visible()
    patron = Patron.objects.get(user__email="paul.attente@example.org")
    assert patron.state == Patron.State.ACTIVE
    assert patron.card_number == "BAY-2026-042"


def test_keyboard_only_search_refine_open_a_title_and_enter_the_provider(
    page, demo_portal, patron_bayeux, browser_login
):
    browser_login(patron_bayeux.user)
    keys = Keyboard(page)
    page.goto("/")
    # The skip link « Aller à la recherche » puts the focus in the header's search box.
    keys.activate(page.get_by_role("link", name="Aller à la recherche"), navigates=False)
    expect(page.locator("#search-q")).to_be_focused()
    page.keyboard.type("polar")
    keys.press("Enter")
    expect(page.get_by_role("status")).to_have_text("6 résultats")

    # Reach the press facet, tick it with Space, apply the filters.
    press = page.get_by_role("checkbox", name="Presse (1 résultat)")
    keys.activate(press, "Space", navigates=False)
    expect(press).to_be_checked()
    keys.activate(page.get_by_role("button", name="Appliquer les filtres"))
    expect(page.get_by_role("status")).to_have_text("1 résultat")

    # Open the one result, then « Accéder »: the provider recognises the patron.
    keys.activate(page.get_by_role("link", name="Polar Mag"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Polar Mag")
    keys.activate(page.get_by_role("link", name="Accéder Polar Mag"))
    expect(page.locator("body")).to_have_text("recognised as BAY0001")
    assert page.url.startswith(demo_portal.provider.origin + "/")
    assert keys.stops > 30


def test_keyboard_only_borrow_then_return_from_the_patron_space(
    page, demo_portal, patron_bayeux, browser_login
):
    from boite.catalog.models import Record

    record = Record.objects.get(title="Le Polar de la falaise")
    browser_login(patron_bayeux.user)
    keys = Keyboard(page)
    page.goto(record.get_absolute_url())
    keys.activate(page.get_by_role("link", name="Emprunter Le Polar de la falaise"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Emprunter « Le Polar de la falaise »"
    )

    length = page.get_by_label("Durée du prêt")
    keys.tab_to(length)
    page.keyboard.type("14")  # a select answers to its first letters
    expect(length).to_have_value("14")
    keys.fill(page.get_by_label("Phrase secrète de lecture"), "la mer monte vite")
    keys.fill(page.get_by_label("Indice de la phrase secrète"), "la marée")
    keys.activate(page.get_by_role("button", name="Emprunter", exact=True))
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes prêts")
    loan = Loan.objects.get(patron=patron_bayeux)
    assert loan.state == Loan.State.ACTIVE and loan.hint == "la marée"

    # Through the patron space (the header's « Mon compte »), back to « Mes prêts », and
    # return it.
    account = page.get_by_role("navigation", name="Compte")
    keys.activate(account.get_by_role("link", name="Mon compte"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon compte")
    keys.activate(page.get_by_role("link", name="Mes prêts et réservations"))
    keys.activate(page.get_by_role("button", name="Rendre maintenant Le Polar de la falaise"))
    expect(page.get_by_text("Aucun prêt en cours.")).to_be_visible()
    loan.refresh_from_db()
    assert loan.state == Loan.State.RETURNED
    assert not demo_portal.dilicom.loan(str(loan.uuid)).is_open


def test_keyboard_only_twenty_validations_in_at_most_25_actions(
    page, browser_login, bayeux_library, librarian_bayeux
):
    """Twenty registrations validated from the queue: the first card field has the focus,
    each card is typed (or scanned — a scanner types the digits and Enter) and Enter sends
    it; the next registration's field has the focus again. Actions are counted: each
    typed card with its Enter counts one, like a scan; every other key counts one."""
    from datetime import timedelta

    from django.utils import timezone

    from boite.patrons.factories import make_patron

    today = timezone.localdate()
    for n in range(20):
        make_patron(
            bayeux_library,
            state=Patron.State.TRIAL,
            email=f"essai{n}@example.org",
            last_name=f"Essai{n:02d}",
            trial_ends_on=today + timedelta(days=1 + n),
        )
    browser_login(librarian_bayeux)
    page.goto("/gestion/usagers/")
    actions = 0
    for n in range(20):
        focused = page.evaluate("document.activeElement.id")
        assert focused.startswith("card-"), f"after {n} validations the focus is on « {focused} »"
        page.keyboard.type(f"BAY-{n:04d}")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        actions += 1
        expect(page.get_by_role("status")).to_contain_text("Inscription validée")
    assert actions <= 25
    expect(page.get_by_text("Personne : toutes les inscriptions sont validées.")).to_be_visible()
    assert set(
        Patron.objects.filter(home_library=bayeux_library).values_list("state", flat=True)
    ) == {Patron.State.ACTIVE}
