"""News for patrons: per network, scheduled, on the home page and under /actualites/."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from boite.pro.models import NewsItem, Selection, SelectionItem


def test_news_appear_on_the_home_page_and_the_list(client, news):
    home = client.get("/").content.decode()
    assert news.title in home
    assert reverse("pro:news_detail", args=[news.slug]) in home
    listing = client.get(reverse("pro:news")).content.decode()
    assert news.summary in listing
    detail = client.get(reverse("pro:news_detail", args=[news.slug]))
    assert detail.status_code == 200


def test_scheduled_news_stay_hidden_until_their_time(client, calvados, time_machine):
    item = NewsItem.objects.create(
        network=calvados,
        title="Bientôt : Muniki",
        slug="muniki",
        summary="Le 1er du mois.",
        publish_at=timezone.now() + timedelta(days=2),
    )
    assert item.title not in client.get("/").content.decode()
    assert client.get(reverse("pro:news_detail", args=[item.slug])).status_code == 404
    time_machine.move_to(timezone.now() + timedelta(days=3))
    assert item.title in client.get(reverse("pro:news")).content.decode()


def test_each_portal_shows_its_own_news(client, caen_client, news, caen_network):
    caen_item = NewsItem.objects.create(
        network=caen_network, title="À Caen", slug="a-caen", summary="Pour Caen."
    )
    assert caen_item.title not in client.get(reverse("pro:news")).content.decode()
    assert news.title not in caen_client.get(reverse("pro:news")).content.decode()
    assert caen_client.get(reverse("pro:news_detail", args=[news.slug])).status_code == 404
    assert caen_item.title in caen_client.get("/").content.decode()


def test_news_text_is_sanitised(client, calvados):
    NewsItem.objects.create(
        network=calvados, title="Piège", slug="piege", summary="s",
        body="<script>alert(1)</script>[x](javascript:alert(2))",
    )  # fmt: skip
    page = client.get(reverse("pro:news_detail", args=["piege"])).content.decode()
    assert "<script>alert(1)" not in page and "javascript:alert(2)" not in page


def test_a_selection_of_favourites(client, caen_client, calvados):
    selection = Selection.objects.create(
        network=calvados, title="Coups de cœur de cet été", slug="ete", introduction="À lire."
    )
    SelectionItem.objects.create(
        selection=selection, title="Parasite", link="https://example.org/film", position=1
    )
    SelectionItem.objects.create(selection=selection, title="Germinal", position=0)
    assert selection.title in client.get(reverse("pro:news")).content.decode()
    page = client.get(reverse("pro:selection", args=["ete"])).content.decode()
    assert page.index("Germinal") < page.index("Parasite")
    assert caen_client.get(reverse("pro:selection", args=["ete"])).status_code == 404


def test_a_patron_sees_the_news_but_not_the_pro_space(client, login, patron, news):
    login(client, patron)
    assert news.title in client.get("/").content.decode()
    assert client.get(reverse("pro:index")).status_code == 403
