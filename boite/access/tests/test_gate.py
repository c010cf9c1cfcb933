"""The gate `/acces/<resource>/[<record>/]`: login, the one rule, quotas, the log."""

import html
from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.utils import timezone

from boite.access.identity import identity_from_patron, pseudonym_for
from boite.access.models import AccessCounter, Connector, Quota
from boite.catalog.models import Record, Resource
from boite.patrons.factories import make_patron
from boite.patrons.models import Patron
from boite.stats.events import stats_pseudonym
from boite.stats.models import Event, EventKind

pytestmark = pytest.mark.django_db
State = Patron.State


def _events():
    return list(Event.objects.order_by("pk"))


def _refused(client, path: str, code: str, *texts: str):
    response = client.get(path)
    assert response.status_code == 403
    body = html.unescape(response.content.decode())
    for text in texts:
        assert text in body, body
    (event,) = _events()
    assert (event.kind, event.reason, event.result) == (EventKind.ACCESS_REFUSED, code, "refused")
    return event


def test_anonymous_visitors_log_in_then_come_straight_back(client, demo_access, patron_bayeux):
    response = client.get("/acces/cafeyn/")
    assert response.status_code == 302
    assert response["Location"] == "/connexion/?next=/acces/cafeyn/"
    login = client.post(
        "/connexion/?next=/acces/cafeyn/",
        {"identifier": "louise.bayeux@example.org", "secret": "correct horse battery staple",
         "next": "/acces/cafeyn/"},
    )  # fmt: skip
    assert login["Location"] == "/acces/cafeyn/"
    assert client.get(login["Location"])["Location"].startswith("https://www.cafeyn.co/")
    assert _events() == [Event.objects.get(kind=EventKind.ACCESS_GRANTED)]


def test_an_active_patron_is_handed_over_and_logged_once(
    client, login, demo_access, patron_bayeux, calvados
):
    login(client, patron_bayeux.user)
    response = client.get("/acces/vodeclic/")
    assert response.status_code == 302
    query = parse_qs(urlsplit(response["Location"]).query)
    assert query["id"] == ["BAY0001"]
    assert query["email"] == ["louise.bayeux@example.org"]
    (event,) = _events()
    assert event.kind == EventKind.ACCESS_GRANTED
    assert event.patron == stats_pseudonym(patron_bayeux.pseudonym)
    assert (event.resource, event.connector, event.result) == ("vodeclic", "signed_link", "ok")
    assert event.network == calvados
    assert event.library == patron_bayeux.home_library
    assert event.commune == patron_bayeux.home_library.authority
    assert event.age_band == "26-64"


def test_a_record_opens_its_own_page_at_the_provider(client, login, demo_access, patron_bayeux):
    login(client, patron_bayeux.user)
    record = Record.objects.filter(resource__slug="mediatheque-numerique").first()
    response = client.get(record.get_access_url())
    assert record.get_access_url() == f"/acces/mediatheque-numerique/{record.pk}/"
    query = parse_qs(urlsplit(response["Location"]).query)
    assert query["return_url"] == [record.deep_link]
    (event,) = _events()
    assert event.record == record.provider_id


def test_no_open_redirect_from_the_gate(client, login, demo_access, patron_bayeux):
    login(client, patron_bayeux.user)
    record = Record.objects.filter(resource__slug="philharmonie").first()
    Record.objects.filter(pk=record.pk).update(deep_link="https://evil.example/phish")
    for path in (
        record.get_access_url(),
        "/acces/philharmonie/?next=https://evil.example/",
        "/acces/philharmonie/?url=https://evil.example/&service=https://evil.example/",
    ):
        location = client.get(path)["Location"]
        assert location == "https://philharmoniedeparis.fr/fr/live", location
    # The login's `next` does not leave the portal either.
    client.logout()
    response = client.post(
        "/connexion/",
        {"identifier": "louise.bayeux@example.org", "secret": "correct horse battery staple",
         "next": "https://evil.example/"},
    )  # fmt: skip
    assert "evil.example" not in response["Location"]


