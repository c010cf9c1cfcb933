"""Staff journeys end to end in Chromium: the librarian of Bayeux imports her patrons from
the library system's export — upload, read the preview (nothing written yet), apply —
then finds them in her queue. A bad row is shown and refused, and an import of the
same file again changes nothing. (Validation of a registration: test_keyboard.py and
boite/patrons/tests/test_browser.py.)"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

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
