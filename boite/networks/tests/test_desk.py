"""The staff desk (/gestion/) and the staff menu: work in one's own scope, links that open."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from lxml import html

from boite.networks import desk
from boite.networks.models import User
from boite.patrons.factories import make_patron
from boite.patrons.models import Patron

pytestmark = pytest.mark.django_db


def _trial(library, email: str, ends_in_days: int) -> Patron:
    return make_patron(
        library,
        state=Patron.State.TRIAL,
        email=email,
        trial_ends_on=timezone.localdate() + timedelta(days=ends_in_days),
    )


def _tasks(page: str) -> list[tuple[str, str]]:
    """The desk's tasks as (count, what) pairs."""
    items = html.fromstring(page).xpath('//li[contains(@class, "desk-task")]')
    return [
        (
            item.xpath('string(.//*[@class="desk-count"])'),
            item.xpath('string(.//*[@class="desk-text"])'),
        )
        for item in items
    ]


def _menu_links(page: bytes) -> list[str]:
    return html.fromstring(page.decode()).xpath('//nav[@id="staff-nav"]//a/@href')


def test_the_desk_counts_the_librarians_own_registrations(
    client, login, librarian_bayeux, bayeux_library, lisieux_library
):
    _trial(bayeux_library, "a@example.org", 3)
    _trial(bayeux_library, "b@example.org", 15)
    _trial(lisieux_library, "c@example.org", 2)  # another library: not this desk's work
    login(client, librarian_bayeux)
    page = client.get("/gestion/").content.decode()
    assert ("2", "inscriptions à valider") in _tasks(page)
    assert ("1", "essai se termine dans la semaine sans validation") in _tasks(page)


def test_the_network_administrator_sees_the_whole_network(
    client, login, admin_calvados, bayeux_library, lisieux_library, caen_library
):
    _trial(bayeux_library, "a@example.org", 20)
    _trial(lisieux_library, "b@example.org", 20)
    _trial(caen_library, "c@example.org", 20)  # the other network
    login(client, admin_calvados)
    assert ("2", "inscriptions à valider") in _tasks(client.get("/gestion/").content.decode())


def test_an_empty_desk_says_so(client, login, librarian_bayeux):
    login(client, librarian_bayeux)
    assert "Rien ne vous attend" in client.get("/gestion/").content.decode()


def test_the_desk_refuses_outsiders_and_sends_visitors_to_the_login(client, login, outsider):
    assert client.get("/gestion/").status_code == 302
    login(client, outsider)
    assert client.get("/gestion/").status_code == 403


def test_a_patron_is_refused_the_desk(client, login, patron_bayeux):
    login(client, patron_bayeux.user)
    assert client.get("/gestion/").status_code == 403


@pytest.mark.parametrize(
    ("persona", "host", "shown", "hidden"),
    [
        ("librarian_bayeux", "localhost", {"/gestion/usagers/"}, {"/gestion/finances/"}),
        ("admin_calvados", "localhost", {"/gestion/statistiques/rapports/"}, set()),
        ("admin_caen", "caen.localhost", {"/gestion/prets/", "/gestion/finances/"}, set()),
        ("finance_officer", "localhost", {"/gestion/finances/"}, {"/gestion/usagers/"}),
        ("editor", "localhost", {"/pro/"}, {"/gestion/usagers/", "/gestion/statistiques/"}),
    ],
)
def test_no_menu_link_ends_on_a_refusal(request, persona, host, shown, hidden):
    user: User = request.getfixturevalue(persona)
    client = Client(HTTP_HOST=host)
    client.force_login(user)
    desk = client.get("/gestion/")
    assert desk.status_code == 200
    links = _menu_links(desk.content)
    assert shown <= set(links), links
    assert not hidden & set(links), links
    for link in links:
        assert client.get(link).status_code == 200, f"{persona}: {link}"


def test_the_superuser_menu_has_every_staff_page(client, calvados):
    root = User.objects.create_superuser("root", "root@example.org", "x")
    client.force_login(root)
    links = _menu_links(client.get("/gestion/").content)
    assert len(links) == len(desk.MENU)
    for link in links:
        assert client.get(link).status_code == 200, link


def test_staff_pages_have_their_own_header(client, login, librarian_bayeux):
    login(client, librarian_bayeux)
    page = html.fromstring(client.get("/gestion/usagers/").content.decode())
    assert not page.xpath('//nav[@id="main-nav"]')  # no patron category menu
    assert not page.xpath('//header//form[@role="search"]')  # nor the catalogue search
    assert page.xpath('//a[@href="/admin/"]')
    assert not page.xpath('//a[@href="/compte/"]')  # « Mon compte » is the patrons'


def test_the_portal_header_shows_staff_the_way_to_their_desk(client, login, librarian_bayeux):
    login(client, librarian_bayeux)
    page = html.fromstring(client.get("/").content.decode())
    assert page.xpath('//header//a[@href="/gestion/"]')


def test_a_staff_login_lands_on_the_desk(client, librarian_bayeux):
    from conftest import PASSWORD

    librarian_bayeux.set_password(PASSWORD)
    librarian_bayeux.save()
    form = client.get("/admin/login/")
    assert 'name="next" value="/gestion/"' in form.content.decode()
    answer = client.post(
        "/admin/login/",
        {"username": librarian_bayeux.username, "password": PASSWORD, "next": "/gestion/"},
    )
    assert answer.status_code == 302
    assert answer["Location"] == "/gestion/"


def test_a_login_sent_from_a_page_returns_to_it(client):
    form = client.get("/admin/login/?next=/gestion/statistiques/")
    assert 'name="next" value="/gestion/statistiques/"' in form.content.decode()


def test_the_back_office_links_to_the_desk(client, login, admin_calvados):
    login(client, admin_calvados)
    page = html.fromstring(client.get("/admin/").content.decode())
    assert page.xpath('//*[@id="user-tools"]//a[@href="/gestion/"]')
