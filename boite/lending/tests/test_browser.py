"""A patron borrows an e-book in a real browser, sees the loan and its end date, returns it
early; another patron waiting for it is told by e-mail that their turn has come."""

import pytest
from django.core import mail
from playwright.sync_api import expect

from boite.lending import loans as lending
from boite.lending.models import Hold, Loan
from boite.patrons.factories import make_patron

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_borrow_see_the_end_date_return_early_and_the_next_patron_is_told(
    page,
    browser,
    live_server,
    browser_login,
    patron_bayeux,
    bayeux_library,
    pnb_record,
    make_licence,
    fake_dilicom,
):
    make_licence(pnb_record, concurrency=1, days=30)
    browser_login(patron_bayeux.user)

    # The record page says a copy is free; « Emprunter » opens the loan form.
    page.goto(pnb_record.get_absolute_url())
    expect(page.get_by_text("1 exemplaire disponible.")).to_be_visible()
    page.get_by_role("link", name="Emprunter L'Étranger").click()
    page.get_by_label("Durée du prêt").select_option(label="14 jours")
    page.get_by_label("Phrase secrète de lecture").fill("un chat sur le toit")
    page.get_by_label("Indice de la phrase secrète").fill("le chat")
    page.get_by_role("button", name="Emprunter").click()

    # « Mes prêts »: the loan, its end date, the download link.
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes prêts")
    loan = Loan.objects.get()
    end = loan.ends_at.astimezone().strftime("%d/%m/%Y")
    expect(page.get_by_role("status").or_(page.locator(".messages"))).to_contain_text(end)
    expect(page.locator(".loan")).to_contain_text("L'Étranger")
    expect(page.locator(".loan-end")).to_be_visible()
    expect(page.get_by_role("link", name="Télécharger L'Étranger")).to_have_attribute(
        "href", loan.download_url
    )

    # Another patron finds every copy out and joins the queue.
    other = make_patron(bayeux_library, email="suivante@example.org", card_number="BAY0042")
    hold = lending.place_hold(other, pnb_record, other.network)
    assert hold.position() == 1
    mail.outbox.clear()

    # Return early.
    page.get_by_role("button", name="Rendre maintenant L'Étranger").click()
    expect(page.get_by_text("Aucun prêt en cours.")).to_be_visible()
    loan.refresh_from_db()
    assert loan.state == Loan.State.RETURNED
    assert fake_dilicom.licences["OL-1"].in_use == 0

    # The next patron's hold is ready, and they got an e-mail.
    hold.refresh_from_db()
    assert hold.state == Hold.State.READY
    assert [m.to for m in mail.outbox] == [["suivante@example.org"]]
    assert "L'Étranger" in mail.outbox[0].subject

    # In their own browser, « Mes prêts » says it is their turn.
    context = browser.new_context(base_url=live_server.url, locale="fr-FR")
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(other.user)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    theirs = context.new_page()
    theirs.goto("/compte/prets/")
    expect(theirs.locator(".hold")).to_contain_text("C'est votre tour")
    context.close()
