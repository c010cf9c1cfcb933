"""Staff pages of the licences, the CSV export, the back office and the public help."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from boite.lending.models import DistributorAccount, Licence, SyncRun
from boite.lending.tests.fakes import FakeLoan

LIST = "/gestion/prets/"
CSV = "/gestion/prets/export.csv"
RUNS = "/gestion/prets/synchronisations/"


@pytest.fixture
def account(db, calvados, caen_network):
    account = DistributorAccount.objects.create(
        name="Dilicom PNB",
        kind="dilicom",
        base_url="http://127.0.0.1:9/",
        login="3025594195400",
        owner=calvados,
    )
    account.networks.set([calvados, caen_network])
    return account


@pytest.fixture
def licences(account, calvados, caen_network):
    now = timezone.now()
    shared = Licence.objects.create(
        account=account,
        distributor_key="OL-1",
        ean="9782070368228",
        title="L'Étranger",
        loans_total=30,
        loans_left=12,
        concurrent_max=2,
        concurrent_in_use=1,
        valid_until=now + timedelta(days=40),
    )
    shared.networks.set([calvados, caen_network])
    caen_only = Licence.objects.create(
        account=account,
        distributor_key="OL-2",
        ean="9782210108431",
        title="Madame Bovary (Caen)",
        loans_total=10,
        loans_left=10,
        valid_until=now + timedelta(days=900),
        format=Licence.Format.AUDIOBOOK,
    )
    caen_only.networks.set([caen_network])
    calvados_only = Licence.objects.create(
        account=account,
        distributor_key="OL-3",
        ean="9782330005726",
        title="Pêcheur d'Islande",
        loans_total=25,
        loans_left=0,
        state=Licence.State.EXHAUSTED,
    )
    calvados_only.networks.set([calvados])
    return shared, caen_only, calvados_only


def test_network_admin_sees_the_licences_of_the_network(client, login, admin_calvados, licences):
    login(client, admin_calvados)
    response = client.get(LIST)
    assert response.status_code == 200
    page = response.content.decode()
    assert "L&#x27;Étranger" in page and "Pêcheur d&#x27;Islande" in page
    assert "Madame Bovary" not in page
    assert "12 / 30" in page and "1 / 2" in page
    assert "expire bientôt" in page  # 40 days left: within 3 months, said in words


def test_library_staff_may_view_too(client, login, librarian_bayeux, librarian_lisieux, licences):
    for librarian in (librarian_bayeux, librarian_lisieux):
        login(client, librarian)
        assert client.get(LIST).status_code == 200
        assert client.get(RUNS).status_code == 200
        assert "PNB" in client.get(LIST).content.decode()


def test_the_shared_licence_appears_on_both_portals(caen_client, login, admin_caen, licences):
    login(caen_client, admin_caen)
    page = caen_client.get(LIST).content.decode()
    assert "L&#x27;Étranger" in page and "Madame Bovary (Caen)" in page
    assert "Pêcheur" not in page


@pytest.mark.parametrize("url", [LIST, CSV, RUNS])
def test_refusals(client, login, url, licences, admin_caen, librarian_caen, outsider, editor):
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/admin/login/" in anonymous["Location"]
    for user in (admin_caen, librarian_caen, outsider, editor):
        login(client, user)
        assert client.get(url).status_code == 403, user
    assert not client.get(url).content.startswith(b"\xef\xbb\xbf")


def test_filters(client, login, admin_calvados, licences):
    login(client, admin_calvados)
    expiring = client.get(LIST, {"expiring": "on"}).content.decode()
    assert "L&#x27;Étranger" in expiring and "Pêcheur" not in expiring
    by_ean = client.get(LIST, {"q": "978-2330005726"}).content.decode()
    assert "Pêcheur" in by_ean and "Étranger" not in by_ean
    exhausted = client.get(LIST, {"state": "exhausted"}).content.decode()
    assert "Pêcheur" in exhausted and "Étranger" not in exhausted
    bad = client.get(LIST, {"state": "nonsense"})
    assert bad.status_code == 200
    page = bad.content.decode()
    assert "nonsense" in page  # the error names the wrong choice
    assert 'aria-describedby="id_state-error"' in page and 'id="id_state-error"' in page


def test_csv_export(client, login, admin_calvados, licences):
    login(client, admin_calvados)
    response = client.get(CSV)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][:3] == ["EAN", "Titre", "Format"]
    assert sorted(r[0] for r in rows[1:]) == ["9782070368228", "9782330005726"]
    etranger = next(r for r in rows if r[0] == "9782070368228")
    assert etranger[5:9] == ["12", "30", "1", "2"]
    only_expiring = b"".join(client.get(CSV, {"expiring": "on"}).streaming_content)
    assert only_expiring.decode("utf-8-sig").count("\n") == 2


def test_sync_runs_and_sync_now(client, login, admin_calvados, account, fake_dilicom):
    account.base_url = fake_dilicom.url
    account.password = "pnb-secret"
    account.save()
    fake_dilicom.add_licence("OL-9")
    licence = Licence.objects.create(account=account, distributor_key="OL-9", ean="9782070368228")
    licence.networks.set(account.networks.all())
    login(client, admin_calvados)
    page = client.get(RUNS).content.decode()
    assert "Synchroniser « Dilicom PNB » maintenant" in page
    response = client.post(f"{RUNS}{account.pk}/lancer/", follow=True)
    assert response.status_code == 200
    run = SyncRun.objects.get(kind="counters")
    assert run.outcome == SyncRun.Outcome.SUCCESS
    assert "Réussie" in response.content.decode() or "réussie" in response.content.decode()


def test_only_the_networks_admin_may_start_a_sync(
    client, caen_client, login, account, librarian_bayeux, admin_caen, outsider
):
    url = f"{RUNS}{account.pk}/lancer/"
    assert client.post(url).status_code == 302  # anonymous: to the login page
    login(client, librarian_bayeux)
    assert client.post(url).status_code == 403
    assert "maintenant" not in client.get(RUNS).content.decode()
    login(client, admin_caen)
    assert client.post(url).status_code == 403  # admin of Caen on the Calvados portal
    login(client, outsider)
    assert client.post(url).status_code == 403
    assert not SyncRun.objects.exists()


def test_staff_menu_shows_the_entry_to_those_who_may_open_it(client, login, admin_calvados, editor):
    login(client, admin_calvados)
    assert 'href="/gestion/prets/"' in client.get(LIST).content.decode()


def test_reading_apps_help_is_public_and_french(client):
    response = client.get("/aide/applications-de-lecture/")
    assert response.status_code == 200
    page = response.content.decode()
    for words in ("Thorium Reader", "Aldiko Next", "Baobab", ".lcpl", "phrase secrète"):
        assert words in page


# -- back office ---------------------------------------------------------------------------


def test_admin_lists_only_the_networks_licences(client, login, admin_calvados, licences):
    login(client, admin_calvados)
    page = client.get("/admin/lending/licence/").content.decode()
    assert "Pêcheur" in page and "Madame Bovary" not in page
    caen_only = licences[1]
    assert client.get(f"/admin/lending/licence/{caen_only.pk}/change/").status_code in (302, 404)
    assert client.get("/admin/lending/licence/add/").status_code == 403


def test_admin_refuses_library_staff_and_outsiders(
    client, login, librarian_bayeux, outsider, licences
):
    login(client, librarian_bayeux)
    assert client.get("/admin/lending/licence/").status_code == 403
    assert client.get("/admin/lending/distributoraccount/").status_code == 403
    assert client.get("/admin/lending/syncrun/").status_code == 403
    login(client, outsider)
    assert client.get("/admin/lending/licence/").status_code == 302


def test_admin_account_password_is_kept_when_left_empty(client, login, admin_calvados, account):
    account.password = "old-secret"
    account.save()
    login(client, admin_calvados)
    url = f"/admin/lending/distributoraccount/{account.pk}/change/"
    page = client.get(url).content.decode()
    assert "old-secret" not in page
    form = {
        "name": "Dilicom PNB v3",
        "kind": "dilicom",
        "base_url": account.base_url,  # a new address would ask for the password again
        "login": "3025594195400",
        "password": "",
        "timeout_seconds": 10,
        "networks": [n.pk for n in account.networks.all() if n.slug == "boite-numerique"],
        "owner": account.owner_id,
        "is_active": "on",
    }
    assert client.post(url, form).status_code == 302
    account.refresh_from_db()
    assert account.password == "old-secret"
    assert account.name == "Dilicom PNB v3"
    # The form offered Calvados only: the shared account still serves Caen la Mer.
    assert set(account.networks.values_list("slug", flat=True)) == {
        "boite-numerique",
        "caen-la-mer",
    }


# -- ODL notifications ---------------------------------------------------------------------


def test_a_notification_for_an_unknown_loan_is_recorded(client, odl_account, fake_odl):
    fake_odl.add_licence("L-1")
    now = timezone.now()
    loan = FakeLoan("loan-1", "L-1", "p", now + timedelta(days=3), now, "", "", lsd_id="lsd-x")
    fake_odl.licences["L-1"].loans["loan-1"] = loan
    body = fake_odl.revoke("loan-1")
    url = odl_account.notification_path()
    response = client.post(url, body, content_type="application/json")
    assert response.status_code == 404
    run = SyncRun.objects.get(kind=SyncRun.Kind.NOTIFICATION)
    assert run.problems[0]["where"] == "loan lsd-x"
    assert "ne connaît pas" in run.problems[0]["message"]


def test_a_notification_with_a_wrong_token_or_nonsense_changes_nothing(client, odl_account):
    wrong = f"/prets/notifications/{odl_account.pk}/not-the-token/"
    assert client.post(wrong, b"{}", content_type="application/json").status_code == 404
    assert not SyncRun.objects.exists()
    url = odl_account.notification_path()
    assert client.get(url).status_code == 405
    response = client.post(url, b"<html>", content_type="application/json")
    assert response.status_code == 400
    run = SyncRun.objects.get()
    assert run.outcome == SyncRun.Outcome.FAILED
    assert "incompréhensible" in run.problems[0]["message"]


def test_a_title_like_a_formula_comes_out_inert_in_the_export(
    client, login, admin_calvados, licences
):
    formula = '=HYPERLINK("http://x","y")'
    Licence.objects.filter(ean="9782070368228").update(title=formula)
    login(client, admin_calvados)
    text = b"".join(client.get(CSV).streaming_content).decode("utf-8-sig")
    row = next(r for r in csv.reader(io.StringIO(text), delimiter=";") if r[0] == "9782070368228")
    assert row[1] == "'" + formula
    assert row[5] == "12"  # numbers untouched
