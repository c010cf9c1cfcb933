"""The validation queue: validating is typing (or scanning) a card number and Enter."""

from datetime import timedelta

import pytest
from django.utils import timezone
from lxml import html

from boite.patrons.factories import make_patron
from boite.patrons.models import Patron

pytestmark = pytest.mark.django_db
QUEUE = "/gestion/usagers/"
VALIDATE = "/gestion/usagers/valider/"


def _trial(library, email: str, ends_in_days: int, **extra) -> Patron:
    return make_patron(
        library,
        state=Patron.State.TRIAL,
        email=email,
        trial_ends_on=timezone.localdate() + timedelta(days=ends_in_days),
        **extra,
    )


def _rows(page: bytes) -> list[str]:
    return [
        " ".join(row.xpath("string(./th)").split())
        for row in html.fromstring(page.decode()).xpath(
            '//table[contains(@class, "queue-table")]/tbody/tr'
        )
    ]


def test_the_queue_shows_trials_ending_first_with_what_a_librarian_needs(
    client, login, librarian_bayeux, bayeux_library
):
    _trial(bayeux_library, "late@example.org", 18, last_name="Tardif")
    _trial(bayeux_library, "soon@example.org", 2, last_name="Pressé")
    login(client, librarian_bayeux)
    answer = client.get(QUEUE)
    assert [r.split()[0] for r in _rows(answer.content)] == ["Pressé", "Tardif"]
    page = answer.content.decode()
    assert "Fin de l’essai" in page and "Courriel confirmé" in page
    assert "2 jours restants" in page  # the urgent one is flagged
    assert html.fromstring(page).xpath("//input[@autofocus]")[0].get("id").startswith("card-")


def test_the_queue_sorts_and_filters(
    client, login, admin_calvados, bayeux_library, lisieux_library
):
    _trial(bayeux_library, "b@example.org", 5, last_name="Bayeusain")
    _trial(lisieux_library, "l@example.org", 9, last_name="Lexovien")
    login(client, admin_calvados)
    only_lisieux = client.get(QUEUE, {"library": lisieux_library.pk})
    assert [r.split()[0] for r in _rows(only_lisieux.content)] == ["Lexovien"]
    by_name = client.get(QUEUE, {"sort": "name"})
    assert [r.split()[0] for r in _rows(by_name.content)] == ["Bayeusain", "Lexovien"]


def test_a_card_and_enter_validates_that_registration(
    client, login, librarian_bayeux, bayeux_library
):
    patron = _trial(bayeux_library, "a@example.org", 4)
    login(client, librarian_bayeux)
    answer = client.post(VALIDATE, {f"card-{patron.pk}": " BAY0042 ", "validate": "all"})
    assert answer.status_code == 302 and answer["Location"] == QUEUE
    patron.refresh_from_db()
    assert (patron.state, patron.card_number) == (Patron.State.ACTIVE, "BAY0042")
    assert patron.expires_on == patron.default_expiry(timezone.localdate())


def test_every_typed_card_is_validated_at_once(client, login, librarian_bayeux, bayeux_library):
    first = _trial(bayeux_library, "a@example.org", 4)
    second = _trial(bayeux_library, "b@example.org", 6)
    untouched = _trial(bayeux_library, "c@example.org", 8)
    login(client, librarian_bayeux)
    client.post(
        VALIDATE,
        {f"card-{first.pk}": "C1", f"card-{second.pk}": "C2", f"card-{untouched.pk}": ""},
    )
    states = dict(Patron.objects.values_list("pk", "state"))
    assert states[first.pk] == states[second.pk] == Patron.State.ACTIVE
    assert states[untouched.pk] == Patron.State.TRIAL


def test_a_row_button_validates_only_its_row(client, login, librarian_bayeux, bayeux_library):
    first = _trial(bayeux_library, "a@example.org", 4)
    second = _trial(bayeux_library, "b@example.org", 6)
    login(client, librarian_bayeux)
    client.post(
        VALIDATE, {f"card-{first.pk}": "C1", f"card-{second.pk}": "C2", "validate": second.pk}
    )
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, second.state) == (Patron.State.TRIAL, Patron.State.ACTIVE)


