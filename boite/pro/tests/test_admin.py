"""The back office of the professional space, scoped by network and role."""

import pytest
from django.urls import reverse

from boite.pro.models import Comment, Document, Event, NewsItem, OfferContact, Post, Selection

MODELS = [Post, Comment, Event, Document, NewsItem, Selection, OfferContact]


@pytest.fixture
def rows(post, event, document, news, calvados, librarian_bayeux):
    return {
        Post: post,
        Comment: Comment.objects.create(post=post, author=librarian_bayeux, body="Merci"),
        Event: event,
        Document: document,
        NewsItem: news,
        Selection: Selection.objects.create(network=calvados, title="Été", slug="ete"),
        OfferContact: OfferContact.objects.create(network=calvados, offer="Cafeyn", name="X"),
    }


def _urls(model, obj):
    meta = model._meta
    return (
        reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"),
        reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk]),
    )


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("persona", ["outsider", "librarian_bayeux", "librarian_lisieux"])
def test_people_without_a_writing_role_are_refused(request, client, login, rows, model, persona):
    login(client, request.getfixturevalue(persona))
    changelist, change = _urls(model, rows[model])
    assert client.get(changelist).status_code in {302, 403}
    assert client.get(change).status_code in {302, 403}


@pytest.mark.parametrize("model", MODELS)
def test_anonymous_visitors_go_to_the_login_page(client, rows, model):
    changelist, change = _urls(model, rows[model])
    assert client.get(changelist).status_code == 302
    assert client.get(change)["Location"].startswith(reverse("admin:login"))


@pytest.mark.parametrize("model", MODELS)
def test_the_administrator_of_the_other_network_does_not_see_the_rows(
    client, login, admin_caen, rows, model
):
    login(client, admin_caen)
    changelist, change = _urls(model, rows[model])
    response = client.get(changelist)
    assert response.status_code == 200
    assert response.context["cl"].result_count == 0
    assert client.get(change).status_code == 302  # « does not exist », back to the index


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("persona", ["editor", "admin_calvados"])
def test_writers_of_the_network_manage_the_rows(request, client, login, rows, model, persona):
    login(client, request.getfixturevalue(persona))
    changelist, change = _urls(model, rows[model])
    assert client.get(changelist).context["cl"].result_count == 1
    assert client.get(change).status_code == 200


def test_an_editor_only_picks_networks_where_they_write(
    client, login, editor, caen_network, calvados
):
    from boite.networks.models import StaffRole

    StaffRole.objects.create(user=editor, kind=StaffRole.Kind.FINANCE, network=caen_network)
    login(client, editor)
    form = client.get(reverse("admin:pro_newsitem_add")).context["adminform"].form
    assert list(form.fields["network"].queryset) == [calvados]
    response = client.post(
        reverse("admin:pro_newsitem_add"),
        {"network": caen_network.pk, "kind": "news", "title": "Intrus", "slug": "intrus",
         "summary": "s", "publish_at_0": "2026-01-01", "publish_at_1": "10:00"},
    )  # fmt: skip
    assert response.status_code == 200
    assert not NewsItem.objects.filter(slug="intrus").exists()
