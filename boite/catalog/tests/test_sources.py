"""Where a harvest source may come from: an http(s) address, a file uploaded with the
resource, or a file of the drop directory chosen by a superuser — never a path someone
types. Through the back office's forms, as the Caen network administrator would use them."""

from __future__ import annotations

import importlib
import os

import pytest
from django.apps import apps as django_apps
from django.core.files.uploadedfile import SimpleUploadedFile

from boite.catalog.harvest.runner import harvest
from boite.catalog.models import HarvestRun, Record, Resource
from boite.lib.dropdir import OutsideDirectory, files_in, resolve_inside
from boite.tests.admin_forms import admin_form_data

CSV = "id;titre\nc1;Premier titre\nc2;Second titre\n"
UNSUPPORTED = "adresse non prise en charge : utilisez http:// ou https://"
OUTSIDE = "fichier hors du dossier de dépôt"
SUPERUSER_ONLY = "seul un superutilisateur peut choisir un fichier du dossier de dépôt"


@pytest.fixture
def root(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.org", "x")


@pytest.fixture
def drop(settings, tmp_path):
    """A drop directory holding one catalogue, next to a « var/ » that must stay out."""
    folder = tmp_path / "depot"
    folder.mkdir()
    (folder / "catalogue.csv").write_text(CSV, "utf-8")
    var = tmp_path / "var"
    var.mkdir()
    (var / "huey.db").write_text("id;titre\nsecret;lien de réinitialisation\n", "utf-8")
    settings.CATALOG_DROP_DIR = folder
    return folder


@pytest.fixture
def caen_resource(make_resource, caen_network):
    return make_resource(
        slug="caen-seul",
        name="Caen seul",
        source="https://fournisseur.example/catalogue.csv",
        networks=[caen_network],
        owner=caen_network,
    )


def _change(client, resource: Resource, **changes):
    """POST the resource's change form as the browser sends it, with `changes`."""
    url = f"/admin/catalog/resource/{resource.pk}/change/"
    data = admin_form_data(client.get(url))
    data.update(changes)
    return client.post(url, data)


def _errors(page) -> str:
    """What the admin refused, for a failing assertion's message."""
    context = page.context_data or {}
    form = context.get("adminform")
    formsets = context.get("inline_admin_formsets", [])
    return f"{form.form.errors if form else ''} {[f.formset.errors for f in formsets]}"


def _unchanged(resource: Resource) -> None:
    before = (resource.harvest_source, resource.harvest_file.name, resource.harvest_drop_file)
    resource.refresh_from_db()
    assert (resource.harvest_source, resource.harvest_file.name, resource.harvest_drop_file) == (
        before
    )


# -- typed paths --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed", ["/etc/passwd", "../../var/huey.db", "file:///etc/passwd", "var/oidc.pem"]
)
def test_a_typed_path_is_refused_and_changes_nothing(
    caen_client, login, admin_caen, caen_resource, typed
):
    login(caen_client, admin_caen)
    page = _change(caen_client, caen_resource, harvest_source=typed)
    assert page.status_code == 200
    assert UNSUPPORTED in page.content.decode()
    _unchanged(caen_resource)


def test_a_path_left_in_the_database_is_never_harvested(make_resource, tmp_path):
    secret = tmp_path / "passwd"
    secret.write_text(CSV, "utf-8")
    resource = make_resource()
    Resource.objects.filter(pk=resource.pk).update(harvest_source=str(secret))
    run = harvest(Resource.objects.get(pk=resource.pk))
    assert run.status == HarvestRun.Status.FAILED
    assert run.error == f"Source illisible : {UNSUPPORTED}"
    assert not Record.objects.filter(resource=resource).exists()


# -- the drop directory -------------------------------------------------------------------


def test_a_drop_file_outside_is_refused_to_a_superuser(
    caen_client, login, root, caen_resource, drop
):
    login(caen_client, root)
    for name in ("../var/huey.db", "/etc/passwd", "../../var/huey.db"):
        page = _change(caen_client, caen_resource, harvest_source="", harvest_drop_file=name)
        assert page.status_code == 200
        assert OUTSIDE in page.content.decode(), name
        _unchanged(caen_resource)


