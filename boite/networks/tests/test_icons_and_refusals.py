"""What browsers and monitors ask of every site: icons, HEAD, and refusals in French."""

import io

import pytest
from django.test import Client
from PIL import Image

pytestmark = pytest.mark.django_db


def test_each_network_has_its_own_favicon(client, caen_client, caen_network):
    caen_network.primary_colour = "#7a1f3d"
    caen_network.save()
    calvados_icon = client.get("/favicon.ico")
    caen_icon = caen_client.get("/favicon.ico")
    assert calvados_icon.status_code == caen_icon.status_code == 200
    assert calvados_icon["Content-Type"] == "image/x-icon"
    icon = Image.open(io.BytesIO(calvados_icon.content))
    assert icon.format == "ICO"
    assert {(16, 16), (32, 32), (48, 48)} <= set(icon.info["sizes"])
    assert calvados_icon.content != caen_icon.content  # two colours, two tabs told apart


def test_the_touch_icon_is_a_180_pixel_png(client):
    answer = client.get("/apple-touch-icon.png")
    image = Image.open(io.BytesIO(answer.content))
    assert (answer.status_code, image.format, image.size) == (200, "PNG", (180, 180))


def test_the_icons_answer_head(client):
    answer = client.head("/favicon.ico")
    assert answer.status_code == 200
    assert answer["Content-Type"] == "image/x-icon"


def test_pages_link_their_icons(client):
    page = client.get("/").content.decode()
    assert '<link rel="icon" href="/favicon.ico"' in page
    assert '<link rel="apple-touch-icon" href="/apple-touch-icon.png">' in page


def test_a_refusal_is_a_page_in_french_that_says_what_to_do(client, login, outsider):
    login(client, outsider)
    answer = client.get("/gestion/usagers/")
    assert answer.status_code == 403
    page = answer.content.decode()
    assert "Accès refusé" in page
    assert "403 Forbidden" not in page
    assert 'href="/"' in page  # the way back to the portal


def test_a_staff_refusal_tells_who_gives_the_role(client, login, librarian_bayeux):
    login(client, librarian_bayeux)
    answer = client.get("/gestion/finances/")
    assert answer.status_code == 403
    assert "administrateur de votre réseau" in answer.content.decode()


def test_an_expired_form_is_told_in_french(calvados):
    strict = Client(HTTP_HOST="localhost", enforce_csrf_checks=True)
    answer = strict.post("/connexion/", {"username": "x", "password": "y"})
    assert answer.status_code == 403
    page = answer.content.decode()
    assert "Le formulaire a expiré" in page
    assert "CSRF verification failed" not in page
