"""The CAS server, driven by a real CAS client library (python-cas) over HTTP."""

from datetime import timedelta

import pytest
import requests
import time_machine
from cas import CASClient
from django.test import Client
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from boite.access.identity import identity_for
from boite.access.models import Connector, ServiceTicket
from boite.access.tests.conftest import http_session

SERVICE = "https://provider.example/cas/callback"


def _get(url: str, params: dict | None = None) -> requests.Response:
    return http_session().get(url, params=params, timeout=10)


def _browser(live_server, user) -> requests.Session:
    """A browser session on the live portal, logged in as the user."""
    client = Client()
    client.force_login(user)
    session = http_session()
    session.cookies.set("sessionid", client.cookies["sessionid"].value)
    return session


def _ticket(browser: requests.Session, live_server, service: str = SERVICE) -> str:
    response = browser.get(
        f"{live_server.url}/cas/login", params={"service": service}, allow_redirects=False
    )
    assert response.status_code == 302, response.text
    location = response.headers["Location"]
    assert location.startswith(service + "?ticket=ST-")
    return location.split("ticket=", 1)[1]


def _client(live_server, version: int, service: str = SERVICE) -> CASClient:
    return CASClient(
        version=version,
        service_url=service,
        server_url=f"{live_server.url}/cas/",
        session=http_session(),
    )


pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("version", [2, 3])
def test_a_real_cas_client_logs_the_patron_in(live_server, patron, cas_connector, version):
    browser = _browser(live_server, patron)
    ticket = _ticket(browser, live_server)
    user, attributes, _pgtiou = _client(live_server, version).verify_ticket(ticket)
    assert user == identity_for(patron, cas_connector.network, cas_connector).pseudonym
    assert attributes == {
        "card_number": "14000123456",
        "email": "camille.martin@example.org",
        "last_name": "Martin",
        "network": "boite-numerique",
    }


def test_cas_1_validate(live_server, patron, cas_connector):
    ticket = _ticket(_browser(live_server, patron), live_server)
    user, _a, _p = _client(live_server, 1).verify_ticket(ticket)
    assert user == identity_for(patron, cas_connector.network, cas_connector).pseudonym
    assert _client(live_server, 1).verify_ticket(ticket) == (None, None, None)


@pytest.mark.parametrize("version", [2, 3])
def test_a_replayed_ticket_is_refused(live_server, patron, cas_connector, version):
    ticket = _ticket(_browser(live_server, patron), live_server)
    assert _client(live_server, version).verify_ticket(ticket)[0]
    assert _client(live_server, version).verify_ticket(ticket)[0] is None
    answer = _get(
        f"{live_server.url}/cas/p3/serviceValidate", params={"ticket": ticket, "service": SERVICE}
    )
    assert 'code="INVALID_TICKET"' in answer.text


def test_an_expired_ticket_is_refused(live_server, patron, cas_connector):
    browser = _browser(live_server, patron)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        ticket = _ticket(browser, live_server)
        traveller.shift(timedelta(seconds=61))
        assert _client(live_server, 3).verify_ticket(ticket)[0] is None
    assert ServiceTicket.objects.get(ticket=ticket).consumed_at is not None


def test_a_ticket_still_works_at_59_seconds(live_server, patron, cas_connector):
    browser = _browser(live_server, patron)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        ticket = _ticket(browser, live_server)
        traveller.shift(timedelta(seconds=59))
        assert _client(live_server, 3).verify_ticket(ticket)[0]


def test_a_ticket_for_another_service_is_refused(live_server, patron, cas_connector):
    cas_connector.settings["services"].append("https://other.example/")
    cas_connector.save()
    ticket = _ticket(_browser(live_server, patron), live_server, "https://other.example/login")
    answer = _get(
        f"{live_server.url}/cas/serviceValidate", params={"ticket": ticket, "service": SERVICE}
    )
    assert 'code="INVALID_SERVICE"' in answer.text
    # …and the ticket is spent: the right service cannot use it afterwards.
    client = _client(live_server, 3, "https://other.example/login")
    assert client.verify_ticket(ticket)[0] is None


def test_login_refuses_a_service_that_is_not_whitelisted(live_server, patron, cas_connector):
    browser = _browser(live_server, patron)
    for service in (
        "https://evil.example/cas/callback",
        "http://provider.example/cas/callback",
        "https://provider.example/cas/callbackevil",
        "https://provider.example.evil.example/cas/callback",
    ):
        response = browser.get(
            f"{live_server.url}/cas/login", params={"service": service}, allow_redirects=False
        )
        assert response.status_code == 403, service
        assert "Location" not in response.headers
    assert not ServiceTicket.objects.exists()


