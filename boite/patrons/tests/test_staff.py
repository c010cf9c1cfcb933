from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from boite.patrons.factories import make_patron
from boite.patrons.models import Patron, PatronEvent

pytestmark = pytest.mark.django_db
State = Patron.State

ACTIONS = {
    "valider": {"approve-card_number": "B-77", "approve-expires_on": "2099-01-01"},
    "refuser": {"reject-reason": "Justificatif illisible"},
    "document": {"document-message": "Un justificatif de domicile"},
    "renouveler": {"renew-expires_on": "2099-01-01"},
    "suspendre": {"suspend-reason": "Abus"},
    "retablir": {},
    "bibliotheque": {},
}


@pytest.fixture
def pending(bayeux_library):
    return make_patron(
        bayeux_library, state=State.TRIAL, email="attente@example.org", last_name="Attente"
    )


def _snapshot(patron):
    patron.refresh_from_db()
    return (
        patron.state,
        patron.card_number,
        patron.expires_on,
        patron.home_library_id,
        patron.events.count(),
    )


# -- refusals: one test per staff view and persona ---------------------------------
@pytest.fixture(params=["librarian_lisieux", "admin_caen", "outsider", "anonymous"])
def stranger(request):
    if request.param == "anonymous":
        return Client(HTTP_HOST="localhost"), request.param
    user = request.getfixturevalue(request.param)
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    return client, request.param


def _refused(response, who):
    if who == "anonymous":
        return response.status_code == 302 and "/login/" in response["Location"]
    if who == "outsider":
        return response.status_code == 403
    return response.status_code == 404


def test_strangers_do_not_see_the_patron_in_the_queue_or_search(stranger, pending, lisieux_library):
    client, who = stranger
    for response in [
        client.get("/gestion/usagers/"),
        client.post("/gestion/usagers/", {"q": "attente"}),
    ]:
        if who in ("anonymous", "outsider"):
            assert _refused(response, who)
        else:
            assert response.status_code == 200
            assert "Attente" not in response.content.decode()


def test_strangers_cannot_view_a_patron(stranger, pending):
    client, who = stranger
    response = client.get(f"/gestion/usagers/{pending.pk}/")
    assert _refused(response, who)


@pytest.mark.parametrize("action", ACTIONS)
def test_strangers_cannot_validate_or_change_a_patron(
    stranger, pending, lisieux_library, action, on_commit
):
    client, who = stranger
    if action == "suspendre" or action == "renouveler" or action == "retablir":
        pending.state, pending.validated_at = (
            State.SUSPENDED if action == "retablir" else State.ACTIVE,
            timezone.now(),
        )
        pending.expires_on = timezone.localdate() + timedelta(days=10)
        pending.save()
    data = dict(ACTIONS[action])
    if action == "bibliotheque":
        data["move-library"] = lisieux_library.pk
    before = _snapshot(pending)
    with on_commit(execute=True):
        response = client.post(f"/gestion/usagers/{pending.pk}/{action}/", data)
    assert _refused(response, who)
    assert _snapshot(pending) == before
    assert not mail.outbox


def test_strangers_cannot_export_the_patrons(stranger, pending):
    client, who = stranger
    response = client.get("/gestion/usagers/export.csv")
    if who in ("anonymous", "outsider"):
        assert _refused(response, who)
    else:
        assert response.status_code == 200
        assert "attente@example.org" not in response.content.decode("utf-8-sig")


def test_strangers_cannot_import_into_another_library(stranger, pending, bayeux_library):
    client, who = stranger
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("x.csv", b"carte;nom;prenom;fin_abonnement\nZ-9;A;B;01/01/2099\n")
    response = client.post(
        "/gestion/usagers/import/", {"library": bayeux_library.pk, "file": upload}
    )
    if who in ("anonymous", "outsider"):
        assert _refused(response, who)
    else:
        assert response.status_code == 200
        # A hyphen never appears in a CSRF token, so this cannot match by chance.
        assert "Z-9" not in response.content.decode()
        client.post("/gestion/usagers/import/", {"apply": "1"})
    assert not Patron.objects.filter(card_number="Z-9").exists()


def test_network_admin_of_the_other_network_sees_nothing_in_the_admin(login, admin_caen, pending):
    client = login(Client(HTTP_HOST="localhost"), admin_caen)
    assert client.get(f"/admin/patrons/patron/{pending.pk}/change/").status_code in (302, 404)
    page = client.get("/admin/patrons/patron/").content.decode()
    assert "Attente" not in page