def test_a_symlink_pointing_out_is_neither_offered_nor_accepted(
    caen_client, login, root, caen_resource, drop
):
    (drop / "lien.csv").symlink_to(drop.parent / "var" / "huey.db")
    login(caen_client, root)
    form = caen_client.get(f"/admin/catalog/resource/{caen_resource.pk}/change/")
    assert 'value="catalogue.csv"' in form.content.decode()
    assert "lien.csv" not in form.content.decode()
    page = _change(caen_client, caen_resource, harvest_source="", harvest_drop_file="lien.csv")
    assert OUTSIDE in page.content.decode()
    _unchanged(caen_resource)


def test_only_a_superuser_may_choose_a_drop_file(
    caen_client, login, admin_caen, caen_resource, drop
):
    login(caen_client, admin_caen)
    form = caen_client.get(f"/admin/catalog/resource/{caen_resource.pk}/change/")
    assert 'value="catalogue.csv"' not in form.content.decode()  # not even listed
    page = _change(caen_client, caen_resource, harvest_source="", harvest_drop_file="catalogue.csv")
    assert page.status_code == 200
    assert SUPERUSER_ONLY in page.content.decode()
    _unchanged(caen_resource)


def test_a_superuser_chooses_a_drop_file_and_it_is_harvested(
    caen_client, login, root, admin_caen, caen_resource, drop
):
    login(caen_client, root)
    page = _change(caen_client, caen_resource, harvest_source="", harvest_drop_file="catalogue.csv")
    assert page.status_code == 302, _errors(page)
    caen_resource.refresh_from_db()
    assert caen_resource.harvest_drop_file == "catalogue.csv"
    # The network administrator may still edit the resource: the choice stays.
    login(caen_client, admin_caen)
    page = _change(caen_client, caen_resource, description="Presse locale")
    assert page.status_code == 302, _errors(page)
    caen_resource.refresh_from_db()
    assert caen_resource.harvest_drop_file == "catalogue.csv"
    caen_client.post(f"/gestion/catalogue/{caen_resource.slug}/moissonner/", {"mode": "full"})
    run = caen_resource.runs.get()
    assert run.status == HarvestRun.Status.SUCCEEDED, run.error
    assert run.created == 2
    assert (
        "dossier de dépôt : catalogue.csv"
        in caen_client.get(run.get_absolute_url()).content.decode()
    )


def test_a_drop_file_swapped_for_a_link_out_after_the_choice_is_refused_at_the_run(
    make_resource, drop
):
    resource = make_resource(source=drop / "catalogue.csv")
    (drop / "catalogue.csv").unlink()
    (drop / "catalogue.csv").symlink_to(drop.parent / "var" / "huey.db")
    run = harvest(resource)
    assert run.status == HarvestRun.Status.FAILED
    assert run.error == f"Source illisible : {OUTSIDE}"
    assert not Record.objects.filter(resource=resource).exists()


def test_without_a_drop_directory_the_choice_is_not_offered(
    caen_client, login, root, caen_resource, settings
):
    settings.CATALOG_DROP_DIR = None
    login(caen_client, root)
    form = caen_client.get(f"/admin/catalog/resource/{caen_resource.pk}/change/")
    assert form.status_code == 200
    assert 'name="harvest_drop_file"' not in form.content.decode()


# -- uploads ------------------------------------------------------------------------------


