"""Back office and staff pages: who may see, change and harvest which resources."""

import pytest

from boite.catalog.models import HarvestRun, Record, Resource


@pytest.fixture
def shared(catalogue):
    return catalogue["cafeyn"]


@pytest.fixture
def calvados_only(make_resource, calvados, tmp_path):
    source = tmp_path / "c.csv"
    source.write_text("id;titre\nc1;Réservé au Calvados\n", "utf-8")
    resource = make_resource(slug="calvados-seul", name="Calvados seul", source=source)
    return resource


# -- the Django admin -------------------------------------------------------------------


def test_network_admin_manages_the_resources_of_their_network(
    client, login, admin_calvados, calvados_only
):
    login(client, admin_calvados)
    assert "Calvados seul" in client.get("/admin/catalog/resource/").content.decode()
    url = f"/admin/catalog/resource/{calvados_only.pk}/change/"
    calvados_only.harvest_secret = "mot-de-passe-du-flux"
    calvados_only.save()
    page = client.get(url)
    assert page.status_code == 200
    assert b'name="harvest_secret"' in page.content
    assert b"mot-de-passe-du-flux" not in page.content  # write-only


def test_admin_of_the_other_network_cannot_see_or_change_it(
    client, login, admin_caen, calvados_only
):
    login(client, admin_caen)
    assert "Calvados seul" not in client.get("/admin/catalog/resource/").content.decode()
    url = f"/admin/catalog/resource/{calvados_only.pk}/change/"
    assert client.get(url).status_code in (302, 403, 404)
    response = client.post(url, {"name": "Piraté"})
    assert response.status_code in (302, 403, 404)
    calvados_only.refresh_from_db()
    assert calvados_only.name == "Calvados seul"


def test_library_staff_only_view(client, login, librarian_bayeux, calvados_only):
    calvados_only.harvest_secret = "mot-de-passe-du-flux"
    calvados_only.save()
    login(client, librarian_bayeux)
    assert "Calvados seul" in client.get("/admin/catalog/resource/").content.decode()
    url = f"/admin/catalog/resource/{calvados_only.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    assert b'name="harvest_secret"' not in page.content  # read-only page
    assert b"mot-de-passe-du-flux" not in page.content  # only whether it is set
    client.post(url, {"name": "Changé", "slug": "x", "category": "livre"})
    calvados_only.refresh_from_db()
    assert calvados_only.name == "Calvados seul"
    assert client.get("/admin/catalog/resource/add/").status_code == 403


def test_librarian_of_the_other_network_sees_nothing(client, login, librarian_caen, calvados_only):
    login(client, librarian_caen)
    assert "Calvados seul" not in client.get("/admin/catalog/resource/").content.decode()
    assert client.get(f"/admin/catalog/resource/{calvados_only.pk}/change/").status_code in (
        302,
        403,
        404,
    )


def test_outsider_and_anonymous_cannot_enter(client, login, outsider, calvados_only):
    assert client.get("/admin/catalog/resource/").status_code == 302
    login(client, outsider)
    assert client.get("/admin/catalog/resource/").status_code == 302
    assert client.get("/admin/catalog/record/").status_code == 302


def test_owner_saving_a_shared_resource_keeps_the_other_network(
    client, login, admin_calvados, shared, caen_network
):
    # The demo's shared resources belong to the departmental network.
    from boite.tests.admin_forms import admin_form_data

    login(client, admin_calvados)
    url = f"/admin/catalog/resource/{shared.pk}/change/"
    data = admin_form_data(client.get(url))
    response = client.post(url, {**data, "description": "Nouveau texte"})
    assert response.status_code == 302, response.content.decode()[:3000]
    shared.refresh_from_db()
    assert shared.description == "Nouveau texte"
    assert caen_network in shared.networks.all()


def test_the_other_network_saving_a_shared_resource_changes_nothing_shared(
    client, login, admin_caen, shared, calvados
):
    from boite.tests.admin_forms import admin_form_data

    login(client, admin_caen)
    url = f"/admin/catalog/resource/{shared.pk}/change/"
    data = admin_form_data(client.get(url))
    response = client.post(url, {**data, "description": "Nouveau texte"})
    assert response.status_code == 302
    shared.refresh_from_db()
    assert shared.description != "Nouveau texte"
    assert calvados in shared.networks.all()


def test_runs_and_records_are_scoped_in_the_admin(
    client, login, admin_caen, librarian_caen, calvados_only
):
    from boite.catalog.harvest.runner import harvest

    run = harvest(calvados_only)
    record = Record.objects.get(resource=calvados_only)
    for user in (admin_caen, librarian_caen):
        login(client, user)
        assert client.get(f"/admin/catalog/harvestrun/{run.pk}/change/").status_code in (
            302,
            403,
            404,
        )
        assert client.get(f"/admin/catalog/record/{record.pk}/change/").status_code in (
            302,
            403,
            404,
        )


