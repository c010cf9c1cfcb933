import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone

from boite.patrons import services
from boite.patrons.models import Patron, PatronEvent

pytestmark = pytest.mark.django_db
PASSWORD = "une phrase de passe solide"


def _data(library, **extra):
    data = {
        "home_library": library.pk,
        "first_name": "Jeanne",
        "last_name": "Leroy",
        "email": "jeanne.leroy@example.org",
        "birth_date": "1985-03-02",
        "phone": "",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "consent": "on",
        "website": "",
    }
    data.update(extra)
    return data


def _link(message) -> str:
    return re.search(r"/inscription/confirmer/[^/\s]+/", message.body).group(0)


def test_home_page_button_leads_to_registration(client, bayeux_library):
    page = client.get("/").content.decode()
    assert 'href="/inscription/"' in page
    assert "Vous inscrire" in client.get("/inscription/").content.decode()


def test_library_picker_finds_by_postal_code_without_javascript(
    client, bayeux_library, lisieux_library
):
    page = client.get("/inscription/", {"q": "14400"}).content.decode()
    assert "Médiathèque de Bayeux" in page
    assert "André Malraux" not in page
    page = client.get("/inscription/", {"q": "lisieux"}).content.decode()
    assert "André Malraux" in page and "Médiathèque de Bayeux —" not in page


def test_picker_offers_only_this_networks_libraries(client, bayeux_library, caen_library):
    page = client.get("/inscription/").content.decode()
    assert "Médiathèque de Bayeux" in page and "Tocqueville" not in page
    response = client.post("/inscription/", _data(caen_library))
    assert response.status_code == 200
    assert not Patron.objects.exists()


def test_registration_confirmation_and_trial(client, bayeux_library, on_commit):
    with on_commit(execute=True):
        response = client.post("/inscription/", _data(bayeux_library))
    assert response.status_code == 302 and response["Location"] == "/inscription/envoyee/"
    patron = Patron.objects.get()
    assert patron.state == Patron.State.UNCONFIRMED and patron.consent_at
    assert patron.user.check_password(PASSWORD)
    assert patron.user.password.startswith("md5$")  # tests hash fast; production is argon2
    assert len(mail.outbox) == 1 and "jeanne.leroy@example.org" in mail.outbox[0].to
    link = _link(mail.outbox[0])
    assert "jeanne" not in link and "leroy" not in link  # no personal data in URLs
    response = client.get(link)
    assert response["Location"] == "/inscription/bienvenue/"
    patron.refresh_from_db()
    assert patron.state == Patron.State.TRIAL
    assert patron.trial_ends_on == timezone.localdate() + timedelta(days=21)
    assert patron.is_active_on()
    page = client.get("/inscription/bienvenue/").content.decode()
    assert "Médiathèque de Bayeux" in page and "essai" in page
    kinds = list(patron.events.values_list("kind", flat=True))
    assert kinds == [PatronEvent.Kind.REGISTERED, PatronEvent.Kind.CONFIRMED]


def test_trial_length_comes_from_the_network_rules(client, bayeux_library, on_commit):
    from boite.patrons.models import PatronRules

    PatronRules.objects.create(network=bayeux_library.network, trial_days=30)
    with on_commit(execute=True):
        client.post("/inscription/", _data(bayeux_library))
    client.get(_link(mail.outbox[0]))
    patron = Patron.objects.get()
    assert patron.trial_ends_on == timezone.localdate() + timedelta(days=30)


def test_forged_and_expired_links_are_refused(client, bayeux_library, on_commit):
    with on_commit(execute=True):
        client.post("/inscription/", _data(bayeux_library))
    link = _link(mail.outbox[0])
    forged = link[:-3] + ("A" if link[-3] != "A" else "B") + link[-2:]
    response = client.get(forged)
    assert response.status_code == 400 and "pas valable" in response.content.decode()
    with time_machine.travel(timezone.now() + timedelta(days=4)):
        assert client.get(link).status_code == 400
    assert Patron.objects.get().state == Patron.State.UNCONFIRMED


def test_link_of_another_portal_is_refused(
    client, caen_client, bayeux_library, caen_network, on_commit
):
    with on_commit(execute=True):
        client.post("/inscription/", _data(bayeux_library))
    assert caen_client.get(_link(mail.outbox[0])).status_code == 400


def test_duplicate_email_gets_a_helpful_message(client, bayeux_library, patron_bayeux):
    response = client.post(
        "/inscription/", _data(bayeux_library, email="Louise.Bayeux@example.org")
    )
    page = response.content.decode()
    assert "déjà cette adresse" in page and "mot de passe" in page
    assert Patron.objects.count() == 1


