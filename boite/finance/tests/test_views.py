"""The finance pages through complete HTTP requests: who may open them, and what they do."""

import io
import zipfile
from datetime import date
from decimal import Decimal

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from boite.finance.models import (
    Agreement,
    Amendment,
    Committee,
    Contract,
    Decision,
    Meeting,
    MeetingDocument,
    Membership,
)
from boite.finance.usage import UsageCounts
from boite.networks.models import Authority, AuthorityPopulation, Library

PDF = b"%PDF-1.4\n%fake but well-formed header\n"


@pytest.fixture(autouse=True)
def _private_documents(settings, tmp_path):
    settings.FINANCE_DOCUMENTS_ROOT = tmp_path / "private"


@pytest.fixture
def generated(campaign, bayeux_library, lisieux_library):
    campaign.generate()
    return campaign


@pytest.fixture
def committee(calvados, caen_network, finance_officer):
    committee = Committee.objects.create(name="Ressources en ligne", kind="working_group")
    committee.networks.set([calvados, caen_network])
    committee.members.add(finance_officer)
    meeting = Meeting.objects.create(
        committee=committee, date=date(2026, 3, 12), agenda="1. Bilan 2025"
    )
    MeetingDocument.objects.create(
        meeting=meeting, title="Bilan", file=SimpleUploadedFile("bilan.pdf", PDF)
    )
    Decision.objects.create(
        committee=committee, meeting=meeting, date=date(2026, 3, 12), text="Garder Cafeyn"
    )
    return committee


@pytest.fixture
def pages(generated, agreement, make_contract, department, committee):
    contract = make_contract("Cafeyn", "12000.00", department)
    membership = generated.memberships.first()
    meeting = committee.meetings.get()
    return {
        "home": "/gestion/finances/",
        "campaign": f"/gestion/finances/adhesions/{generated.pk}/",
        "csv": f"/gestion/finances/adhesions/{generated.pk}/export.csv",
        "xlsx": f"/gestion/finances/adhesions/{generated.pk}/export.xlsx",
        "letter": f"/gestion/finances/appels/{membership.pk}/lettre/",
        "odt": f"/gestion/finances/appels/{membership.pk}/lettre.odt",
        "what_if": "/gestion/finances/simulation/?rate=0.2",
        "agreement": f"/gestion/finances/conventions/{agreement.pk}/",
        "agreement_create": "/gestion/finances/conventions/nouvelle/",
        "contracts": f"/gestion/finances/contrats/{contract.year}/",
        "contract_create": "/gestion/finances/contrats/nouveau/",
        "committee": f"/gestion/finances/gouvernance/{committee.pk}/",
        "meeting": f"/gestion/finances/reunions/{meeting.pk}/",
        "document": f"/gestion/finances/documents/reunion/{meeting.documents.get().pk}/",
    }


POSTS = ["generate", "remind", "state"]


def _posts(generated):
    membership = generated.memberships.first()
    return {
        f"/gestion/finances/adhesions/{generated.pk}/generer/": {},
        f"/gestion/finances/adhesions/{generated.pk}/relances/": {},
        f"/gestion/finances/appels/{membership.pk}/etat/": {"state": "paid"},
    }


def test_anonymous_is_sent_to_the_login_page(client, pages, generated):
    for url in pages.values():
        response = client.get(url)
        assert response.status_code == 302, url
        assert "login" in response["Location"] or "connexion" in response["Location"], url
    for url, data in _posts(generated).items():
        assert client.post(url, data).status_code == 302
    assert not Membership.objects.filter(state="paid").exists()


@pytest.mark.parametrize(
    "persona", ["outsider", "librarian_bayeux", "librarian_lisieux", "librarian_caen", "editor"]
)
def test_library_staff_editor_and_outsider_are_refused(
    client, login, pages, generated, persona, request, on_commit
):
    login(client, request.getfixturevalue(persona))
    for url in pages.values():
        assert client.get(url).status_code == 403, url
    with on_commit(execute=True):
        for url, data in _posts(generated).items():
            assert client.post(url, data).status_code == 403, url
    assert not Membership.objects.filter(state="paid").exists()
    assert not mail.outbox


