import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from boite.catalog.categories import CATEGORIES
from boite.networks.models import Library


def test_home_page_shows_categories_search_and_registration(client, bayeux_library):
    page = client.get("/").content.decode()
    for label in [
        "Cinéma",
        "Formation",
        "Musique",
        "Presse",
        "Livres",
        "Livres audio",
        "Jeux vidéo",
        "Jeunesse",
    ]:
        assert label in page
    assert 'role="search"' in page
    assert "Comment vous inscrire ?" in page
    assert 'href="/inscription/"' in page
    assert "1 bibliothèque membre" in page


def test_every_category_page_answers(client):
    for category in CATEGORIES:
        assert client.get(f"/categories/{category.slug}/").status_code == 200
    assert client.get("/categories/inconnue/").status_code == 404


def test_page_has_skip_link_language_and_landmarks(client):
    page = client.get("/").content.decode()
    assert '<html lang="fr">' in page
    assert 'href="#content"' in page and 'id="content"' in page
    assert "<main" in page and "<header" in page and "<footer" in page


def test_theme_css_carries_the_network_colours(client, calvados):
    response = client.get("/theme.css")
    assert response["Content-Type"].startswith("text/css")
    assert calvados.primary_colour in response.content.decode()


def test_directory_finds_by_name_commune_postal_code_without_accents(
    client, bayeux_library, lisieux_library, caen_library, communes
):
    Library.objects.create(
        network=bayeux_library.network,
        authority=communes["evrecy"],
        name="Bibliothèque d'Évrecy",
        slug="evrecy",
        postal_code="14210",
    )

    def names(query):
        return client.get("/bibliotheques/", {"q": query}).content.decode()

    assert "Médiathèque de Bayeux" in names("bayeux")
    assert "Évrecy" in names("evrecy")
    assert "Évrecy" in names("14210")
    assert "André Malraux" in names("malraux lisieux")
    # Caen la Mer's libraries are not in the departmental directory.
    assert "Tocqueville" not in names("")
    assert "Aucune bibliothèque" in names("zzz")


def test_directory_hides_libraries_that_left(client, bayeux_library):
    bayeux_library.membership = Library.Membership.LEFT
    bayeux_library.save()
    assert "Bayeux" not in client.get("/bibliotheques/").content.decode()
    assert client.get(f"/bibliotheques/{bayeux_library.slug}/").status_code == 404


def test_library_page_of_another_network_is_not_found(client, caen_client, caen_library):
    assert client.get(f"/bibliotheques/{caen_library.slug}/").status_code == 404
    assert caen_client.get(f"/bibliotheques/{caen_library.slug}/").status_code == 200


def test_directory_query_count_is_constant(client, calvados, communes):
    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/bibliotheques/").status_code == 200
        return len(queries)

    Library.objects.create(network=calvados, authority=communes["bayeux"], name="A", slug="a")
    count_queries()  # the first request also looks the network up, then caches it
    few = count_queries()
    for i in range(30):
        Library.objects.create(
            network=calvados, authority=communes["lisieux"], name=f"B{i}", slug=f"b{i}"
        )
    assert count_queries() == few


@pytest.mark.parametrize(
    "path", ["/mentions-legales/", "/donnees-personnelles/", "/accessibilite/"]
)
def test_legal_pages_exist(client, path):
    assert client.get(path).status_code == 200


def test_accessibility_statement_states_compliance_and_contact(client, calvados):
    calvados.contact_email = "contact@calvados.example"
    calvados.save()
    page = client.get("/accessibilite/").content.decode()
    assert "partiellement conforme" in page
    assert "RGAA" in page
    assert "contact@calvados.example" in page


def test_a_bad_url_gets_the_portal_404_page(client):
    response = client.get("/nulle-part/")
    assert response.status_code == 404
    assert "Page introuvable" in response.content.decode()


def test_registration_button_leads_to_the_registration_form(client):
    # The form itself is tested in boite/patrons/tests/test_registration.py.
    response = client.get("/inscription/")
    assert response.status_code == 200
    assert 'name="home_library"' in response.content.decode()


def test_french_catalogue_is_loaded():
    with translation.override("fr"):
        assert translation.gettext("Skip to content") == "Aller au contenu"


def test_language_switcher_shows_the_portal_in_english(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get("/").content.decode()
    assert '<html lang="en">' in page
    assert "How to register?" in page


def test_search_box_keeps_the_query(client):
    page = client.get("/recherche/", {"q": "polar"}).content.decode()
    assert 'value="polar"' in page


def test_french_is_the_default_whatever_the_browser_says(calvados):
    browser = Client(HTTP_HOST="localhost", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert '<html lang="fr">' in browser.get("/").content.decode()
    assert (
        "Portail introuvable"
        in Client(HTTP_HOST="x.localhost", HTTP_ACCEPT_LANGUAGE="en").get("/").content.decode()
    )


def test_unknown_host_page_follows_the_chosen_language(calvados):
    visitor = Client(HTTP_HOST="x.localhost")
    visitor.cookies["django_language"] = "en"
    assert "Portal not found" in visitor.get("/").content.decode()