@pytest.mark.parametrize("who", ["librarian_lisieux", "outsider"])
def test_others_cannot_open_the_patron_in_the_admin(request, who, pending):
    client = Client(HTTP_HOST="localhost")
    client.force_login(request.getfixturevalue(who))
    response = client.get(f"/admin/patrons/patron/{pending.pk}/change/")
    assert response.status_code in (302, 403, 404)
    assert "attente@example.org" not in response.content.decode()


def test_librarian_sees_own_patron_in_the_admin(login, librarian_bayeux, pending):
    client = login(Client(HTTP_HOST="localhost"), librarian_bayeux)
    assert client.get(f"/admin/patrons/patron/{pending.pk}/change/").status_code == 200


# -- the work of the home library --------------------------------------------------
@pytest.fixture
def bayeux_staff(login, librarian_bayeux):
    return login(Client(HTTP_HOST="localhost"), librarian_bayeux)


def test_queue_lists_own_library_only(bayeux_staff, pending, lisieux_library, patron_bayeux):
    make_patron(lisieux_library, state=State.AWAITING, last_name="Lexovien")
    page = bayeux_staff.get("/gestion/usagers/").content.decode()
    assert "Attente" in page and "Lexovien" not in page
    assert "Hébert" not in page  # active patrons are not in the queue
    assert "Hébert" in bayeux_staff.post("/gestion/usagers/", {"q": "hebert"}).content.decode()
    assert "<caption>" in page and 'scope="col"' in page


def test_network_admin_sees_the_whole_networks_queue(
    login, admin_calvados, pending, lisieux_library
):
    make_patron(lisieux_library, state=State.AWAITING, last_name="Lexovien")
    client = login(Client(HTTP_HOST="localhost"), admin_calvados)
    page = client.get("/gestion/usagers/").content.decode()
    assert "Attente" in page and "Lexovien" in page


def test_approve_with_default_expiry_and_email(bayeux_staff, pending, librarian_bayeux, on_commit):
    page = bayeux_staff.get(f"/gestion/usagers/{pending.pk}/").content.decode()
    default = (timezone.localdate() + timedelta(days=365)).isoformat()
    assert f'value="{default}"' in page
    with on_commit(execute=True):
        response = bayeux_staff.post(
            f"/gestion/usagers/{pending.pk}/valider/",
            {"approve-card_number": "B-77", "approve-expires_on": default},
        )
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.state == State.ACTIVE and pending.card_number == "B-77"
    assert pending.expires_on.isoformat() == default and pending.is_active_on()
    event = pending.events.get(kind=PatronEvent.Kind.APPROVED)
    assert event.actor == librarian_bayeux
    assert mail.outbox[-1].to == ["attente@example.org"] and "validée" in mail.outbox[-1].subject


def test_approve_refuses_a_card_number_already_used(bayeux_staff, pending, patron_bayeux):
    response = bayeux_staff.post(
        f"/gestion/usagers/{pending.pk}/valider/",
        {"approve-card_number": patron_bayeux.card_number, "approve-expires_on": "2099-01-01"},
    )
    assert response.status_code == 400
    assert "déjà utilisé" in response.content.decode()
    assert _snapshot(pending)[0] == State.TRIAL


def test_reject_with_reason(bayeux_staff, pending, on_commit):
    with on_commit(execute=True):
        bayeux_staff.post(
            f"/gestion/usagers/{pending.pk}/refuser/", {"reject-reason": "Hors commune"}
        )
    pending.refresh_from_db()
    assert pending.state == State.REJECTED and pending.state_reason == "Hors commune"
    assert "Hors commune" in mail.outbox[-1].body


def test_ask_for_a_document(bayeux_staff, pending, on_commit):
    with on_commit(execute=True):
        bayeux_staff.post(
            f"/gestion/usagers/{pending.pk}/document/", {"document-message": "Pièce d'identité"}
        )
    pending.refresh_from_db()
    assert pending.document_requested and pending.state == State.TRIAL
    assert "Pièce d'identité" in mail.outbox[-1].body


def test_renew_and_suspend_and_reinstate(bayeux_staff, patron_bayeux, on_commit):
    url = f"/gestion/usagers/{patron_bayeux.pk}/"
    with on_commit(execute=True):
        bayeux_staff.post(url + "renouveler/", {"renew-expires_on": "2099-06-30"})
    patron_bayeux.refresh_from_db()
    assert patron_bayeux.expires_on.isoformat() == "2099-06-30"
    with on_commit(execute=True):
        bayeux_staff.post(url + "suspendre/", {"suspend-reason": "Fraude"})
    patron_bayeux.refresh_from_db()
    assert patron_bayeux.state == State.SUSPENDED and not patron_bayeux.is_active_on()
    with on_commit(execute=True):
        bayeux_staff.post(url + "retablir/")
    patron_bayeux.refresh_from_db()
    assert patron_bayeux.state == State.ACTIVE
    page = bayeux_staff.get(url).content.decode()
    for word in ["renouvelé", "suspendu", "rétabli"]:
        assert word in page
    assert len(mail.outbox) == 3