def test_administrator_of_the_other_network_cannot_open_this_networks_campaign(
    client, login, admin_caen, pages, generated
):
    login(client, admin_caen)
    for name in ["campaign", "csv", "xlsx", "letter", "odt"]:
        assert client.get(pages[name]).status_code == 404, name
    for url, data in _posts(generated).items():
        assert client.post(url, data).status_code == 404, url
    assert not Membership.objects.filter(state="paid").exists()
    home = client.get(pages["home"]).content.decode()
    assert f"/adhesions/{generated.pk}/" not in home
    # the agreement binds the urban community: its administrator sees it
    assert client.get(pages["agreement"]).status_code == 200


@pytest.mark.parametrize("persona", ["finance_officer", "admin_calvados"])
def test_finance_role_and_network_administrator_open_every_page(
    client, login, pages, persona, request
):
    login(client, request.getfixturevalue(persona))
    for url in pages.values():
        assert client.get(url).status_code == 200, url


def test_staff_menu_shows_finance_only_to_those_who_may_open_it(
    client, login, finance_officer, librarian_bayeux
):
    login(client, finance_officer)
    assert 'href="/gestion/finances/"' in client.get("/gestion/finances/").content.decode()
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = librarian_bayeux
    assert "/gestion/finances/" not in render_to_string("staff/base.html", request=request)


def test_campaign_page_shows_every_input_of_each_fee(client, login, finance_officer, generated):
    login(client, finance_officer)
    page = client.get(f"/gestion/finances/adhesions/{generated.pk}/").content.decode()
    assert "Bayeux" in page and "12900" in page and "1\u00a0935,00" in page
    assert "Lisieux" in page and "20200" in page and "3\u00a0030,00" in page
    assert "0,15" in page and "2021" in page
    assert "4\u00a0965,00" in page  # total


def test_generate_through_the_page_and_a_missing_population(
    client, login, finance_officer, campaign, bayeux_library, lisieux_library, communes
):
    login(client, finance_officer)
    AuthorityPopulation.objects.filter(authority=communes["lisieux"]).delete()
    response = client.post(f"/gestion/finances/adhesions/{campaign.pk}/generer/", follow=True)
    page = response.content.decode()
    assert "Lisieux" in page and "2021" in page
    assert not Membership.objects.exists()
    AuthorityPopulation.objects.create(authority=communes["lisieux"], year=2021, population=20200)
    client.post(f"/gestion/finances/adhesions/{campaign.pk}/generer/")
    assert Membership.objects.count() == 2


def test_open_a_campaign_with_bad_input(client, login, finance_officer, calvados, caen_network):
    login(client, finance_officer)
    response = client.post(
        "/gestion/finances/adhesions/nouvelle/",
        {"network": calvados.pk, "year": 2027, "reference_year": 2022, "rate": "-0.15"},
    )
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.content.decode()
    assert not calvados.campaigns.exists()
    response = client.post(
        "/gestion/finances/adhesions/nouvelle/",
        {"network": calvados.pk, "year": 2027, "reference_year": 2022, "rate": "0.15"},
    )
    assert response.status_code == 302
    assert calvados.campaigns.get().rate == Decimal("0.15")


