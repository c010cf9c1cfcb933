"""Staff journeys end to end in Chromium: the librarian of Bayeux imports her patrons from
the library system's export — upload, read the preview (nothing written yet), apply —
then finds them in her queue. A bad row is shown and refused, and an import of the
same file again changes nothing. The network administrator harvests a resource from its
provider (a file served on 127.0.0.1), reads the run's report, finds the titles in the
portal's search, and sees a failed harvest leave the catalogue as it was. (Validation of
a registration: test_keyboard.py and boite/patrons/tests/test_browser.py.)"""

from __future__ import annotations

import functools
import re
import shutil
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect

from boite.catalog import demo as catalog_demo
from boite.catalog.categories import Category
from boite.catalog.models import HarvestRun, Provider, Resource
from boite.patrons.models import Patron, PatronEvent
from conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EXPORT = (
    "N° carte;Nom;Prénom;Date de naissance;Courriel;Fin abonnement\n"
    "BAY-7001;Lemoine;Chloé;12/04/1979;chloe.lemoine@example.org;31/12/2027\n"
    "BAY-7002;Hamel;Hugo;03/09/2001;hugo.hamel@example.org;30/06/2027\n"
    "BAY-7003;Osmont;Zoé;27/01/1990;;15/03/2028\n"
    "BAY-7004;Sans date;Inès;01/01/1990;ines@example.org;pas une date\n"
)


def test_librarian_imports_patrons_from_the_ils(page, tmp_path, bayeux_library, librarian_bayeux):
    export = tmp_path / "export-orphee.csv"
    export.write_bytes(EXPORT.encode("cp1252"))  # what Orphée and Koha often write

    page.goto("/admin/login/?next=/gestion/usagers/")
    page.get_by_label("Nom d’utilisateur").fill(librarian_bayeux.username)
    page.get_by_label("Mot de passe", exact=False).fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("link", name="Importer depuis le SIGB").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Importer des usagers depuis le SIGB")

    page.get_by_label("Bibliothèque").select_option(label=bayeux_library.name)
    page.get_by_label("Export du SIGB (CSV ou TSV)").set_input_files(export)
    page.get_by_role("button", name="Aperçu").click()
    expect(page.get_by_role("status")).to_have_text(
        "3 à créer, 0 à mettre à jour, 0 inchangé(s), 1 refusée(s)."
    )
    refused = page.get_by_role("table", name="Lignes refusées")
    expect(refused.get_by_role("row")).to_have_count(2)  # header + the bad row
    expect(refused).to_contain_text("BAY-7004")
    assert not Patron.objects.filter(card_number__startswith="BAY-7").exists()  # a preview

    page.get_by_role("button", name="Appliquer l’import").click()
    expect(page.get_by_text("Import terminé : 3 créé(s), 0 mis à jour")).to_be_visible()
    imported = Patron.objects.filter(card_number__startswith="BAY-7")
    assert sorted(imported.values_list("card_number", flat=True)) == [
        "BAY-7001",
        "BAY-7002",
        "BAY-7003",
    ]
    assert {p.home_library_id for p in imported} == {bayeux_library.pk}
    assert imported.get(card_number="BAY-7001").user.first_name == "Chloé"  # Windows-1252 read
    assert (
        PatronEvent.objects.filter(
            patron__in=imported, kind=PatronEvent.Kind.IMPORTED, actor=librarian_bayeux
        ).count()
        == 3
    )

    # The same export again: nothing to create, nothing changed.
    page.get_by_role("link", name="Importer depuis le SIGB").click()
    page.get_by_label("Bibliothèque").select_option(label=bayeux_library.name)
    page.get_by_label("Export du SIGB (CSV ou TSV)").set_input_files(export)
    page.get_by_role("button", name="Aperçu").click()
    expect(page.get_by_role("status")).to_have_text(
        "0 à créer, 0 à mettre à jour, 3 inchangé(s), 1 refusée(s)."
    )
    page.get_by_role("button", name="Appliquer l’import").click()
    expect(
        page.get_by_text("Import terminé : 0 créé(s), 0 mis à jour, 3 inchangé(s)")
    ).to_be_visible()
    assert imported.count() == 3


