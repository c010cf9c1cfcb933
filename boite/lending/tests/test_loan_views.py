"""The patron's pages (borrow, « Mes prêts », holds), the OPDS feeds and the staff pages
about loans, through complete HTTP requests."""

from __future__ import annotations

import base64
import json

import pytest
from django.core import mail

from boite.lending import loans as lending
from boite.lending.models import Hold, Loan
from boite.patrons.factories import make_patron

PASS = "sésame ouvre-toi"


@pytest.fixture
def licence(pnb_record, make_licence):
    return make_licence(pnb_record)


def _borrow_form(days=14):
    return {"days": days, "passphrase": PASS, "hint": "la formule"}


def test_the_record_page_offers_to_borrow_and_the_patron_borrows(
    client, login, patron_bayeux, pnb_record, licence, fake_dilicom
):
    page = client.get(pnb_record.get_absolute_url()).content.decode()
    assert "1 exemplaire disponible" in page
    login(client, patron_bayeux.user)
    form = client.get(f"/prets/emprunter/{pnb_record.pk}/")
    assert form.status_code == 200 and 'name="passphrase"' in form.content.decode()
    response = client.post(f"/prets/emprunter/{pnb_record.pk}/", _borrow_form())
    assert response.status_code == 302 and response["Location"] == "/compte/prets/"
    loan = Loan.objects.get()
    assert loan.state == Loan.State.ACTIVE
    mine = client.get("/compte/prets/").content.decode()
    assert pnb_record.title.replace("'", "&#x27;") in mine and loan.download_url in mine
    assert PASS not in mine


def test_bad_borrow_input_changes_nothing(client, login, patron_bayeux, pnb_record, licence):
    login(client, patron_bayeux.user)
    response = client.post(
        f"/prets/emprunter/{pnb_record.pk}/",
        {"days": 999, "passphrase": "abc", "hint": ""},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'aria-invalid="true"' in body and "errorlist" in body
    assert not Loan.objects.exists()


def test_no_copy_left_offers_a_hold(
    client, login, patron_bayeux, pnb_record, licence, bayeux_library
):
    other = make_patron(bayeux_library, email="other@example.org", card_number="B5")
    lending.borrow(other, pnb_record, other.network, lending.BorrowRequest(14, PASS, "indice"))
    login(client, patron_bayeux.user)
    response = client.post(f"/prets/emprunter/{pnb_record.pk}/", _borrow_form())
    assert response.status_code == 409
    assert "Plus d&#x27;exemplaire disponible, voulez-vous réserver ?" in response.content.decode()
    response = client.post(f"/prets/reserver/{pnb_record.pk}/")
    assert response.status_code == 302
    hold = Hold.objects.get(patron=patron_bayeux)
    page = client.get("/compte/prets/").content.decode()
    assert "Position dans la file d'attente : 1" in page
    client.post("/compte/prets/annuler-reservation/", {"hold": hold.pk})
    hold.refresh_from_db()
    assert hold.state == Hold.State.CANCELLED


def test_return_and_extend_from_my_loans(
    client, login, patron_bayeux, pnb_record, licence, fake_dilicom, bayeux_library, on_commit
):
    login(client, patron_bayeux.user)
    client.post(f"/prets/emprunter/{pnb_record.pk}/", _borrow_form(14))
    loan = Loan.objects.get()
    end = loan.ends_at
    client.post("/compte/prets/prolonger/", {"loan": str(loan.uuid), "days": 7})
    loan.refresh_from_db()
    assert (loan.ends_at - end).days == 7
    waiting = make_patron(bayeux_library, email="waiting@example.org", card_number="B6")
    lending.place_hold(waiting, pnb_record, waiting.network)
    mail.outbox.clear()
    with on_commit(execute=True):
        client.post("/compte/prets/rendre/", {"loan": str(loan.uuid)})
    loan.refresh_from_db()
    assert loan.state == Loan.State.RETURNED
    assert [m.to for m in mail.outbox] == [["waiting@example.org"]]


def test_a_patron_cannot_act_on_anothers_loan(
    client, login, patron_bayeux, pnb_record, licence, bayeux_library
):
    other = make_patron(bayeux_library, email="o2@example.org", card_number="B8")
    loan = lending.borrow(other, pnb_record, other.network, lending.BorrowRequest(14, PASS, "i"))
    login(client, patron_bayeux.user)
    assert client.post("/compte/prets/rendre/", {"loan": str(loan.uuid)}).status_code == 404
    assert client.post("/compte/prets/rendre/", {"loan": "nonsense"}).status_code == 404
    loan.refresh_from_db()
    assert loan.state == Loan.State.ACTIVE


def test_patron_pages_send_others_to_the_login(
    client, login, librarian_bayeux, pnb_record, licence
):
    for url in ("/compte/prets/", f"/prets/emprunter/{pnb_record.pk}/"):
        assert "connexion" in client.get(url)["Location"]
    login(client, librarian_bayeux)
    assert "connexion" in client.get("/compte/prets/")["Location"]


def test_a_record_without_licence_has_no_borrow_page(client, login, patron_bayeux, pnb_resource):
    from boite.catalog.models import Record

    record = Record.objects.create(resource=pnb_resource, provider_id="x", title="Sans licence")
    login(client, patron_bayeux.user)
    assert client.get(f"/prets/emprunter/{record.pk}/").status_code == 404


# -- OPDS -----------------------------------------------------------------------------------


def test_the_opds_collection_lists_the_lendable_titles(client, pnb_record, licence, pnb_resource):
    from boite.catalog.models import Record

    Record.objects.create(resource=pnb_resource, provider_id="y", title="Pas de licence")
    response = client.get("/opds/prets/catalogue.json")
    assert response["Content-Type"] == "application/opds+json"
    feed = json.loads(response.content)
    titles = [p["metadata"]["title"] for p in feed["publications"]]
    assert titles == [pnb_record.title]
    links = feed["publications"][0]["links"]
    assert any(link["rel"] == "http://opds-spec.org/acquisition/borrow" for link in links)


def _basic(identifier, secret):
    return "Basic " + base64.b64encode(f"{identifier}:{secret}".encode()).decode()


def test_the_loans_feed_needs_the_patrons_login(client, patron_bayeux, pnb_record, licence):
    from conftest import PASSWORD

    loan = lending.borrow(
        patron_bayeux, pnb_record, patron_bayeux.network, lending.BorrowRequest(14, PASS, "i")
    )
    anonymous = client.get("/opds/prets/mes-prets.json")
    assert anonymous.status_code == 401 and "Basic" in anonymous["WWW-Authenticate"]
    wrong = client.get(
        "/opds/prets/mes-prets.json",
        HTTP_AUTHORIZATION=_basic(patron_bayeux.email, "wrong"),
    )
    assert wrong.status_code == 401
    right = client.get(
        "/opds/prets/mes-prets.json",
        HTTP_AUTHORIZATION=_basic(patron_bayeux.email, PASSWORD),
    )
    feed = json.loads(right.content)
    [publication] = feed["publications"]
    acquisition = publication["links"][-1]
    assert acquisition["href"] == loan.download_url
    assert acquisition["type"] == "application/vnd.readium.lcp.license.v1.0+json"


def test_the_loans_feed_of_one_portal_does_not_open_with_the_other(
    caen_client, patron_bayeux, pnb_record, licence
):
    from conftest import PASSWORD

    response = caen_client.get(
        "/opds/prets/mes-prets.json", HTTP_AUTHORIZATION=_basic(patron_bayeux.email, PASSWORD)
    )
    assert response.status_code == 401


# -- staff --------------------------------------------------------------------------------------

STAFF_PAGES = ["/gestion/prets/suggestions/", "/gestion/prets/titres/"]


@pytest.fixture
def queue(pnb_record, licence, patron_bayeux, bayeux_library):
    lending.borrow(
        patron_bayeux, pnb_record, patron_bayeux.network, lending.BorrowRequest(14, PASS, "i")
    )
    for i in range(2):
        waiting = make_patron(bayeux_library, email=f"w{i}@example.org", card_number=f"W{i}")
        lending.place_hold(waiting, pnb_record, waiting.network)


def test_purchase_suggestions_list_titles_with_a_longer_queue(
    client, login, librarian_bayeux, queue, pnb_record
):
    login(client, librarian_bayeux)
    page = client.get("/gestion/prets/suggestions/").content.decode()
    assert "L&#x27;Étranger" in page and "<td>2</td><td>1</td>" in page


def test_loans_per_title_names_no_one(client, login, librarian_lisieux, queue, patron_bayeux):
    login(client, librarian_lisieux)
    page = client.get("/gestion/prets/titres/").content.decode()
    assert "L&#x27;Étranger" in page
    assert patron_bayeux.user.last_name not in page and patron_bayeux.email not in page


@pytest.mark.parametrize("url", STAFF_PAGES)
def test_staff_loan_pages_refusals(client, login, url, queue, admin_caen, librarian_caen, outsider):
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]
    for user in (admin_caen, librarian_caen, outsider):
        login(client, user)
        assert client.get(url).status_code == 403, user