@pytest.mark.parametrize(
    ("state", "code", "text"),
    [
        (State.EXPIRED, "expired", "Votre inscription a expiré le"),
        (State.SUSPENDED, "suspended", "Votre accès est suspendu"),
        (State.REJECTED, "rejected", "Votre inscription n’a pas été acceptée"),
        (State.AWAITING, "trial_over", "Votre essai est terminé"),
    ],
)
def test_patrons_who_may_not_use_the_resources_are_refused_with_their_message(
    client, login, demo_access, bayeux_library, state, code, text
):
    bayeux_library.email = "contact@mediatheque-bayeux.example"
    bayeux_library.phone = "02 31 00 00 00"
    bayeux_library.save()
    patron = make_patron(bayeux_library, state=state, card_number="BAY-X")
    login(client, patron.user)
    event = _refused(
        client,
        "/acces/cafeyn/",
        code,
        text,
        "Médiathèque de Bayeux",
        "contact@mediatheque-bayeux.example",
        "02 31 00 00 00",
    )
    assert event.patron == stats_pseudonym(patron.pseudonym)
    assert event.library == bayeux_library


def test_messages_are_plain_french(client, login, demo_access, patron_expired):
    login(client, patron_expired.user)
    body = client.get("/acces/cafeyn/").content.decode()
    day = patron_expired.expires_on
    assert "Votre inscription a expiré le" in body
    assert str(day.year) in body
    assert "contactez la bibliothèque Médiathèque de Bayeux" in body


def test_a_trial_patron_may_enter(client, login, demo_access, bayeux_library):
    patron = make_patron(bayeux_library, state=State.TRIAL)
    login(client, patron.user)
    assert client.get("/acces/cafeyn/").status_code == 302


def test_a_patron_of_the_other_network_is_refused(client, login, demo_access, patron_caen):
    login(client, patron_caen.user)
    _refused(client, "/acces/cafeyn/", "other_network", "Réseau des bibliothèques de Caen la Mer")
    # On their own portal they enter.
    Event.objects.all().delete()


def test_the_other_network_portal_uses_its_own_connector(
    caen_client, login, demo_access, patron_caen, caen_network
):
    login(caen_client, patron_caen.user)
    response = caen_client.get("/acces/vodeclic/")
    assert response.status_code == 302
    caen_connector = Connector.objects.get(network=caen_network, resource__slug="vodeclic")
    identity = identity_from_patron(patron_caen, caen_connector)
    assert identity.pseudonym == pseudonym_for(patron_caen.pseudonym, caen_connector.pk)
    query = parse_qs(urlsplit(response["Location"]).query)
    assert query["id"] == ["CAEN0001"]


def test_staff_without_a_patron_account_are_refused(client, login, demo_access, librarian_bayeux):
    login(client, librarian_bayeux)
    _refused(client, "/acces/cafeyn/", "not_patron", "Vous inscrire en ligne")


def test_a_resource_out_of_service_closed_or_without_connector(
    client, login, demo_access, patron_bayeux, calvados
):
    login(client, patron_bayeux.user)
    Resource.objects.filter(slug="cafeyn").update(in_service=False)
    _refused(client, "/acces/cafeyn/", "out_of_service", "hors service")
    Event.objects.all().delete()
    Resource.objects.get(slug="vodeclic").networks.remove(calvados)
    _refused(client, "/acces/vodeclic/", "not_open")
    Event.objects.all().delete()
    Connector.objects.filter(resource__slug="skilleos", network=calvados).update(is_active=False)
    _refused(client, "/acces/skilleos/", "connector_off")
    Event.objects.all().delete()
    Connector.objects.filter(resource__slug="digame", network=calvados).delete()
    _refused(client, "/acces/digame/", "no_connector")
    Event.objects.all().delete()
    connector = demo_access["toutapprendre"]
    connector.set_secret("key", "")
    connector.save()
    _refused(client, "/acces/toutapprendre/", "handover", "clé secrète")


def test_unknown_resources_and_records_are_not_found(client, login, demo_access, patron_bayeux):
    login(client, patron_bayeux.user)
    assert client.get("/acces/inconnue/").status_code == 404
    other = Record.objects.exclude(resource__slug="cafeyn").first()
    assert client.get(f"/acces/cafeyn/{other.pk}/").status_code == 404
    assert _events() == []


