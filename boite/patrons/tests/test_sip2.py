import socket
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from boite.patrons.identity import IdentityUnavailable
from boite.patrons.identity.sip2 import (
    Sip2Client,
    Sip2Error,
    checksum,
    parse_status,
    verify,
    with_checksum,
)
from boite.patrons.models import Patron

pytestmark = pytest.mark.django_db


def _login(client, card, pin):
    return client.post("/connexion/", {"identifier": card, "secret": pin})


def test_checksum_of_a_known_message():
    # The SC status example that SIP2 documentation gives: 9900302.00AY1AZFCA5
    assert checksum("9900302.00AY1AZ") == "FCA5"
    assert verify("9900302.00AY1AZFCA5") == "9900302.00"
    with pytest.raises(Sip2Error):
        verify("9900302.00AY1AZFCA6")
    assert verify(with_checksum("9300CNa|COb|", 3)).startswith("9300CNa|COb|")


def test_card_holder_logs_in_and_is_created_from_the_answer(
    caen_client, sip2_caen, sip2_server, caen_library
):
    response = _login(caen_client, "CAEN42", "1234")
    assert response.status_code == 302
    patron = Patron.objects.get(card_number="CAEN42")
    assert patron.network == sip2_caen.network and patron.home_library == caen_library
    assert patron.state == Patron.State.ACTIVE and patron.expires_on.isoformat() == "2099-12-31"
    assert patron.user.last_name == "Durand" and patron.user.first_name == "Alice"
    assert patron.is_active_on()
    login, status = sip2_server.state.received
    assert login.startswith("9300CNboite|COsecret|") and "AY0AZ" in login
    assert status.startswith("23000") and "AACAEN42|" in status and "AD1234|" in status
    assert "AY1AZ" in status
    # a second login finds the same patron
    caen_client.post("/deconnexion/")
    assert _login(caen_client, "CAEN42", "1234").status_code == 302
    assert Patron.objects.filter(card_number="CAEN42").count() == 1


def test_wrong_pin_is_refused(caen_client, sip2_caen):
    response = _login(caen_client, "CAEN42", "0000")
    assert response.status_code == 200
    assert "ne correspondent à aucun compte" in response.content.decode()
    assert not Patron.objects.exists()


def test_unknown_card_is_refused(caen_client, sip2_caen):
    assert _login(caen_client, "NOPE", "0000").status_code == 200


def test_expired_card_is_refused_with_its_date(caen_client, sip2_caen):
    response = _login(caen_client, "CAEN99", "9999")
    assert response.status_code == 200
    assert "expiré le 1 janvier 2020" in response.content.decode()
    assert caen_client.get("/compte/").status_code == 302


@pytest.mark.parametrize("mode", ["silent", "garbage", "bad_checksum", "refuse_login"])
def test_broken_ils_gives_service_unavailable_never_a_login(
    caen_client, sip2_caen, sip2_server, mode
):
    sip2_server.state.mode = mode
    response = _login(caen_client, "CAEN42", "1234")
    assert response.status_code == 200
    assert "service indisponible" in response.content.decode()
    assert caen_client.get("/compte/").status_code == 302
    assert not Patron.objects.exists()


def test_unreachable_ils_gives_service_unavailable(caen_client, sip2_caen):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free_port = probe.getsockname()[1]
    sip2_caen.sip2_port = free_port
    sip2_caen.save()
    response = _login(caen_client, "CAEN42", "1234")
    assert "service indisponible" in response.content.decode()


def test_slow_ils_times_out():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    accepted = []
    thread = threading.Thread(target=lambda: accepted.append(server.accept()), daemon=True)
    thread.start()
    with (
        pytest.raises(IdentityUnavailable),
        Sip2Client("127.0.0.1", server.getsockname()[1], timeout=0.2) as client,
    ):
        client.login("a", "b")
    server.close()


def test_tls_to_a_plain_server_fails_cleanly(sip2_server):
    with (
        pytest.raises(Sip2Error),
        Sip2Client("127.0.0.1", sip2_server.port, timeout=0.5, tls=True) as client,
    ):
        client.login("boite", "secret")


def test_login_form_asks_for_card_and_pin(caen_client, sip2_caen):
    page = caen_client.get("/connexion/").content.decode()
    assert "Numéro de carte" in page and "Code PIN" in page


@given(st.text(max_size=200))
def test_parser_never_crashes_on_garbage(text):
    try:
        status = parse_status(text)
    except Sip2Error as error:
        assert str(error)
    else:
        assert text.startswith("24") and status.card is not None


@given(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=80))
def test_checksum_round_trip(body):
    assert verify(with_checksum(body, 7)) == body


def test_login_over_tls(tmp_path):
    import ssl
    import subprocess

    from boite.patrons.tests.sip2_server import Card, Sip2TestServer

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    client_context = ssl.create_default_context(cafile=str(cert))
    with Sip2TestServer(tls_context=server_context) as server:
        server.state.cards["T1"] = Card(pin="42", name="Tls, Ada", expires="20991231")
        with Sip2Client(
            "127.0.0.1", server.port, timeout=2, tls=True, tls_context=client_context
        ) as client:
            assert client.login("boite", "secret")
            status = client.patron_status("CALVADOS", "T1", "42")
    assert status.valid_patron and status.valid_password and status.name == "Tls, Ada"
