import io
from datetime import date
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from openpyxl import load_workbook

from boite.stats.models import CounterReport, ProviderAccount
from boite.stats.rollup import rollup

FIXTURES = Path(__file__).parent / "fixtures"
DASHBOARD = "/gestion/statistiques/"
MARCH = "?start=2026-03&end=2026-04"
pytestmark = pytest.mark.django_db


@pytest.fixture
def rolled_up(some_events):
    rollup(date(2026, 3, 1), date(2026, 4, 30))


@pytest.fixture
def root(db):
    return get_user_model().objects.create_superuser("root", "root@example.org", "x")


def _table(response, key):
    return next(t for t in response.context["tables"] if t.key == key)


# -- who may open the pages ----------------------------------------------------------


def test_anonymous_is_sent_to_login(client):
    for url in (DASHBOARD, DASHBOARD + "export/events.csv", DASHBOARD + "rapports/"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/admin/login/" in response["Location"]


@pytest.mark.parametrize("persona", ["outsider", "finance_officer", "editor"])
def test_people_without_a_statistics_role_are_refused(client, login, request, persona):
    login(client, request.getfixturevalue(persona))
    assert client.get(DASHBOARD).status_code == 403
    assert client.get(DASHBOARD + "export/events.csv").status_code == 403
    assert client.get(DASHBOARD + "rapports/").status_code == 403


def test_library_staff_see_only_their_library(client, login, librarian_bayeux, rolled_up):
    login(client, librarian_bayeux)
    response = client.get(DASHBOARD + MARCH)
    assert response.status_code == 200
    membership = _table(response, "membership")
    assert membership.rows == [["Médiathèque de Bayeux", "Bayeux"]]
    resources = _table(response, "resources")
    # Bayeux: patron 1 four times, patron 2 once; Lisieux's Vodeclic and Caen are not there.
    assert resources.rows == [["cafeyn", 5, 0, 5]]
    registrations = _table(response, "registrations-library")
    assert [row[0] for row in registrations.rows] == ["Médiathèque de Bayeux"]
    assert {t.key for t in response.context["tables"]}.isdisjoint({"counter", "providers"})
    assert b"Lisieux" not in response.content
    assert b"Tocqueville" not in response.content


def test_library_staff_cannot_pick_another_network(client, login, librarian_bayeux, rolled_up):
    login(client, librarian_bayeux)
    response = client.get(DASHBOARD + MARCH + "&network=caen-la-mer")
    assert response.status_code == 200
    assert "network" in response.context["form"].errors
    # The picker is ignored: still the figures of Bayeux only, over the default period.
    assert [(row[0], row[-1]) for row in _table(response, "resources").rows] == [("cafeyn", 5)]


def test_library_staff_cannot_open_the_reports_page(client, login, librarian_bayeux):
    login(client, librarian_bayeux)
    assert client.get(DASHBOARD + "rapports/").status_code == 403


def test_network_admin_sees_the_whole_network_and_nothing_else(
    client, login, admin_calvados, rolled_up
):
    login(client, admin_calvados)
    response = client.get(DASHBOARD + MARCH)
    assert _table(response, "membership").rows == [["La Boîte numérique", 2, 2]]
    assert _table(response, "resources").rows == [
        ["cafeyn", 5, 0, 5],
        ["vodeclic", 1, 0, 1],
    ]
    events = _table(response, "events")
    march = events.rows[0]
    headers = events.headers
    assert march[headers.index("inscription")] == 3  # Bayeux ×2, Lisieux; not Caen
    refusals = _table(response, "refusals")
    assert sorted(refusals.rows) == [["inscription expirée", 1], ["quota atteint", 1]]
    patrons = _table(response, "patrons")
    assert patrons.rows[0][1:3] == [3, 3]
    assert b"Tocqueville" not in response.content


def test_other_networks_admin_sees_nothing_of_this_one(client, login, admin_caen, rolled_up):
    login(client, admin_caen)
    response = client.get(DASHBOARD + MARCH)
    assert _table(response, "membership").rows == [
        ["Réseau des bibliothèques de Caen la Mer", 1, 1]
    ]
    assert _table(response, "resources").rows == [["cafeyn", 1, 0, 1]]
    response = client.get(DASHBOARD + MARCH + "&network=boite-numerique")
    assert "network" in response.context["form"].errors
    export = client.get(DASHBOARD + "export/resources.csv?network=boite-numerique")
    assert b"vodeclic" not in export.content


def test_the_consortium_sees_both_networks_and_can_pick_one(client, login, root, rolled_up):
    login(client, root)
    response = client.get(DASHBOARD + MARCH)
    assert len(_table(response, "membership").rows) == 2
    assert _table(response, "resources").rows[0] == ["cafeyn", 6, 0, 6]
    response = client.get(DASHBOARD + MARCH + "&network=caen-la-mer")
    assert _table(response, "resources").rows == [["cafeyn", 1, 0, 1]]


def test_the_page_shows_tables_for_charts_and_downloads(client, login, admin_calvados, rolled_up):
    login(client, admin_calvados)
    response = client.get(DASHBOARD + MARCH)
    html = response.content.decode()
    assert "vendor/chartjs/chart.umd.min.js" in html
    assert 'data-table="table-resources"' in html
    assert '<th scope="col">' in html and "<caption>" in html
    assert "/gestion/statistiques/export/resources.xlsx?start=2026-03" in html
    assert "<script>" not in html and "style=" not in html


def test_a_bad_period_gets_a_message_on_its_field(client, login, admin_calvados):
    login(client, admin_calvados)
    response = client.get(DASHBOARD + "?start=2026-05&end=2026-01")
    form = response.context["form"]
    assert form.errors["end"] == ["Le dernier mois précède le premier."]
    assert 'aria-describedby="id_end-error"' in response.content.decode()


# -- exports -------------------------------------------------------------------------


def test_csv_export_masks_small_patron_counts(client, login, admin_calvados, rolled_up):
    login(client, admin_calvados)
    response = client.get(DASHBOARD + "export/patrons.csv" + MARCH)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Mois;")
    assert lines[1].split(";")[1:] == ["< 5", "< 5", "0"]


def test_xlsx_export(client, login, admin_calvados, rolled_up):
    login(client, admin_calvados)
    response = client.get(DASHBOARD + "export/resources.xlsx" + MARCH)
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1] == ("cafeyn", 5, 0, 5)


