"""The blog: writing, reading, comments, feeds and the weekly digest."""

from datetime import timedelta
from xml.etree import ElementTree

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from boite.pro.models import Comment, Post, Profile
from boite.pro.tasks import send_weekly_digests

ATOM = "{http://www.w3.org/2005/Atom}"


def test_an_editor_publishes_a_post(client, login, editor, calvados):
    login(client, editor)
    response = client.post(
        reverse("pro:post_new"),
        {"title": "Vodeclic change d'adresse", "category": "technique", "body": "Voir *ici*.",
         "publish": "on"},
    )  # fmt: skip
    post = Post.objects.get()
    assert response.status_code == 302
    assert post.network == calvados
    assert post.author == editor
    assert post.published_at is not None
    assert post.body_html == "<p>Voir <em>ici</em>.</p>"


def test_a_draft_stays_unpublished_and_bad_input_changes_nothing(client, login, editor):
    login(client, editor)
    client.post(reverse("pro:post_new"), {"title": "Brouillon", "category": "pnb", "body": "x"})
    assert Post.objects.get().published_at is None
    response = client.post(reverse("pro:post_new"), {"title": "", "category": "??", "body": ""})
    assert response.status_code == 200
    assert "Ce champ est obligatoire." in response.content.decode()
    assert Post.objects.count() == 1


def test_the_blog_lists_by_category(client, login, librarian_lisieux, post, shared_post):
    login(client, librarian_lisieux)
    page = client.get(reverse("pro:index"), {"categorie": "pnb"}).content.decode()
    assert shared_post.title in page
    assert post.title not in page


def test_staff_comment_and_comments_are_escaped(client, login, librarian_lisieux, post):
    login(client, librarian_lisieux)
    response = client.post(
        reverse("pro:post", args=[post.pk]), {"body": "<script>alert(1)</script> Merci !"}
    )
    assert response.status_code == 302
    assert Comment.objects.get().author == librarian_lisieux
    page = client.get(reverse("pro:post", args=[post.pk])).content.decode()
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Merci !" in page


def test_an_empty_comment_is_refused_with_a_message(client, login, librarian_bayeux, post):
    login(client, librarian_bayeux)
    response = client.post(reverse("pro:post", args=[post.pk]), {"body": "  "})
    assert response.status_code == 200
    assert "Ce champ est obligatoire." in response.content.decode()
    assert not Comment.objects.exists()


def test_the_rss_feed_lists_published_posts(client, login, librarian_lisieux, post):
    draft = Post.objects.create(network=post.network, title="Pas encore", category="pnb", body="")
    login(client, librarian_lisieux)
    response = client.get(reverse("pro:feed_rss"))
    assert response["Content-Type"].startswith("application/rss+xml")
    root = ElementTree.fromstring(response.content)  # noqa: S314 — our own feed
    titles = [t.text for t in root.iter("title")]
    assert post.title in titles
    assert draft.title not in titles
    description = root.find("channel/item/description").text
    assert "<strong>presse</strong>" in description


def test_the_atom_feed_lists_published_posts(client, login, librarian_bayeux, post):
    login(client, librarian_bayeux)
    response = client.get(reverse("pro:feed_atom"))
    root = ElementTree.fromstring(response.content)  # noqa: S314 — our own feed
    assert [e.find(f"{ATOM}title").text for e in root.iter(f"{ATOM}entry")] == [post.title]


def test_the_weekly_digest_goes_to_those_who_asked(
    client, login, librarian_lisieux, librarian_bayeux, librarian_caen, post, shared_post, on_commit
):
    old = Post.objects.create(
        network=post.network,
        title="Il y a un mois",
        category="pnb",
        body="",
        published_at=timezone.now() - timedelta(days=30),
    )
    login(client, librarian_lisieux)
    client.post(reverse("pro:profile"), {"weekly_digest": "on", "desk_digest": "never"})
    Profile.objects.create(user=librarian_caen, weekly_digest=True)
    Profile.objects.create(user=librarian_bayeux, weekly_digest=False)
    with on_commit(execute=True):
        assert send_weekly_digests() == 2
    by_recipient = {m.to[0]: m for m in mail.outbox}
    assert set(by_recipient) == {librarian_lisieux.email, librarian_caen.email}
    lisieux = by_recipient[librarian_lisieux.email].body
    assert post.title in lisieux and shared_post.title in lisieux and old.title not in lisieux
    assert f"http://localhost/pro/billets/{post.pk}/" in lisieux
    caen = by_recipient[librarian_caen.email].body
    assert shared_post.title in caen and post.title not in caen
    mail.outbox.clear()
    with on_commit(execute=True):
        assert send_weekly_digests() == 0  # nothing new since the last digest
    assert mail.outbox == []


@pytest.mark.parametrize("persona", ["librarian_bayeux", "admin_caen", "outsider"])
def test_a_person_who_does_not_write_cannot_change_a_post(request, client, login, post, persona):
    login(client, request.getfixturevalue(persona))
    response = client.post(
        reverse("pro:post_edit", args=[post.pk]),
        {"title": "Piraté", "category": "pnb", "body": "x", "publish": "on"},
    )
    assert response.status_code == 403
    post.refresh_from_db()
    assert post.title == "Nouveautés Cafeyn"


def test_a_private_feed_address_for_feed_readers(
    client, login, librarian_lisieux, post, shared_post, caen_client
):
    login(client, librarian_lisieux)
    client.post(reverse("pro:profile"), {"new_feed_key": "1"})
    token = Profile.objects.get(user=librarian_lisieux).feed_token
    assert len(token) >= 40
    assert token in client.get(reverse("pro:profile")).content.decode()
    reader = Client(HTTP_HOST="localhost")  # no session at all
    response = reader.get(reverse("pro:private_feed_atom", args=[token]))
    assert response.status_code == 200
    assert post.title in response.content.decode()
    assert reader.get(reverse("pro:private_feed_rss", args=[token])).status_code == 200
    # The key says who you are, not where you work: on another portal it opens nothing.
    assert caen_client.get(reverse("pro:private_feed_rss", args=[token])).status_code == 404
    # A renewed key retires the old address; a guessed one opens nothing.
    client.post(reverse("pro:profile"), {"new_feed_key": "1"})
    assert reader.get(reverse("pro:private_feed_rss", args=[token])).status_code == 404
    assert reader.get(reverse("pro:private_feed_rss", args=["x" * 43])).status_code == 404


def test_a_private_feed_stops_when_the_role_goes(client, librarian_lisieux, post):
    token = Profile.objects.create(user=librarian_lisieux).new_feed_token()
    librarian_lisieux.staff_roles.all().delete()
    assert client.get(reverse("pro:private_feed_rss", args=[token])).status_code == 404
