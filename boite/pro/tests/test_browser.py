"""The professional space tried as new users would, in Chromium."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from boite.pro.models import NewsItem

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page, live_server, user):
    """Open a session for the user and hand its cookie to the browser."""
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    page.context.clear_cookies()
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )


def test_an_editor_publishes_a_librarian_registers_a_patron_reads_the_news(
    page, live_server, editor, librarian_lisieux, patron, calvados
):
    NewsItem.objects.create(
        network=calvados,
        kind=NewsItem.Kind.NEW_RESOURCE,
        title="Nouveau : Muniki, la musique pour les enfants",
        slug="muniki",
        summary="Des concerts et des histoires en musique.",
        publish_at=timezone.now() - timedelta(minutes=1),
    )
    start = timezone.localtime() + timedelta(days=40)

    # The editor writes a post and an event.
    _log_in(page, live_server, editor)
    page.goto("/pro/billets/nouveau/")
    page.get_by_label("Titre :", exact=True).fill("PNB : les nouveautés de la rentrée")
    page.get_by_label("Catégorie :", exact=True).select_option("pnb")
    page.get_by_label("Texte :", exact=True).fill("Les **éditeurs** ont ajouté 200 titres.")
    page.get_by_label("Publier maintenant :", exact=True).check()
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Le billet est publié.")).to_be_visible()

    page.goto("/pro/evenements/nouveau/")
    page.get_by_label("Type :", exact=True).select_option("professional_day")
    page.get_by_label("Titre :", exact=True).fill("C'est dans la Boîte ! 2027")
    page.get_by_label("Thème :", exact=True).fill("La médiation numérique")
    page.get_by_label("Lieu :", exact=True).fill("Abbaye aux Dames, Caen")
    page.get_by_label("Début :", exact=True).fill(start.strftime("%Y-%m-%dT09:00"))
    page.get_by_label("Fin :", exact=True).fill(start.strftime("%Y-%m-%dT17:00"))
    page.get_by_label("Nombre de places :", exact=True).fill("60")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("C'est dans la Boîte ! 2027")

    # A librarian of another library reads the feed, then the post, and registers.
    _log_in(page, live_server, librarian_lisieux)
    feed = page.request.get("/pro/flux.atom")
    assert feed.ok
    assert "PNB : les nouveautés de la rentrée" in feed.text()
    page.goto("/pro/")
    page.get_by_role("link", name="PNB : les nouveautés de la rentrée").click()
    expect(page.locator(".pro-body strong")).to_have_text("éditeurs")
    page.get_by_role("link", name="Événements et formations").click()
    page.get_by_role("link", name="C'est dans la Boîte ! 2027").click()
    page.get_by_role("button", name="Vous inscrire").click()
    expect(page.get_by_text("Vous êtes inscrit·e.", exact=True)).to_be_visible()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Ajouter à mon agenda (fichier ICS)").click()
    ics = download_info.value.path().read_text()
    assert "BEGIN:VCALENDAR" in ics
    assert "SUMMARY:C'est dans la Boîte ! 2027" in ics

    # A patron sees the news on the portal but cannot open /pro/.
    _log_in(page, live_server, patron)
    page.goto("/")
    expect(
        page.get_by_role("link", name="Nouveau : Muniki, la musique pour les enfants")
    ).to_be_visible()
    response = page.goto("/pro/")
    assert response.status == 403
