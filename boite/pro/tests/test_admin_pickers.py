"""Every picker of the professional space's back office lists and accepts only the
network's own objects, and a post or comment is signed by whoever writes it."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from boite.catalog.models import Provider, Record, Resource
from boite.pro.models import Comment, Document, Post, Selection, SelectionItem

ADD_COMMENT = "admin:pro_comment_add"


@pytest.fixture
def caen_post(caen_network, admin_caen) -> Post:
    return Post.objects.create(
        network=caen_network,
        title="Réunion Caen",
        category=Post.Category.NEWS,
        body="Ordre du jour.",
        author=admin_caen,
        published_at=timezone.now() - timedelta(hours=1),
    )


@pytest.fixture
def calvados_resource(calvados) -> Resource:
    provider = Provider.objects.create(name="ARTE", slug="arte", owner=calvados)
    resource = Resource.objects.create(
        provider=provider, name="Films", slug="films", category="cinema", owner=calvados
    )
    resource.networks.add(calvados)
    return resource


def test_a_comment_on_the_other_networks_post_is_refused(client, login, admin_caen, post, editor):
    login(client, admin_caen)
    response = client.post(
        reverse(ADD_COMMENT), {"post": post.pk, "author": editor.pk, "body": "Faux"}
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["post"]
    assert not Comment.objects.filter(body="Faux").exists()


def test_a_comment_gets_the_logged_in_author_whatever_the_post_says(
    client, login, admin_caen, caen_post, librarian_caen
):
    login(client, admin_caen)
    form = client.get(reverse(ADD_COMMENT)).context["adminform"].form
    assert "author" not in form.fields
    assert list(form.fields["post"].queryset) == [caen_post]
    response = client.post(
        reverse(ADD_COMMENT),
        {"post": caen_post.pk, "author": librarian_caen.pk, "body": "Je serai là."},
    )
    assert response.status_code == 302
    comment = Comment.objects.get(body="Je serai là.")
    assert comment.author == admin_caen and comment.post == caen_post


def test_editing_a_comment_keeps_its_author_and_its_network(
    client, login, admin_caen, caen_post, librarian_caen, post
):
    comment = Comment.objects.create(post=caen_post, author=librarian_caen, body="Merci")
    login(client, admin_caen)
    url = reverse("admin:pro_comment_change", args=[comment.pk])
    response = client.post(url, {"post": post.pk, "author": admin_caen.pk, "body": "Modifié"})
    assert response.status_code == 200 and response.context["adminform"].form.errors["post"]
    response = client.post(url, {"post": caen_post.pk, "author": admin_caen.pk, "body": "Ok"})
    assert response.status_code == 302
    comment.refresh_from_db()
    assert (comment.author, comment.post, comment.body) == (librarian_caen, caen_post, "Ok")


def test_a_post_gets_the_logged_in_author(client, login, editor, admin_calvados, calvados):
    login(client, editor)
    response = client.post(
        reverse("admin:pro_post_add"),
        {
            "network": calvados.pk,
            "title": "Nouveau billet",
            "category": "actualites",
            "body": "Texte",
            "author": admin_calvados.pk,
            "attachments-TOTAL_FORMS": "0",
            "attachments-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    assert Post.objects.get(title="Nouveau billet").author == editor


def test_a_document_points_only_to_a_resource_of_the_network(
    client, login, admin_caen, caen_network, calvados_resource
):
    login(client, admin_caen)
    response = client.post(
        reverse("admin:pro_document_add"),
        {
            "network": caen_network.pk,
            "kind": "guide",
            "title": "Présenter les films",
            "resource": calvados_resource.pk,
            "audience": "staff",
            "versions-TOTAL_FORMS": "0",
            "versions-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200 and response.context["adminform"].form.errors["resource"]
    assert not Document.objects.filter(title="Présenter les films").exists()


def test_a_selection_picks_only_records_the_network_serves(
    client, login, admin_caen, caen_network, calvados_resource
):
    record = Record.objects.create(resource=calvados_resource, provider_id="f1", title="Film")
    selection = Selection.objects.create(network=caen_network, title="Été", slug="ete")
    login(client, admin_caen)
    url = reverse("admin:pro_selection_change", args=[selection.pk])
    response = client.post(
        url,
        {
            "network": caen_network.pk,
            "title": "Été",
            "slug": "ete",
            "publish_at_0": "2026-06-01",
            "publish_at_1": "10:00",
            "items-TOTAL_FORMS": "1",
            "items-INITIAL_FORMS": "0",
            "items-0-record": record.pk,
            "items-0-position": "0",
        },
    )
    assert response.status_code == 200
    (items,) = response.context["inline_admin_formsets"]
    assert "record" in items.formset.errors[0]
    assert not SelectionItem.objects.filter(selection=selection).exists()


def test_the_staff_pages_document_form_refuses_another_networks_resource(
    client, login, admin_caen, calvados_resource
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from boite.pro.tests.conftest import PDF

    login(client, admin_caen)
    response = client.post(
        reverse("pro:document_new"),
        {
            "kind": "guide",
            "title": "Guide films",
            "resource": calvados_resource.pk,
            "audience": "staff",
            "file": SimpleUploadedFile("guide.pdf", PDF, "application/pdf"),
        },
        HTTP_HOST="caen.localhost",
    )
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["resource"]
    assert not Document.objects.filter(title="Guide films").exists()


@pytest.mark.parametrize("who", ["librarian_caen", "librarian_bayeux", "outsider"])
def test_people_without_a_writing_role_cannot_add_comments(
    client, login, request, who, post, editor
):
    login(client, request.getfixturevalue(who))
    response = client.post(
        reverse(ADD_COMMENT), {"post": post.pk, "author": editor.pk, "body": "Intrus"}
    )
    assert response.status_code in (302, 403)
    assert not Comment.objects.filter(body="Intrus").exists()