def test_an_uploaded_file_is_harvested_end_to_end(
    caen_client, login, admin_caen, admin_calvados, librarian_bayeux, outsider, caen_resource
):
    login(caen_client, admin_caen)
    upload = SimpleUploadedFile("catalogue-caen.csv", CSV.encode(), "text/csv")
    page = _change(caen_client, caen_resource, harvest_source="", harvest_file=upload)
    assert page.status_code == 302, _errors(page)
    caen_resource.refresh_from_db()
    assert caen_resource.harvest_file.name.endswith(".csv")
    caen_client.post(f"/gestion/catalogue/{caen_resource.slug}/moissonner/", {"mode": "full"})
    run = caen_resource.runs.get()
    assert run.status == HarvestRun.Status.SUCCEEDED, run.error
    assert run.created == 2
    assert run.source_file.name == caen_resource.harvest_file.name
    report = caen_client.get(run.get_absolute_url()).content.decode()
    link = f"/gestion/catalogue/moissons/{run.pk}/fichier/"
    assert f'href="{link}"' in report
    sent = caen_client.get(link)
    assert sent.status_code == 200
    assert b"".join(sent.streaming_content) == CSV.encode()
    assert sent["Content-Disposition"].startswith("attachment")
    # The resource's form shows the file, linked to a staff view, and may clear it.
    form = caen_client.get(f"/admin/catalog/resource/{caen_resource.pk}/change/")
    current = f"/gestion/catalogue/{caen_resource.slug}/fichier/"
    assert f'href="{current}"' in form.content.decode()
    assert b"".join(caen_client.get(current).streaming_content) == CSV.encode()
    # The librarian of another network, and an outsider, never get it.
    for stranger in (librarian_bayeux, admin_calvados, outsider):
        login(caen_client, stranger)
        assert caen_client.get(link).status_code in (302, 403, 404)
        assert caen_client.get(current).status_code in (302, 403, 404)
    login(caen_client, admin_caen)
    page = _change(
        caen_client,
        caen_resource,
        harvest_source="https://fournisseur.example/flux.csv",
        **{"harvest_file-clear": "on"},
    )
    assert page.status_code == 302, _errors(page)
    caen_resource.refresh_from_db()
    assert not caen_resource.harvest_file
    assert run.source_file.storage.exists(run.source_file.name)  # the run keeps its file


def test_an_upload_that_is_not_a_catalogue_is_refused(
    caen_client, login, admin_caen, caen_resource, settings
):
    login(caen_client, admin_caen)
    page = SimpleUploadedFile("catalogue.csv", b"<html><script>alert(1)</script>", "text/csv")
    response = _change(caen_client, caen_resource, harvest_source="", harvest_file=page)
    assert response.status_code == 200
    assert "ne correspond pas à son extension" in response.content.decode()
    settings.CATALOG_MAX_UPLOAD_BYTES = 10
    big = SimpleUploadedFile("catalogue.csv", CSV.encode(), "text/csv")
    response = _change(caen_client, caen_resource, harvest_source="", harvest_file=big)
    assert "trop volumineux" in response.content.decode()
    _unchanged(caen_resource)


def test_two_sources_at_once_are_refused(caen_client, login, admin_caen, caen_resource):
    login(caen_client, admin_caen)
    upload = SimpleUploadedFile("catalogue.csv", CSV.encode(), "text/csv")
    page = _change(caen_client, caen_resource, harvest_file=upload)
    assert "Choisissez une seule source" in page.content.decode()
    _unchanged(caen_resource)


# -- the data migration and the resolver -------------------------------------------------


def test_the_migration_keeps_addresses_and_drops_paths(make_resource, drop, tmp_path, settings):
    migration = importlib.import_module(
        "boite.catalog.migrations.0008_harvest_sources_without_paths"
    )
    address = make_resource(slug="adresse", source="https://fournisseur.example/flux.csv")
    outside = make_resource(slug="dehors")
    inside = make_resource(slug="dedans")
    settings.CATALOG_DROP_DIR = drop
    Resource.objects.filter(pk=outside.pk).update(harvest_source="/etc/passwd")
    Resource.objects.filter(pk=inside.pk).update(harvest_source=str(drop / "catalogue.csv"))
    migration.paths_out_of_sources(django_apps, None)
    for resource in (address, outside, inside):
        resource.refresh_from_db()
    assert address.harvest_source == "https://fournisseur.example/flux.csv"
    assert (outside.harvest_source, outside.harvest_drop_file) == ("", "")
    assert (inside.harvest_source, inside.harvest_drop_file) == ("", "catalogue.csv")


def test_resolve_inside_refuses_every_way_out(tmp_path):
    root = tmp_path / "depot"
    (root / "sous").mkdir(parents=True)
    (root / "sous" / "a.csv").write_text("x")
    (tmp_path / "secret").write_text("x")
    os.symlink(tmp_path / "secret", root / "lien")
    os.symlink(tmp_path, root / "dossier-lien")
    assert resolve_inside(root, "sous/a.csv") == (root / "sous" / "a.csv").resolve()
    for name in ("", "/etc/passwd", "../secret", "sous/../../secret", "lien",
                 "dossier-lien/secret", "sous\\..\\..\\secret", "a\x00b", "."):  # fmt: skip
        with pytest.raises(OutsideDirectory):
            resolve_inside(root, name)
    assert files_in(root) == ["sous/a.csv"]