def test_a_card_already_used_is_said_on_its_row_and_changes_nothing_of_it(
    client, login, librarian_bayeux, bayeux_library, patron_bayeux
):
    clash = _trial(bayeux_library, "a@example.org", 4, last_name="Doublon")
    fine = _trial(bayeux_library, "b@example.org", 6)
    login(client, librarian_bayeux)
    answer = client.post(
        VALIDATE, {f"card-{clash.pk}": patron_bayeux.card_number, f"card-{fine.pk}": "OK1"}
    )
    assert answer.status_code == 400
    page = html.fromstring(answer.content.decode())
    assert page.xpath(f'//div[@class="error-summary"]//a[@href="#card-{clash.pk}"]')
    field = page.xpath(f'//input[@id="card-{clash.pk}"]')[0]
    assert field.get("aria-invalid") == "true"
    assert field.get("value") == patron_bayeux.card_number  # what was typed is kept
    clash.refresh_from_db()
    fine.refresh_from_db()
    assert (clash.state, fine.state) == (Patron.State.TRIAL, Patron.State.ACTIVE)


def test_enter_with_no_card_typed_says_so(client, login, librarian_bayeux, bayeux_library):
    _trial(bayeux_library, "a@example.org", 4)
    login(client, librarian_bayeux)
    answer = client.post(VALIDATE, {"validate": "all"})
    assert answer.status_code == 400
    assert "Saisissez d’abord le numéro de carte." in answer.content.decode()


def test_a_forged_row_of_another_library_is_not_validated(
    client, login, librarian_bayeux, lisieux_library, caen_library
):
    lisieux = _trial(lisieux_library, "l@example.org", 4)
    caen = _trial(caen_library, "c@example.org", 4)
    login(client, librarian_bayeux)
    client.post(VALIDATE, {f"card-{lisieux.pk}": "X1", f"card-{caen.pk}": "X2"})
    assert set(
        Patron.objects.filter(pk__in=[lisieux.pk, caen.pk]).values_list("state", flat=True)
    ) == {Patron.State.TRIAL}


def test_validation_refuses_outsiders(client, login, outsider, bayeux_library):
    patron = _trial(bayeux_library, "a@example.org", 4)
    login(client, outsider)
    assert client.post(VALIDATE, {f"card-{patron.pk}": "X1"}).status_code == 403
    client.logout()
    assert client.post(VALIDATE, {f"card-{patron.pk}": "X1"}).status_code == 302
    patron.refresh_from_db()
    assert patron.state == Patron.State.TRIAL


def test_validate_and_next_opens_the_next_registration(
    client, login, librarian_bayeux, bayeux_library
):
    first = _trial(bayeux_library, "a@example.org", 2)
    second = _trial(bayeux_library, "b@example.org", 5)
    login(client, librarian_bayeux)
    answer = client.post(
        f"/gestion/usagers/{first.pk}/valider/",
        {
            "approve-card_number": "N1",
            "approve-expires_on": (timezone.localdate() + timedelta(days=365)).isoformat(),
            "and_next": "1",
        },
    )
    assert answer["Location"] == f"/gestion/usagers/{second.pk}/"
    last = client.post(
        f"/gestion/usagers/{second.pk}/valider/",
        {
            "approve-card_number": "N2",
            "approve-expires_on": (timezone.localdate() + timedelta(days=365)).isoformat(),
            "and_next": "1",
        },
    )
    assert last["Location"] == QUEUE


def test_primary_and_destructive_actions_look_different(
    client, login, librarian_bayeux, bayeux_library
):
    patron = _trial(bayeux_library, "a@example.org", 2)
    login(client, librarian_bayeux)
    page = html.fromstring(client.get(f"/gestion/usagers/{patron.pk}/").content.decode())
    reject = page.xpath('//form[contains(@action, "refuser")]//button')[0]
    move = page.xpath(
        '//form[contains(@action, "bibliotheque") or contains(@action, "deplacer")]//button'
    )
    assert "button-danger" in reject.get("class")
    assert all("button-secondary" in b.get("class", "") for b in move)