def test_a_ticket_of_another_network_is_refused(live_server, patron, cas_connector, caen_network):
    # The same ticket presented on another portal (host) is unknown there.
    ticket = _ticket(_browser(live_server, patron), live_server)
    ServiceTicket.objects.filter(ticket=ticket).update(
        connector=Connector.objects.create(
            network=caen_network, name="Caen", kind="cas", settings=cas_connector.settings
        )
    )
    assert _client(live_server, 3).verify_ticket(ticket)[0] is None


def test_a_ticket_of_a_connector_taken_out_of_service_is_refused(
    live_server, patron, cas_connector
):
    ticket = _ticket(_browser(live_server, patron), live_server)
    Connector.objects.filter(pk=cas_connector.pk).update(is_active=False)
    assert _client(live_server, 3).verify_ticket(ticket)[0] is None


def test_anonymous_visitors_log_in_first_and_gateway_goes_back(live_server, cas_connector):
    anonymous = http_session()
    response = anonymous.get(
        f"{live_server.url}/cas/login", params={"service": SERVICE}, allow_redirects=False
    )
    assert response.status_code == 302
    # The patron login of the portal, never the staff login of the back office.
    assert response.headers["Location"].startswith("/connexion/?next=%2Fcas%2Flogin%3Fservice%3D")
    response = anonymous.get(
        f"{live_server.url}/cas/login",
        params={"service": SERVICE, "gateway": "true"},
        allow_redirects=False,
    )
    assert response.headers["Location"] == SERVICE


def test_json_answers(live_server, patron, cas_connector):
    ticket = _ticket(_browser(live_server, patron), live_server)
    url = f"{live_server.url}/cas/p3/serviceValidate"
    body = _get(url, params={"ticket": ticket, "service": SERVICE, "format": "JSON"}).json()
    success = body["serviceResponse"]["authenticationSuccess"]
    assert success["user"] == identity_for(patron, cas_connector.network, cas_connector).pseudonym
    assert success["attributes"]["card_number"] == "14000123456"
    body = _get(url, params={"ticket": ticket, "service": SERVICE, "format": "json"}).json()
    assert body["serviceResponse"]["authenticationFailure"]["code"] == "INVALID_TICKET"


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({}, "INVALID_REQUEST"),
        ({"ticket": "ST-x"}, "INVALID_REQUEST"),
        ({"service": SERVICE}, "INVALID_REQUEST"),
        ({"ticket": "PT-123", "service": SERVICE}, "INVALID_TICKET_SPEC"),
        ({"ticket": "ST-unknown", "service": SERVICE}, "INVALID_TICKET"),
    ],
)
def test_malformed_validations_get_cas_error_codes(live_server, cas_connector, params, code):
    answer = _get(f"{live_server.url}/cas/serviceValidate", params=params)
    assert answer.status_code == 200
    assert f'code="{code}"' in answer.text
    assert "authenticationSuccess" not in answer.text


def test_logout_redirects_only_to_a_whitelisted_service(live_server, patron, cas_connector):
    browser = _browser(live_server, patron)
    response = browser.get(
        f"{live_server.url}/cas/logout", params={"service": SERVICE}, allow_redirects=False
    )
    assert response.headers["Location"] == SERVICE
    browser = _browser(live_server, patron)
    response = browser.get(
        f"{live_server.url}/cas/logout",
        params={"url": "https://evil.example/"},
        allow_redirects=False,
    )
    assert response.status_code == 200
    assert "Location" not in response.headers
    # The session is over: the next login asks for credentials again.
    response = browser.get(
        f"{live_server.url}/cas/login", params={"service": SERVICE}, allow_redirects=False
    )
    assert "ticket=" not in response.headers["Location"]


def test_a_ticket_is_consumed_once_even_when_asked_twice(patron, cas_connector):
    ticket = ServiceTicket.objects.create(connector=cas_connector, user=patron, service=SERVICE)
    assert ServiceTicket.objects.consume(ticket.ticket) is not None
    assert ServiceTicket.objects.consume(ticket.ticket) is None


def test_a_service_taken_off_the_whitelist_after_login_is_unauthorised(
    live_server, patron, cas_connector
):
    ticket = _ticket(_browser(live_server, patron), live_server)
    cas_connector.settings["services"] = ["https://provider.example/elsewhere/"]
    cas_connector.save()
    answer = _get(f"{live_server.url}/cas/serviceValidate", {"ticket": ticket, "service": SERVICE})
    assert 'code="UNAUTHORIZED_SERVICE"' in answer.text


def test_attribute_values_are_escaped_in_the_xml(live_server, patron, cas_connector):
    patron.last_name = "O'Brien & <Fils>"
    patron.save()
    ticket = _ticket(_browser(live_server, patron), live_server)
    _user, attributes, _pgt = _client(live_server, 3).verify_ticket(ticket)
    assert attributes["last_name"] == "O'Brien & <Fils>"