@pytest.mark.parametrize(
    ("born", "allowed", "code"),
    [
        (date(2018, 1, 10), True, ""),  # 8 years old
        (date(1985, 1, 10), True, ""),  # an adult: the family account
        (date(2011, 1, 10), False, "age"),  # 15
        (date(2025, 1, 10), False, "age"),  # 1
        (None, False, "age_unknown"),
    ],
)
def test_youth_resources_for_children_of_their_age_or_family_accounts(
    client, login, demo_access, bayeux_library, born, allowed, code
):
    patron = make_patron(bayeux_library, birth_date=born)
    login(client, patron.user)
    with time_machine.travel(date(2026, 6, 1), tick=False):
        response = client.get("/acces/ma-petite-mediatheque/")
    assert response.status_code == (302 if allowed else 403)
    (event,) = _events()
    assert event.reason == code


def test_the_quota_is_shown_before_the_click_then_enforced(
    client, login, demo_access, patron_bayeux
):
    login(client, patron_bayeux.user)
    page = client.get("/ressources/mediatheque-numerique/").content.decode()
    assert "Il vous reste 4 films ce mois-ci" in page
    for _n in range(2):
        assert client.get("/acces/mediatheque-numerique/").status_code == 302
    page = client.get("/ressources/mediatheque-numerique/").content.decode()
    assert "Il vous reste 2 films ce mois-ci" in page
    record = Record.objects.filter(resource__slug="mediatheque-numerique").first()
    assert (
        "Il vous reste 2 films ce mois-ci" in client.get(f"/notices/{record.pk}/").content.decode()
    )
    client.get("/acces/mediatheque-numerique/")
    assert (
        "Il vous reste 1 film ce mois-ci" in client.get(f"/notices/{record.pk}/").content.decode()
    )
    client.get(record.get_access_url())
    response = client.get("/acces/mediatheque-numerique/")
    assert response.status_code == 403
    assert "Vous avez utilisé vos 4 films" in response.content.decode()
    kinds = [(e.kind, e.reason) for e in _events()]
    assert kinds == [(EventKind.ACCESS_GRANTED, "")] * 4 + [(EventKind.ACCESS_REFUSED, "quota")]
    counter = AccessCounter.objects.get(patron=patron_bayeux)
    assert counter.opened == 4
    assert counter.last_record == record


def test_a_quota_renews_with_its_period(client, login, demo_access, patron_bayeux, calvados):
    Quota.objects.filter(network=calvados, resource__slug="cafeyn").update(limit=1)
    login(client, patron_bayeux.user)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        assert client.get("/acces/cafeyn/").status_code == 302
        assert client.get("/acces/cafeyn/").status_code == 403
        traveller.shift(timedelta(days=1))
        assert client.get("/acces/cafeyn/").status_code == 302


def test_my_resources_lists_what_was_opened_and_the_quotas(
    client, login, demo_access, patron_bayeux
):
    login(client, patron_bayeux.user)
    page = html.unescape(client.get("/compte/ressources/").content.decode())
    assert "Vous n’avez encore ouvert aucune ressource" in page
    client.get("/acces/vodeclic/")
    client.get("/acces/cafeyn/")
    page = html.unescape(client.get("/compte/ressources/").content.decode())
    assert page.index("Cafeyn") < page.index("Vodeclic")
    assert "Il vous reste 9 magazines aujourd’hui" in page
    assert "Il vous reste 4 films ce mois-ci" in page
    assert "/compte/ressources/" in client.get("/compte/").content.decode()


def test_my_resources_is_for_patrons_only(client, login, librarian_bayeux, calvados):
    assert client.get("/compte/ressources/")["Location"].startswith("/connexion/")
    login(client, librarian_bayeux)
    assert client.get("/compte/ressources/")["Location"].startswith("/connexion/")


def test_the_resource_page_shows_the_mediation_texts(client, demo_access):
    page = client.get("/ressources/cafeyn/").content.decode()
    assert "Sur un ordinateur" in page
    assert "Sur un téléphone ou une tablette" in page
    assert "Sur une télévision" in page


def test_cas_and_oidc_obey_the_same_rule(client, login, demo_access, patron_expired, calvados):
    connector = demo_access["skilleos"]
    service = connector.settings["services"][0]
    login(client, patron_expired.user)
    response = client.get("/cas/login", {"service": service})
    assert response.status_code == 403
    assert "Votre inscription a expiré le" in response.content.decode()
    oidc = demo_access["digame"]
    response = client.get(
        "/o/authorize/",
        {"client_id": oidc.oauth_application.client_id, "response_type": "code"},
    )
    assert response.status_code == 403
    assert "Votre inscription a expiré le" in response.content.decode()