# -- staff pages: launching a harvest and following it ---------------------------------


def test_network_admin_launches_a_harvest_and_reads_the_report(
    client, login, admin_calvados, calvados_only
):
    login(client, admin_calvados)
    listing = client.get("/gestion/catalogue/").content.decode()
    assert "Calvados seul" in listing
    url = f"/gestion/catalogue/{calvados_only.slug}/moissonner/"
    assert client.get(url).status_code == 200
    response = client.post(url, {"mode": "full"})
    run = HarvestRun.objects.get(resource=calvados_only)
    assert response.status_code == 302
    assert response.url == run.get_absolute_url()
    assert run.status == HarvestRun.Status.SUCCEEDED  # the worker ran it (immediate in tests)
    assert run.started_by == admin_calvados
    report = client.get(run.get_absolute_url()).content.decode()
    assert "Réussi" in report or "réussi" in report
    state = client.get(f"/gestion/catalogue/moissons/{run.pk}/etat/").json()
    assert state["finished"] and state["created"] == 1 and state["percent"] == 100


def test_a_running_harvest_page_works_without_javascript(
    client, login, admin_calvados, calvados_only
):
    run = HarvestRun.objects.create(
        resource=calvados_only, format="csv", source="x", status="running", read=40, total=100
    )
    login(client, admin_calvados)
    page = client.get(run.get_absolute_url()).content.decode()
    assert "harvest-progress.js" in page
    assert 'value="40"' in page
    assert "Actualiser" in page
    assert client.get(f"/gestion/catalogue/moissons/{run.pk}/etat/").json()["percent"] == 40


def test_failed_harvest_shows_the_error(client, login, admin_calvados, make_resource, tmp_path):
    resource = make_resource(slug="cassee", source=tmp_path / "absent.csv")
    login(client, admin_calvados)
    client.post(f"/gestion/catalogue/{resource.slug}/moissonner/", {"mode": "full"})
    run = resource.runs.get()
    page = client.get(run.get_absolute_url()).content.decode()
    assert (
        "Source illisible : aucun fichier de ce nom dans le dossier de dépôt : absent.csv" in page
    )
    assert "Le catalogue est resté tel" in page


def test_resource_without_source_cannot_be_harvested(client, login, admin_calvados, provider):
    network = admin_calvados.staff_roles.get().network
    resource = Resource.objects.create(
        provider=provider, name="Vide", slug="vide", category="livre", owner=network
    )
    resource.networks.add(network)
    login(client, admin_calvados)
    page = client.post(f"/gestion/catalogue/{resource.slug}/moissonner/", {"mode": "full"})
    assert page.status_code == 200
    assert "Indiquez d&#x27;abord la source" in page.content.decode()
    assert not resource.runs.exists()


@pytest.mark.parametrize("who", ["librarian_bayeux", "admin_caen", "librarian_caen", "outsider"])
def test_only_the_network_admin_may_launch(client, login, request, who, calvados_only):
    login(client, request.getfixturevalue(who))
    response = client.post(f"/gestion/catalogue/{calvados_only.slug}/moissonner/", {"mode": "full"})
    assert response.status_code in (403, 404)
    assert not calvados_only.runs.exists()


def test_anonymous_goes_to_login(client, calvados_only):
    for url in ["/gestion/catalogue/", f"/gestion/catalogue/{calvados_only.slug}/moissonner/"]:
        response = client.get(url)
        assert response.status_code == 302 and "login" in response.url


@pytest.mark.parametrize("who", ["admin_caen", "librarian_caen", "outsider"])
def test_run_report_is_refused_outside_the_network(client, login, request, who, calvados_only):
    from boite.catalog.harvest.runner import harvest

    run = harvest(calvados_only)
    login(client, request.getfixturevalue(who))
    assert client.get(run.get_absolute_url()).status_code in (403, 404)
    assert client.get(f"/gestion/catalogue/moissons/{run.pk}/etat/").status_code in (403, 404)


def test_librarian_of_the_network_reads_the_report_but_cannot_launch(
    client, login, librarian_lisieux, calvados_only
):
    from boite.catalog.harvest.runner import harvest

    run = harvest(calvados_only)
    login(client, librarian_lisieux)
    assert client.get(run.get_absolute_url()).status_code == 200
    listing = client.get("/gestion/catalogue/").content.decode()
    assert "Calvados seul" in listing
    assert "/moissonner/" not in listing


def test_resource_validation_messages(provider):
    from django.core.exceptions import ValidationError

    resource = Resource(
        provider=provider, name="X", slug="x", category="livre", harvest_format="pdf",
        age_min=12, age_max=3, harvest_options=[],
    )  # fmt: skip
    with pytest.raises(ValidationError) as error:
        resource.clean()
    assert "harvest_format" in error.value.message_dict
    resource.harvest_format = "csv"
    with pytest.raises(ValidationError) as error:
        resource.clean()
    assert "age_max" in error.value.message_dict
