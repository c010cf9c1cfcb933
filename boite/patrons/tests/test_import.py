import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Sum
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from boite.patrons import importer
from boite.patrons.models import Patron
from boite.stats.events import stats_pseudonym
from boite.stats.models import DailyCount, Event, EventKind
from boite.stats.rollup import rollup

pytestmark = pytest.mark.django_db

ORPHEE = (
    "N° carte;Nom;Prénom;Date de naissance;Courriel;Fin abonnement;Bibliothèque\n"
    "B100;Lemaître;Élodie;02/03/1980;elodie@example.org;31/12/2099;MEDIAT\n"
    "B101;Dupont;Marc;;;31/12/2099;MEDIAT\n"
    "B102;Autre;Lieu;;;31/12/2099;MALRAU\n"
    "B103;Sans;Date;;;bientôt;MEDIAT\n"
)
KOHA = (
    "cardnumber\tsurname\tfirstname\tdateofbirth\temail\tdateexpiry\tbranchcode\n"
    "K1\tMartin\tZoé\t1999-01-02\tzoe@example.org\t2099-01-01\tMEDIAT\n"
)


@pytest.fixture
def staff(login, librarian_bayeux):
    return login(Client(HTTP_HOST="localhost"), librarian_bayeux)


def _upload(staff, library, content: bytes, name="export.csv"):
    return staff.post(
        "/gestion/usagers/import/",
        {"library": library.pk, "file": SimpleUploadedFile(name, content)},
    )


def test_preview_writes_nothing_and_lists_row_errors(staff, bayeux_library):
    response = _upload(staff, bayeux_library, ORPHEE.encode("cp1252"))
    page = response.content.decode()
    assert "2 à créer" in page and "2 refusée" in page
    assert "autre bibliothèque" in page and "pas une date" in page
    assert not Patron.objects.exists()


def test_apply_then_reimport_changes_nothing(staff, bayeux_library):
    _upload(staff, bayeux_library, ORPHEE.encode("utf-8"))
    staff.post("/gestion/usagers/import/", {"apply": "1"})
    created = Patron.objects.get(card_number="B100")
    assert created.user.first_name == "Élodie" and created.birth_date.isoformat() == "1980-03-02"
    assert created.state == Patron.State.ACTIVE and created.home_library == bayeux_library
    assert Patron.objects.count() == 2
    events = created.events.count()
    page = _upload(staff, bayeux_library, ORPHEE.encode("utf-8")).content.decode()
    assert "0 à créer, 0 à mettre à jour, 2 inchangé" in page
    staff.post("/gestion/usagers/import/", {"apply": "1"})
    assert Patron.objects.count() == 2 and created.events.count() == events


def test_koha_tsv_with_update(staff, bayeux_library):
    _upload(staff, bayeux_library, KOHA.encode("utf-8"), "koha.tsv")
    staff.post("/gestion/usagers/import/", {"apply": "1"})
    assert Patron.objects.get(card_number="K1").expires_on.isoformat() == "2099-01-01"
    changed = KOHA.replace("2099-01-01", "2098-06-30")
    assert "1 à mettre à jour" in _upload(staff, bayeux_library, changed.encode()).content.decode()
    staff.post("/gestion/usagers/import/", {"apply": "1"})
    assert Patron.objects.get(card_number="K1").expires_on.isoformat() == "2098-06-30"


def test_card_of_a_patron_of_another_library_is_refused(staff, bayeux_library, lisieux_library):
    from boite.patrons.factories import make_patron

    make_patron(lisieux_library, card_number="K1")
    page = _upload(staff, bayeux_library, KOHA.encode()).content.decode()
    assert "patron d’une autre bibliothèque" in page or "usager d’une autre bibliothèque" in page


def test_missing_columns_are_named(staff, bayeux_library):
    page = _upload(staff, bayeux_library, b"nom;prenom\nA;B\n").content.decode()
    assert "Colonnes manquantes" in page and "numéro de carte" in page


def test_binary_file_is_refused(staff, bayeux_library):
    page = _upload(staff, bayeux_library, b"\x00\x01\x02PK").content.decode()
    assert "pas un fichier texte" in page


def test_stale_apply_is_explained(staff, bayeux_library):
    response = staff.post("/gestion/usagers/import/", {"apply": "1"}, follow=True)
    assert "expiré" in response.content.decode()


def test_decode_windows_1252():
    assert importer.decode("Prénom".encode("cp1252")) == "Prénom"
    assert importer.decode("\ufeffPrénom".encode("utf-8")) == "Prénom"


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=300))
def test_any_bytes_give_a_plan_or_a_clear_error(bayeux_library, raw):
    try:
        result = importer.plan(importer.decode(raw), bayeux_library)
    except importer.ImportFileError as error:
        assert error.message
    else:
        assert all(r.action in ("create", "update", "unchanged", "error") for r in result.rows)


def test_import_keeps_a_suspension(staff, bayeux_library):
    from boite.patrons.factories import make_patron

    make_patron(bayeux_library, card_number="K1", state=Patron.State.SUSPENDED)
    _upload(staff, bayeux_library, KOHA.encode())
    staff.post("/gestion/usagers/import/", {"apply": "1"})
    assert Patron.objects.get(card_number="K1").state == Patron.State.SUSPENDED


def test_each_patron_an_import_creates_counts_as_one_registration(staff, bayeux_library):
    _upload(staff, bayeux_library, ORPHEE.encode("utf-8"))
    staff.post("/gestion/usagers/import/", {"apply": "1"})
    created = Patron.objects.filter(home_library=bayeux_library)
    registrations = Event.objects.filter(kind=EventKind.REGISTRATION)
    assert sorted(registrations.values_list("patron", flat=True)) == sorted(
        stats_pseudonym(p.pseudonym) for p in created
    )
    elodie = registrations.get(patron=stats_pseudonym(created.get(card_number="B100").pseudonym))
    assert (elodie.network, elodie.library, elodie.commune, elodie.age_band) == (
        bayeux_library.network,
        bayeux_library,
        bayeux_library.authority,
        "26-64",
    )

    # The same file again: nobody new, no event.
    _upload(staff, bayeux_library, ORPHEE.encode("utf-8"))
    staff.post("/gestion/usagers/import/", {"apply": "1"})
    assert registrations.count() == 2

    # Updated rows are not new patrons; a new row is.
    changed = ORPHEE.replace("31/12/2099;MEDIAT", "30/06/2099;MEDIAT") + (
        "B104;Nouvelle;Lectrice;;;31/12/2099;MEDIAT\n"
    )
    page = _upload(staff, bayeux_library, changed.encode("utf-8")).content.decode()
    assert "1 à créer, 2 à mettre à jour" in page
    staff.post("/gestion/usagers/import/", {"apply": "1"})
    assert registrations.count() == 3
    assert registrations.filter(
        patron=stats_pseudonym(Patron.objects.get(card_number="B104").pseudonym)
    ).exists()

    # The statistics count them among the new patrons of the library.
    today = timezone.localdate()
    rollup(today, today)
    new_patrons = DailyCount.objects.filter(kind=EventKind.REGISTRATION, library=bayeux_library)
    assert new_patrons.aggregate(n=Sum("count"))["n"] == 3