def test_renew_in_the_past_is_refused(bayeux_staff, patron_bayeux):
    before = _snapshot(patron_bayeux)
    response = bayeux_staff.post(
        f"/gestion/usagers/{patron_bayeux.pk}/renouveler/", {"renew-expires_on": "2001-01-01"}
    )
    assert response.status_code == 400 and "passé" in response.content.decode()
    assert _snapshot(patron_bayeux) == before


def test_change_library_moves_the_patron_into_the_other_queue(
    bayeux_staff, pending, lisieux_library, login, librarian_lisieux, on_commit
):
    with on_commit(execute=True):
        response = bayeux_staff.post(
            f"/gestion/usagers/{pending.pk}/bibliotheque/", {"move-library": lisieux_library.pk}
        )
    assert response["Location"] == "/gestion/usagers/"
    assert bayeux_staff.get(f"/gestion/usagers/{pending.pk}/").status_code == 404
    lisieux = login(Client(HTTP_HOST="localhost"), librarian_lisieux)
    assert "Attente" in lisieux.get("/gestion/usagers/").content.decode()
    assert "André Malraux" in mail.outbox[-1].body


def test_change_library_refuses_a_library_of_another_network(bayeux_staff, pending, caen_library):
    response = bayeux_staff.post(
        f"/gestion/usagers/{pending.pk}/bibliotheque/", {"move-library": caen_library.pk}
    )
    assert response.status_code == 400
    assert _snapshot(pending)[3] == pending.home_library_id


def test_export_has_own_patrons(bayeux_staff, pending, patron_caen):
    text = bayeux_staff.get("/gestion/usagers/export.csv").content.decode("utf-8-sig")
    assert "attente@example.org" in text and patron_caen.email not in text


def test_staff_menu_has_the_patrons_entry(bayeux_staff):
    assert 'href="/gestion/usagers/"' in bayeux_staff.get("/gestion/usagers/").content.decode()


def test_history_shows_events_without_an_actor(bayeux_staff, pending):
    pending.log(PatronEvent.Kind.REGISTERED)
    page = bayeux_staff.get(f"/gestion/usagers/{pending.pk}/").content.decode()
    assert "inscription en ligne" in page and "<caption>Historique</caption>" in page


def test_patron_rules_admin_is_the_networks_own(login, admin_caen, admin_calvados, calvados):
    from boite.patrons.models import PatronRules

    rules = PatronRules.objects.create(network=calvados, trial_days=21)
    url = f"/admin/patrons/patronrules/{rules.pk}/change/"
    other = login(Client(HTTP_HOST="localhost"), admin_caen)
    assert other.get(url).status_code in (302, 404)
    own = login(Client(HTTP_HOST="localhost"), admin_calvados)
    assert own.get(url).status_code == 200


@pytest.mark.parametrize("who", ["librarian_bayeux", "outsider"])
def test_librarians_and_outsiders_cannot_change_patron_rules(request, who, calvados):
    from boite.patrons.models import PatronRules

    rules = PatronRules.objects.create(network=calvados)
    client = Client(HTTP_HOST="localhost")
    client.force_login(request.getfixturevalue(who))
    response = client.post(f"/admin/patrons/patronrules/{rules.pk}/change/", {"trial_days": 99})
    assert response.status_code in (302, 403, 404)
    rules.refresh_from_db()
    assert rules.trial_days == 21


def test_search_is_posted_so_names_stay_out_of_urls(bayeux_staff, patron_bayeux):
    page = bayeux_staff.get("/gestion/usagers/").content.decode()
    assert '<form method="post" action="/gestion/usagers/"' in page
    assert "Hébert" not in bayeux_staff.get("/gestion/usagers/?q=hebert").content.decode()
    found = bayeux_staff.post("/gestion/usagers/", {"q": "BAY0001"}).content.decode()
    assert "Hébert" in found and "1 usager trouvé" in found


def test_a_patron_named_like_a_formula_comes_out_inert_in_the_export(bayeux_staff, bayeux_library):
    import csv
    import io

    formula = '=HYPERLINK("http://x","y")'
    make_patron(bayeux_library, email="formule@example.org", last_name=formula, first_name="-1+2")
    text = bayeux_staff.get("/gestion/usagers/export.csv").content.decode("utf-8-sig")
    row = next(
        r for r in csv.reader(io.StringIO(text), delimiter=";") if "formule@example.org" in r
    )
    assert row[1:3] == ["'" + formula, "'-1+2"]