# -- CAS 3.0 to the letter: service URLs, format, proxy endpoints ---------------------


@pytest.mark.parametrize(
    "service",
    [
        "https://provider.example/cas/callback/../../evil",
        "https://provider.example/cas/callback/%2e%2e/%2E%2E/evil",
        "https://provider.example/cas/callbackevil",
        "https://provider.example@evil.example/cas/callback",
        "https://user:pw@provider.example/cas/callback",
        "http://provider.example/cas/callback",
        "https://provider.example:8443/cas/callback",
        "https://provider.example\\@evil.example/cas/callback",
        "https://provider.example/cas/callback%zz",
        "javascript:alert(1)//provider.example/cas/callback",
    ],
)
def test_a_service_outside_the_whitelist_after_normalisation_gets_no_ticket(
    live_server, patron, cas_connector, service
):
    response = _browser(live_server, patron).get(
        f"{live_server.url}/cas/login", params={"service": service}, allow_redirects=False
    )
    assert response.status_code == 403 and "ticket=" not in response.headers.get("Location", "")


@pytest.mark.parametrize(
    "service",
    [
        "https://PROVIDER.example:443/cas/callback",
        "https://provider.example/cas/./callback",
        "https://provider.example/cas/%63allback?next=%2Fhome",
        "https://provider.example/cas/callback/deeper",
    ],
)
def test_equivalent_service_urls_are_allowed_and_the_ticket_validates(
    live_server, patron, cas_connector, service
):
    ticket_url = _browser(live_server, patron).get(
        f"{live_server.url}/cas/login", params={"service": service}, allow_redirects=False
    )
    assert ticket_url.status_code == 302
    location = ticket_url.headers["Location"]
    assert location.startswith("https://provider.example/cas/")
    ticket = location.split("ticket=", 1)[1]
    user, _attributes, _pgt = _client(live_server, 3, service).verify_ticket(ticket)
    assert user


def test_an_unknown_format_gets_the_protocol_error(live_server, patron, cas_connector):
    ticket = _ticket(_browser(live_server, patron), live_server)
    answer = _get(
        f"{live_server.url}/cas/p3/serviceValidate",
        {"ticket": ticket, "service": SERVICE, "format": "HTML"},
    )
    assert answer.headers["Content-Type"].startswith("application/xml")
    assert 'code="INVALID_REQUEST"' in answer.text
    # The ticket was not spent by the malformed request.
    assert _client(live_server, 3).verify_ticket(ticket)[0]


def test_proxy_endpoints_answer_the_protocol_documents(live_server, patron, cas_connector):
    from lxml import etree

    ns = "{http://www.yale.edu/tp/cas}"
    answer = _get(f"{live_server.url}/cas/proxy", {"pgt": "PGT-1", "targetService": SERVICE})
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith(
        "application/xml"
    )
    failure = etree.fromstring(answer.content)[0]
    assert failure.tag == ns + "proxyFailure" and failure.get("code") == "INVALID_TICKET"
    answer = _get(f"{live_server.url}/cas/proxy", {"format": "JSON"}).json()
    assert answer["serviceResponse"]["proxyFailure"]["code"] == "INVALID_REQUEST"
    # proxyValidate accepts service tickets (CAS 3.0 §2.6), refuses proxy tickets.
    ticket = _ticket(_browser(live_server, patron), live_server)
    for path in ("proxyValidate", "p3/proxyValidate"):
        bad = _get(f"{live_server.url}/cas/{path}", {"ticket": "PT-1", "service": SERVICE})
        assert 'code="INVALID_TICKET_SPEC"' in bad.text
    good = _get(f"{live_server.url}/cas/p3/proxyValidate", {"ticket": ticket, "service": SERVICE})
    assert "authenticationSuccess" in good.text


def test_logout_follows_only_a_whitelisted_service_after_normalisation(
    live_server, patron, cas_connector
):
    browser = _browser(live_server, patron)
    response = browser.get(
        f"{live_server.url}/cas/logout",
        params={"service": "https://provider.example/cas/callback/../../evil"},
        allow_redirects=False,
    )
    assert response.status_code == 200 and "Location" not in response.headers


@given(st.text(max_size=120))
def test_service_parsing_never_raises(text):
    from boite.access.connectors.cas import parse_service, service_allowed

    parsed = parse_service(text)
    if parsed is not None:
        assert parsed.scheme in {"http", "https"} and parsed.host
        assert parse_service(parsed.url) == parsed  # normalising twice changes nothing
    assert service_allowed("https://provider.example/cas/" + text, [SERVICE]) in {True, False}