def test_exports_for_the_finance_software(client, login, finance_officer, generated):
    login(client, finance_officer)
    csv = client.get(f"/gestion/finances/adhesions/{generated.pk}/export.csv")
    text = csv.content.decode("utf-8-sig")
    assert "14047;Bayeux;2021;12900;0.1500;1935.00" in text
    xlsx = client.get(f"/gestion/finances/adhesions/{generated.pk}/export.xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    rows = {row[1]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows["Lisieux"][3] == 20200
    assert rows["Lisieux"][5] == 3030


def test_the_campaign_page_costs_the_same_queries_for_2_or_40_calls(
    client, login, finance_officer, generated, calvados
):
    def count_queries() -> tuple[int, str]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/gestion/finances/adhesions/{generated.pk}/")
        assert response.status_code == 200
        return len(queries), response.content.decode()

    login(client, finance_officer)
    count_queries()  # the first request also looks the network up, then caches it
    few, _page = count_queries()
    for n in range(38):
        commune = Authority.objects.create(kind="commune", name=f"Commune {n}", code=f"99{n:03d}")
        AuthorityPopulation.objects.create(authority=commune, year=2021, population=100 + n)
        for branch in ("bourg", "annexe"):
            Library.objects.create(
                network=calvados, authority=commune, name=f"{branch} {n}", slug=f"{branch}-{n}"
            )
    generated.generate()
    assert generated.memberships.count() == 40
    many, page = count_queries()
    assert many == few
    assert "annexe 37, bourg 37" in page  # every call lists the libraries it covers


def test_letters_html_and_odt(client, login, finance_officer, generated):
    login(client, finance_officer)
    bayeux = generated.memberships.get(authority__name="Bayeux")
    page = client.get(f"/gestion/finances/appels/{bayeux.pk}/lettre/").content.decode()
    assert "finance-letter.css" in page
    assert "1\u00a0935,00" in page and "Médiathèque de Bayeux" in page
    response = client.get(f"/gestion/finances/appels/{bayeux.pk}/lettre.odt")
    assert response["Content-Type"] == "application/vnd.oasis.opendocument.text"
    body = zipfile.ZipFile(io.BytesIO(response.content)).read("content.xml").decode()
    assert "1\u202f935,00" in body and "12900" in body


def test_reminders_go_to_those_who_have_not_paid(
    client, login, finance_officer, generated, on_commit
):
    login(client, finance_officer)
    generated.memberships.update(contact_email="mairie@example.org")
    generated.memberships.get(authority__name="Lisieux").move_to(Membership.State.PAID)
    with on_commit(execute=True):
        client.post(f"/gestion/finances/adhesions/{generated.pk}/relances/")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["mairie@example.org"]
    assert "Bayeux" in mail.outbox[0].body
    assert "1935,00" in mail.outbox[0].body
    assert generated.memberships.get(authority__name="Bayeux").reminded_on is not None


def test_state_change_records_the_day(client, login, finance_officer, generated):
    login(client, finance_officer)
    call = generated.memberships.get(authority__name="Bayeux")
    client.post(
        f"/gestion/finances/appels/{call.pk}/etat/", {"state": "invoiced", "on": "2026-03-02"}
    )
    call.refresh_from_db()
    assert (call.state, call.invoiced_on) == ("invoiced", date(2026, 3, 2))
    client.post(f"/gestion/finances/appels/{call.pk}/etat/", {"state": "gone"})
    call.refresh_from_db()
    assert call.state == "invoiced"


def test_what_if_per_network(client, login, finance_officer, generated):
    login(client, finance_officer)
    page = client.get("/gestion/finances/simulation/?year=2026&rate=0.20").content.decode()
    assert "6\u00a0620,00" in page and "4\u00a0965,00" in page
    assert generated.memberships.get(authority__name="Bayeux").fee == Decimal("1935.00")


def test_record_an_agreement_and_refuse_an_overlap(
    client, login, finance_officer, department, urban_community, calvados, caen_network
):
    login(client, finance_officer)
    data = {
        "title": "Convention 2026-2028",
        "purpose": "Ressources en ligne",
        "parties": [department.pk, urban_community.pk],
        "start": "2026-01-01",
        "end": "2028-12-31",
        "document": SimpleUploadedFile("convention.pdf", PDF),
    }
    response = client.post("/gestion/finances/conventions/nouvelle/", data)
    assert response.status_code == 302
    agreement = Agreement.objects.get()
    assert agreement.document.read() == PDF
    assert client.get(f"/gestion/finances/documents/convention/{agreement.pk}/").status_code == 200
    data.update(start="2027-01-01", end="2029-12-31", document="")
    response = client.post("/gestion/finances/conventions/nouvelle/", data)
    assert response.status_code == 400
    assert "chevauche" in response.content.decode()
    assert Agreement.objects.count() == 1


def test_a_fake_or_oversized_document_is_refused(
    client, login, finance_officer, agreement, settings
):
    login(client, finance_officer)
    url = f"/gestion/finances/conventions/{agreement.pk}/"
    fake = SimpleUploadedFile("avenant.pdf", b"MZ\x90\x00 not a pdf")
    response = client.post(
        url,
        {"action": "amendment", "year": 2026, "financial_terms": "Budget", "document": fake},
    )
    assert response.status_code == 400
    assert "PDF" in response.content.decode()
    assert not Amendment.objects.exists()
    big = SimpleUploadedFile("avenant.pdf", PDF + b"0" * (10 * 1024 * 1024))
    response = client.post(
        url, {"action": "amendment", "year": 2026, "financial_terms": "Budget", "document": big}
    )
    assert response.status_code == 400
    assert not Amendment.objects.exists()
    good = SimpleUploadedFile("avenant.pdf", PDF)
    response = client.post(
        url,
        {
            "action": "amendment",
            "year": 2026,
            "financial_terms": "144 000 €",
            "budget": "144000",
            "document": good,
        },
    )
    assert response.status_code == 302
    assert Amendment.objects.get().budget == Decimal("144000.00")


def test_new_key_through_the_page(
    client, login, finance_officer, agreement, department, urban_community
):
    login(client, finance_officer)
    url = f"/gestion/finances/conventions/{agreement.pk}/"
    bad = {
        "action": "key",
        "valid_from": "2027-01-01",
        f"share_{department.pk}": "60",
        f"share_{urban_community.pk}": "30",
    }
    response = client.post(url, bad)
    assert response.status_code == 400
    assert "100" in response.content.decode()
    assert agreement.keys.count() == 1
    good = dict(bad, **{f"share_{urban_community.pk}": "40"})
    assert client.post(url, good).status_code == 302
    assert agreement.key_on(date(2027, 2, 1)).shares.get(party=department).percent == 60
    assert agreement.key_on(date(2026, 2, 1)).shares.get(party=department).percent == 50


def test_contract_with_a_negative_cost_is_refused(
    client, login, finance_officer, agreement, department
):
    login(client, finance_officer)
    data = {
        "year": 2026,
        "offer": "Cafeyn",
        "supplier": "Cafeyn",
        "reference": "M-2026-01",
        "procurement": "own",
        "start": "2026-01-01",
        "end": "2026-12-31",
        "yearly_cost": "-10",
        "ordering_party": department.pk,
        "agreement": agreement.pk,
    }
    response = client.post("/gestion/finances/contrats/nouveau/", data)
    assert response.status_code == 400
    assert not Contract.objects.exists()
    data["yearly_cost"] = "18000.01"
    assert client.post("/gestion/finances/contrats/nouveau/", data).status_code == 302
    assert Contract.objects.get().yearly_cost == Decimal("18000.01")


def test_contracts_page_split_balance_and_no_statistics(
    client, login, finance_officer, make_contract, department, urban_community
):
    make_contract("Médiathèque Numérique", "10000.00", department)
    make_contract("Cafeyn", "4000.00", urban_community)
    login(client, finance_officer)
    page = client.get("/gestion/finances/contrats/2026/").content.decode()
    assert "5\u00a0000,00" in page and "2\u00a0000,00" in page  # the two 50/50 splits
    assert "3\u00a0000,00" in page  # balance
    assert "Communauté urbaine Caen la Mer doit 3\u00a0000,00 € à Département du Calvados." in page
    assert "pas encore de statistiques" in page


def _usage(year):
    return {"Cafeyn": UsageCounts(accesses=8000, unique_users=400, loans=0)}


def test_cost_per_use_where_statistics_exist(
    client, login, finance_officer, make_contract, department, settings
):
    settings.FINANCE_USAGE_SOURCE = "boite.finance.tests.test_views._usage"
    make_contract("Cafeyn", "4000.00", department)
    make_contract("Vodeclic", "1000.00", department)
    login(client, finance_officer)
    page = client.get("/gestion/finances/contrats/2026/").content.decode()
    assert "0,50 €" in page  # 4 000 / 8 000 accesses
    assert "10,00 €" in page  # 4 000 / 400 users
    assert "pas encore de statistiques" in page  # Vodeclic


def test_governance_pages(client, login, finance_officer, committee):
    login(client, finance_officer)
    page = client.get(f"/gestion/finances/gouvernance/{committee.pk}/").content.decode()
    assert "Ressources en ligne" in page and "Garder Cafeyn" in page
    meeting = committee.meetings.get()
    page = client.get(f"/gestion/finances/reunions/{meeting.pk}/").content.decode()
    assert "Bilan 2025" in page
    document = meeting.documents.get()
    response = client.get(f"/gestion/finances/documents/reunion/{document.pk}/")
    assert b"".join(response.streaming_content) == PDF


def test_a_committee_of_one_network_is_hidden_from_the_other(client, login, admin_caen, calvados):
    committee = Committee.objects.create(name="COPIL départemental", kind="steering")
    committee.networks.set([calvados])
    login(client, admin_caen)
    assert client.get(f"/gestion/finances/gouvernance/{committee.pk}/").status_code == 404


def test_a_second_amendment_for_the_same_year_is_refused(client, login, finance_officer, agreement):
    login(client, finance_officer)
    url = f"/gestion/finances/conventions/{agreement.pk}/"
    data = {"action": "amendment", "year": 2026, "financial_terms": "Budget"}
    assert client.post(url, data).status_code == 302
    response = client.post(url, data)
    assert response.status_code == 400
    assert "déjà un avenant" in response.content.decode()
    assert agreement.amendments.count() == 1


def test_an_agreement_with_a_fake_document_is_refused(
    client, login, finance_officer, department, urban_community, calvados, caen_network
):
    login(client, finance_officer)
    response = client.post(
        "/gestion/finances/conventions/nouvelle/",
        {
            "title": "Convention",
            "purpose": "x",
            "parties": [department.pk, urban_community.pk],
            "start": "2026-01-01",
            "end": "2028-12-31",
            "document": SimpleUploadedFile("convention.exe", b"MZ"),
        },
    )
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.content.decode()
    assert not Agreement.objects.exists()


def test_a_second_campaign_for_the_same_year_is_refused(client, login, finance_officer, campaign):
    login(client, finance_officer)
    response = client.post(
        "/gestion/finances/adhesions/nouvelle/",
        {"network": campaign.network.pk, "year": 2026, "reference_year": 2022, "rate": "0.15"},
    )
    assert response.status_code == 400
    assert campaign.network.campaigns.count() == 1


def test_paging_the_calls_does_not_complain_about_the_what_if(
    client, login, finance_officer, generated
):
    login(client, finance_officer)
    page = client.get(f"/gestion/finances/adhesions/{generated.pk}/?page=1").content.decode()
    assert 'aria-invalid="true"' not in page
    assert "Bayeux" in page
    page = client.get(f"/gestion/finances/adhesions/{generated.pk}/?rate=abc").content.decode()
    assert 'aria-invalid="true"' in page


def test_a_name_typed_like_a_formula_comes_out_inert_in_both_exports(
    client, login, finance_officer, generated, bayeux_library
):
    import csv

    formula = '=HYPERLINK("http://x","y")'
    Authority.objects.filter(pk=bayeux_library.authority_id).update(name=formula)
    login(client, finance_officer)
    text = client.get(f"/gestion/finances/adhesions/{generated.pk}/export.csv").content
    rows = list(csv.reader(io.StringIO(text.decode("utf-8-sig")), delimiter=";"))
    assert ["14047", "'" + formula] == next(r for r in rows if r[0] == "14047")[:2]
    xlsx = client.get(f"/gestion/finances/adhesions/{generated.pk}/export.xlsx").content
    sheet = load_workbook(io.BytesIO(xlsx)).active
    cell = next(row[1] for row in sheet.iter_rows(min_row=2) if row[0].value == "14047")
    assert cell.data_type == "s" and cell.value == "'" + formula
    amounts = [row[5] for row in sheet.iter_rows(min_row=2)]
    assert all(c.data_type == "n" for c in amounts)  # the fees stay numbers
