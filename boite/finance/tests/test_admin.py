"""The finance back office: the finance role and network administrators only, each for
their networks."""

import pytest

from boite.finance.models import Agreement, Campaign

MODELS = ["campaign", "membership", "agreement", "contract", "committee", "meeting", "decision"]


@pytest.fixture
def generated(campaign, bayeux_library):
    campaign.generate()
    return campaign


@pytest.mark.parametrize("persona", ["librarian_bayeux", "librarian_caen", "editor"])
def test_library_staff_and_editor_do_not_see_finance_in_the_back_office(
    client, login, generated, persona, request
):
    login(client, request.getfixturevalue(persona))
    for model in MODELS:
        assert client.get(f"/admin/finance/{model}/").status_code == 403, model
    url = f"/admin/finance/campaign/{generated.pk}/change/"
    assert client.get(url).status_code in (302, 403)
    assert "finance/campaign" not in client.get("/admin/").content.decode()


def test_outsider_and_anonymous_are_sent_away(client, login, outsider, generated):
    assert client.get("/admin/finance/campaign/").status_code == 302
    login(client, outsider)
    assert client.get("/admin/finance/campaign/").status_code == 302


@pytest.mark.parametrize("persona", ["finance_officer", "admin_calvados"])
def test_finance_and_administrator_see_and_change_their_campaigns(
    client, login, generated, persona, request
):
    login(client, request.getfixturevalue(persona))
    for model in MODELS:
        assert client.get(f"/admin/finance/{model}/").status_code == 200, model
    page = client.get("/admin/finance/campaign/").content.decode()
    assert "2026" in page
    url = f"/admin/finance/campaign/{generated.pk}/change/"
    assert client.get(url).status_code == 200


def test_administrator_of_the_other_network_does_not_see_this_campaign(
    client, login, admin_caen, generated
):
    login(client, admin_caen)
    page = client.get("/admin/finance/campaign/").content.decode()
    assert f"/admin/finance/campaign/{generated.pk}/change/" not in page
    url = f"/admin/finance/campaign/{generated.pk}/change/"
    assert client.get(url).status_code == 302  # « does not exist » → back to the index
    response = client.post(f"/admin/finance/campaign/{generated.pk}/delete/", {"post": "yes"})
    assert response.status_code in (302, 403)
    assert Campaign.objects.filter(pk=generated.pk).exists()


def test_overlapping_agreement_refused_in_the_back_office(
    client, login, finance_officer, agreement, department, urban_community
):
    login(client, finance_officer)
    response = client.post(
        "/admin/finance/agreement/add/",
        {
            "title": "Doublon",
            "purpose": "x",
            "parties": [department.pk, urban_community.pk],
            "start": "2027-01-01",
            "end": "2027-12-31",
            "amendments-TOTAL_FORMS": "0",
            "amendments-INITIAL_FORMS": "0",
            "keys-TOTAL_FORMS": "0",
            "keys-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "chevauche" in response.content.decode()
    assert Agreement.objects.count() == 1


def test_agreement_with_documents_in_the_back_office(
    client, login, finance_officer, agreement, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from boite.finance.models import Amendment

    settings.FINANCE_DOCUMENTS_ROOT = tmp_path
    agreement.document = SimpleUploadedFile("convention.pdf", b"%PDF-1.4 x")
    agreement.save()
    Amendment.objects.create(
        agreement=agreement,
        year=2026,
        financial_terms="x",
        document=SimpleUploadedFile("avenant.pdf", b"%PDF-1.4 y"),
    )
    login(client, finance_officer)
    page = client.get(f"/admin/finance/agreement/{agreement.pk}/change/").content.decode()
    assert f"/gestion/finances/documents/convention/{agreement.pk}/" in page
    assert "/gestion/finances/documents/avenant/" in page
    assert "/media/" not in page


def test_agreement_added_in_the_back_office_gets_a_fifty_fifty_key(
    client, login, finance_officer, department, urban_community, calvados, caen_network
):
    login(client, finance_officer)
    response = client.post(
        "/admin/finance/agreement/add/",
        {
            "title": "Convention",
            "purpose": "x",
            "parties": [department.pk, urban_community.pk],
            "start": "2026-01-01",
            "end": "2028-12-31",
            "amendments-TOTAL_FORMS": "0",
            "amendments-INITIAL_FORMS": "0",
            "keys-TOTAL_FORMS": "0",
            "keys-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    key = Agreement.objects.get().keys.get()
    assert sorted(key.shares.values_list("percent", flat=True)) == [50, 50]


def test_membership_offers_only_the_libraries_of_the_users_networks(
    client, login, admin_calvados, generated, caen_library
):
    login(client, admin_calvados)
    call = generated.memberships.get()
    page = client.get(f"/admin/finance/membership/{call.pk}/change/").content.decode()
    assert "Médiathèque de Bayeux" in page
    assert "Tocqueville" not in page