class _QuietFiles(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def provider_site(tmp_path):
    """A provider's export folder served over HTTP on 127.0.0.1: `(folder, base URL)`."""
    folder = tmp_path / "site"
    folder.mkdir()
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_QuietFiles, directory=str(folder))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield folder, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_network_admin_harvests_a_resource_and_reads_the_result(
    page, search_index, provider_site, calvados, admin_calvados
):
    folder, base = provider_site
    shutil.copy(catalog_demo.FIXTURES / "cafeyn.csv", folder / "catalogue.csv")
    provider = Provider.objects.create(name="Cafeyn", slug="cafeyn")
    cafeyn = Resource.objects.create(
        provider=provider,
        name="Cafeyn",
        slug="cafeyn",
        category=Category.PRESS,
        harvest_format="csv",
        harvest_source=f"{base}/catalogue.csv",
        owner=calvados,
    )
    cafeyn.networks.set([calvados])

    page.goto("/admin/login/?next=/gestion/catalogue/")
    page.get_by_label("Nom d’utilisateur").fill(admin_calvados.username)
    page.get_by_label("Mot de passe", exact=False).fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Moissonnage du catalogue")
    expect(page.get_by_text("Aucun moissonnage pour le moment.")).to_be_visible()

    # A full harvest: the run's page says it succeeded and what it did.
    page.get_by_role("link", name="Moissonner Cafeyn").click()
    expect(page.get_by_text(f"{base}/catalogue.csv")).to_be_visible()
    page.get_by_label("complet").check()
    page.get_by_role("button", name="Lancer le moissonnage").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Moissonnage de Cafeyn")
    status = page.locator("#run-status")
    expect(status).to_contain_text("État : réussi")
    report = page.get_by_role("table", name="Rapport du moissonnage")
    expect(report.get_by_role("row", name="Créées").get_by_role("cell")).to_have_text("8")
    expect(report.get_by_role("row", name="Rejetées").get_by_role("cell")).to_have_text("0")
    run = HarvestRun.objects.get()
    assert (run.status, run.created, run.started_by) == (
        HarvestRun.Status.SUCCEEDED,
        8,
        admin_calvados,
    )

    # The titles are in the portal's search at once (staff pages have no catalogue
    # search: the public portal has).
    page.get_by_role("link", name="Portail public").click()
    page.get_by_label("Recherche rapide").fill("Ouest-France")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text("1 résultat")
    expect(page.get_by_role("link", name="Ouest-France")).to_be_visible()

    # The provider changes its export's columns: the next harvest fails, says why,
    # and the catalogue keeps its eight titles.
    (folder / "catalogue.csv").write_text("ref;intitule\ncaf-99;Nouveau titre\n")
    page.goto("/gestion/catalogue/")
    page.get_by_role("link", name="Moissonner Cafeyn").click()
    page.get_by_role("button", name="Lancer le moissonnage").click()
    expect(status).to_contain_text("État : échoué")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Source illisible : colonnes manquantes : id, titre")
    expect(alert).to_contain_text("Le catalogue est resté tel qu’il était avant ce moissonnage.")
    assert cafeyn.records.filter(withdrawn=False).count() == 8

    # Both runs are listed, the latest first.
    page.get_by_role("link", name="Retour au moissonnage").click()
    runs = page.get_by_role("table", name="Les 30 derniers moissonnages")
    expect(runs.get_by_role("row")).to_have_count(3)  # header + 2 runs
    expect(runs.get_by_role("row").nth(1)).to_contain_text("échoué")
    expect(runs.get_by_role("row").nth(2)).to_contain_text("réussi")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("persona", ["librarian_bayeux", "admin_calvados", "finance_officer"])
def test_each_roles_first_screen_after_login_is_its_desk(request, page, persona):
    from playwright.sync_api import expect

    from conftest import PASSWORD

    user = request.getfixturevalue(persona)
    user.set_password(PASSWORD)
    user.save()
    page.goto("/admin/login/")
    page.get_by_label("Nom d’utilisateur").fill(user.username)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_label("Mot de passe").press("Enter")
    expect(page).to_have_url(re.compile(r"/gestion/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon bureau")
    menu = page.get_by_role("navigation", name="Espace de gestion")
    expect(menu.get_by_role("link", name="Mon bureau")).to_have_attribute("aria-current", "page")