def test_unknown_export_is_404(client, login, admin_calvados):
    login(client, admin_calvados)
    assert client.get(DASHBOARD + "export/secrets.csv").status_code == 404
    assert client.get(DASHBOARD + "export/events.pdf").status_code == 404


def test_library_staff_cannot_export_network_tables(client, login, librarian_bayeux):
    login(client, librarian_bayeux)
    assert client.get(DASHBOARD + "export/counter.csv").status_code == 404


# -- provider reports ----------------------------------------------------------------


@pytest.fixture
def cafeyn(calvados):
    return ProviderAccount.objects.create(
        network=calvados, provider="cafeyn", name="Cafeyn", customer_id="BDC-14"
    )


def _upload(client, account, name, replace=False):
    with open(FIXTURES / name, "rb") as handle:
        data = {"account": account.pk, "file": handle}
        if replace:
            data["replace"] = "on"
        return client.post(DASHBOARD + "rapports/", data)


def test_upload_a_report_then_see_it_beside_the_portal(
    client, login, admin_calvados, cafeyn, rolled_up
):
    login(client, admin_calvados)
    response = _upload(client, cafeyn, "tr_r5.json")
    assert response.status_code == 302
    report = CounterReport.objects.get()
    assert report.imported_by == admin_calvados
    page = client.get(DASHBOARD + "?start=2026-01&end=2026-03")
    providers = _table(page, "providers")
    assert providers.rows == [["cafeyn", "Cafeyn", "TR", 1403, 481, 5]]
    counter = _table(page, "counter")
    assert ["cafeyn", "TR", "Total_Item_Requests", 510, 388, 505, 1403] in counter.rows