def test_lending_rules_in_the_back_office_are_each_networks(
    client, login, admin_calvados, admin_caen, librarian_bayeux, outsider, calvados, caen_network
):
    from boite.lending.models import LendingRules

    caen_rules = LendingRules.objects.create(network=caen_network, max_loans=5)
    login(client, admin_calvados)
    response = client.post(
        "/admin/lending/lendingrules/add/",
        {
            "network": calvados.pk,
            "max_loans": 4,
            "max_loans_per_month": 8,
            "max_holds": 2,
            "hold_window_hours": 48,
        },
    )
    assert response.status_code == 302
    assert LendingRules.for_network(calvados).hold_window_hours == 48
    assert client.get(f"/admin/lending/lendingrules/{caen_rules.pk}/change/").status_code in (
        302,
        404,
    )
    for user in (librarian_bayeux, outsider):
        login(client, user)
        assert client.get("/admin/lending/lendingrules/").status_code in (302, 403)
    login(client, admin_caen)
    page = client.get("/admin/lending/lendingrules/").content.decode()
    assert "Caen" in page and "Boîte numérique" not in page.split("result_list")[-1]


def test_the_loans_feed_locks_out_after_repeated_wrong_passwords(client, patron_bayeux, settings):
    from conftest import PASSWORD

    for _ in range(6):
        client.get(
            "/opds/prets/mes-prets.json", HTTP_AUTHORIZATION=_basic(patron_bayeux.email, "nope")
        )
    right = client.get(
        "/opds/prets/mes-prets.json", HTTP_AUTHORIZATION=_basic(patron_bayeux.email, PASSWORD)
    )
    assert right.status_code == 401