def test_same_email_may_register_on_the_other_network(caen_client, caen_library, patron_bayeux):
    response = caen_client.post("/inscription/", _data(caen_library, email=patron_bayeux.email))
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "not-an-email", "adresse de courriel valide"),
        ("birth_date", "2999-01-01", "ne peut pas être dans le futur"),
        ("password2", "autre chose encore", "diffèrent"),
        ("password1", "12345678", "entièrement numérique"),
        ("consent", "", "obligatoire"),
    ],
)
def test_bad_input_is_explained_and_changes_nothing(
    client, bayeux_library, field, value, message, on_commit
):
    data = _data(bayeux_library, **{field: value})
    if field == "password1":
        data["password2"] = value
    if not value:
        data.pop(field)
    with on_commit(execute=True):
        response = client.post("/inscription/", data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Patron.objects.exists() and not mail.outbox


def test_honeypot_silently_drops_bots(client, bayeux_library, on_commit):
    with on_commit(execute=True):
        response = client.post(
            "/inscription/", _data(bayeux_library, website="http://spam.example")
        )
    assert response.status_code == 302
    assert not Patron.objects.exists() and not mail.outbox


def test_registrations_are_rate_limited_per_ip(client, bayeux_library, settings):
    settings.PATRONS_REGISTRATIONS_PER_IP_PER_HOUR = 2
    for n in range(2):
        client.post("/inscription/", _data(bayeux_library, email=f"p{n}@example.org"))
    response = client.post("/inscription/", _data(bayeux_library, email="p9@example.org"))
    assert (
        "Trop d’inscriptions" in response.content.decode()
        or "Trop d'inscriptions" in response.content.decode()
    )
    assert Patron.objects.count() == 2
    other = client.post(
        "/inscription/", _data(bayeux_library, email="p10@example.org"), REMOTE_ADDR="10.0.0.9"
    )
    assert other.status_code == 302


def test_sip2_network_sends_people_to_their_library(caen_client, sip2_caen):
    page = caen_client.get("/inscription/").content.decode()
    assert "numéro de carte" in page


def test_confirming_twice_changes_nothing(bayeux_library):
    patron = services.register(
        network=bayeux_library.network,
        library=bayeux_library,
        email="a@example.org",
        password=PASSWORD,
        first_name="A",
        last_name="B",
        birth_date=None,
    )
    services.confirm_email(patron)
    first_end = patron.trial_ends_on
    services.confirm_email(patron)
    assert patron.trial_ends_on == first_end
    assert patron.events.filter(kind=PatronEvent.Kind.CONFIRMED).count() == 1


def test_a_confirmation_link_logs_in_once_only(client, bayeux_library, on_commit):
    with on_commit(execute=True):
        client.post("/inscription/", _data(bayeux_library))
    link = _link(mail.outbox[0])
    assert client.get(link)["Location"] == "/inscription/bienvenue/"
    other = Client(HTTP_HOST="localhost")
    assert other.get(link)["Location"] == "/connexion/"
    assert other.get("/compte/").status_code == 302


def test_errors_are_tied_to_their_fields(client, bayeux_library):
    page = client.post("/inscription/", _data(bayeux_library, email="bad")).content.decode()
    assert 'aria-invalid="true" aria-describedby="id_email_error"' in page
    assert 'id="id_email_error"' in page and '<label for="id_email">' in page


def test_a_visitor_registering_on_the_way_to_a_provider_finds_the_way_on(
    client, bayeux_library, on_commit
):
    """From the login page a CAS provider sent them to, a visitor registers, confirms
    the e-mail and gets the trial; the welcome page leads on to the provider."""
    from urllib.parse import quote

    from boite.access.models import Connector

    connector = Connector(
        network=bayeux_library.network,
        name="Skilleos",
        kind="cas",
        settings={
            "url": "https://provider.example/",
            "services": ["https://provider.example/cas/callback"],
            "attributes": [],
        },
    )
    connector.full_clean()
    connector.save()
    flow = "/cas/login?service=" + quote("https://provider.example/cas/callback", safe="")
    login = client.get("/connexion/", {"next": flow}).content.decode()
    assert f"/inscription/?next={quote(flow, safe='')}" in login.replace("&amp;", "&")
    client.get("/inscription/", {"next": flow})
    with on_commit(execute=True):
        client.post("/inscription/", _data(bayeux_library))
    client.get(_link(mail.outbox[0]))
    page = client.get("/inscription/bienvenue/").content.decode()
    assert "Continuer vers Skilleos" in page and f'href="{flow}"' in page.replace("&amp;", "&")
    # Elsewhere is never a way on.
    other = Client()
    other.get("/inscription/", {"next": "https://evil.example/"})
    assert "patron_flow_next" not in other.session
