"""Who may open each page of /pro/: refusals first, for every view."""

import pytest
from django.urls import reverse

from boite.pro.models import Attachment
from boite.pro.tests.conftest import PDF

READ_VIEWS = [
    ("pro:index", None),
    ("pro:feed_rss", None),
    ("pro:feed_atom", None),
    ("pro:profile", None),
    ("pro:post", "post"),
    ("pro:attachment", "attachment"),
    ("pro:events", None),
    ("pro:event", "event"),
    ("pro:event_ics", "event"),
    ("pro:documents", None),
    ("pro:document", "document"),
    ("pro:document_download", "version"),
    ("pro:directory", None),
]
POST_VIEWS = [
    ("pro:event_register", "event"),
    ("pro:event_cancel", "event"),
]
WRITE_VIEWS = [
    ("pro:post_new", None, "get"),
    ("pro:post_edit", "post", "get"),
    ("pro:attachment_add", "post", "post"),
    ("pro:event_new", None, "get"),
    ("pro:event_edit", "event", "get"),
    ("pro:event_message", "event", "post"),
    ("pro:document_new", None, "get"),
    ("pro:document_version", "document", "post"),
]
ALL_VIEWS = (
    [(name, obj, "get") for name, obj in READ_VIEWS]
    + [(name, obj, "post") for name, obj in POST_VIEWS]
    + WRITE_VIEWS
)
REFUSED = ["outsider", "patron", "librarian_caen", "admin_caen"]


@pytest.fixture
def objects(post, event, document):
    from django.core.files.base import ContentFile

    attachment = Attachment.objects.create(
        post=post, file=ContentFile(PDF, name="a.pdf"), original_name="a.pdf", size=len(PDF)
    )
    return {
        "post": post,
        "event": event,
        "document": document,
        "version": document.versions.get(),
        "attachment": attachment,
    }


def _url(name, obj, objects):
    return reverse(name, args=[objects[obj].pk]) if obj else reverse(name)


@pytest.mark.parametrize(("name", "obj", "method"), ALL_VIEWS)
def test_anonymous_visitors_go_to_the_login_page(client, objects, name, obj, method):
    response = getattr(client, method)(_url(name, obj, objects))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.parametrize("persona", REFUSED)
@pytest.mark.parametrize(("name", "obj", "method"), ALL_VIEWS)
def test_people_who_are_not_staff_of_this_network_are_refused(
    request, client, login, objects, persona, name, obj, method
):
    login(client, request.getfixturevalue(persona))
    response = getattr(client, method)(_url(name, obj, objects))
    assert response.status_code == 403


@pytest.mark.parametrize(("name", "obj"), READ_VIEWS)
@pytest.mark.parametrize("persona", ["librarian_bayeux", "librarian_lisieux", "finance_officer"])
def test_any_staff_member_of_the_network_reads(request, client, login, objects, persona, name, obj):
    login(client, request.getfixturevalue(persona))
    response = client.get(_url(name, obj, objects))
    assert response.status_code == 200


@pytest.mark.parametrize(("name", "obj", "method"), WRITE_VIEWS)
def test_library_staff_do_not_write(client, login, librarian_bayeux, objects, name, obj, method):
    login(client, librarian_bayeux)
    response = getattr(client, method)(_url(name, obj, objects))
    assert response.status_code == 403


@pytest.mark.parametrize(("name", "obj"), [(n, o) for n, o, m in WRITE_VIEWS if m == "get"])
@pytest.mark.parametrize("persona", ["editor", "admin_calvados"])
def test_editors_and_network_administrators_write(
    request, client, login, objects, persona, name, obj
):
    login(client, request.getfixturevalue(persona))
    assert client.get(_url(name, obj, objects)).status_code == 200


def test_staff_of_the_other_network_read_only_what_is_shared(
    caen_client, login, librarian_caen, post, shared_post, event, document
):
    login(caen_client, librarian_caen)
    assert caen_client.get(reverse("pro:index")).status_code == 200
    assert caen_client.get(reverse("pro:post", args=[post.pk])).status_code == 404
    assert caen_client.get(reverse("pro:post", args=[shared_post.pk])).status_code == 200
    assert caen_client.get(reverse("pro:event", args=[event.pk])).status_code == 404
    assert caen_client.get(reverse("pro:document", args=[document.pk])).status_code == 404
    feed = caen_client.get(reverse("pro:feed_rss")).content.decode()
    assert shared_post.title in feed
    assert post.title not in feed


def test_an_administrator_of_the_other_network_cannot_edit_a_shared_post(
    caen_client, login, admin_caen, shared_post
):
    login(caen_client, admin_caen)
    assert caen_client.get(reverse("pro:post", args=[shared_post.pk])).status_code == 200
    response = caen_client.get(reverse("pro:post_edit", args=[shared_post.pk]))
    assert response.status_code == 404


def test_drafts_are_hidden_from_readers(client, login, librarian_bayeux, editor, post):
    post.published_at = None
    post.save()
    login(client, librarian_bayeux)
    assert client.get(reverse("pro:post", args=[post.pk])).status_code == 404
    login(client, editor)
    assert client.get(reverse("pro:post", args=[post.pk])).status_code == 200


def test_documents_follow_their_audience(
    client, login, librarian_bayeux, editor, admin_calvados, document
):
    document.audience = document.Audience.ADMINS
    document.save()
    version = document.versions.get()
    login(client, librarian_bayeux)
    assert client.get(reverse("pro:document", args=[document.pk])).status_code == 404
    assert client.get(reverse("pro:document_download", args=[version.pk])).status_code == 404
    login(client, editor)
    assert client.get(reverse("pro:document", args=[document.pk])).status_code == 404
    login(client, admin_calvados)
    assert client.get(reverse("pro:document", args=[document.pk])).status_code == 200
    document.audience = document.Audience.WRITERS
    document.save()
    login(client, editor)
    assert client.get(reverse("pro:document", args=[document.pk])).status_code == 200
    login(client, librarian_bayeux)
    assert client.get(reverse("pro:document", args=[document.pk])).status_code == 404