def test_an_overlapping_upload_is_refused_then_replaced(client, login, admin_calvados, cafeyn):
    login(client, admin_calvados)
    _upload(client, cafeyn, "tr_r5.json")
    response = _upload(client, cafeyn, "tr_r5.json")
    assert response.status_code == 400
    assert "couvre déjà" in response.context["form"].errors["file"][0]
    assert CounterReport.objects.count() == 1
    assert _upload(client, cafeyn, "tr_r5.json", replace=True).status_code == 302
    assert CounterReport.objects.count() == 1


def test_a_malformed_upload_changes_nothing(client, login, admin_calvados, cafeyn):
    login(client, admin_calvados)
    response = client.post(
        DASHBOARD + "rapports/",
        {"account": cafeyn.pk, "file": io.BytesIO(b"{oops")},
    )
    assert response.status_code == 400
    assert response.context["form"].errors["file"]
    assert not CounterReport.objects.exists()


def test_another_networks_admin_cannot_upload_for_this_network(client, login, admin_caen, cafeyn):
    login(client, admin_caen)
    response = _upload(client, cafeyn, "tr_r5.json")
    assert response.status_code == 400
    assert "account" in response.context["form"].errors
    assert not CounterReport.objects.exists()
    assert b"Cafeyn" not in client.get(DASHBOARD + "rapports/").content


# -- back office -------------------------------------------------------------------


def test_admin_pages_are_scoped(
    client, login, admin_caen, admin_calvados, cafeyn, librarian_bayeux
):
    url = f"/admin/stats/provideraccount/{cafeyn.pk}/change/"
    login(client, admin_calvados)
    assert client.get(url).status_code == 200
    login(client, admin_caen)
    assert client.get(url).status_code == 302  # « does not exist » → back to the index
    assert b"Cafeyn" not in client.get("/admin/stats/provideraccount/").content
    login(client, librarian_bayeux)
    assert client.get("/admin/stats/provideraccount/").status_code == 403
    assert client.get("/admin/stats/rolluprun/").status_code == 403


def test_figures_are_cached_until_the_next_roll_up(client, login, admin_calvados, rolled_up):
    from boite.stats.models import MonthlyCount

    login(client, admin_calvados)
    before = _table(client.get(DASHBOARD + MARCH), "refusals").rows
    assert sorted(before) == [["inscription expirée", 1], ["quota atteint", 1]]
    # A change that bypasses the roll-up is not seen: the page reads its cache…
    MonthlyCount.objects.filter(kind="access_refused", reason="quota").update(count=7)
    assert _table(client.get(DASHBOARD + MARCH), "refusals").rows == before
    # …until the next roll-up, which rebuilds the rows from the events.
    rollup(date(2026, 3, 1), date(2026, 3, 1))
    after = _table(client.get(DASHBOARD + MARCH), "refusals").rows
    assert sorted(after) == [["inscription expirée", 1], ["quota atteint", 1]]
    assert _table(client.get(DASHBOARD + MARCH + "&network=boite-numerique"), "refusals").rows


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_library_named_like_a_formula_comes_out_inert(
    client, login, librarian_bayeux, bayeux_library, fmt
):
    import csv

    formula = '=HYPERLINK("http://x","y")'
    bayeux_library.name = formula
    bayeux_library.save()
    login(client, librarian_bayeux)
    response = client.get(DASHBOARD + f"export/membership.{fmt}")
    assert response.status_code == 200
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
        assert rows[1][0] == "'" + formula
    else:
        cell = load_workbook(io.BytesIO(response.content)).active["A2"]
        assert cell.data_type == "s" and cell.value == "'" + formula
