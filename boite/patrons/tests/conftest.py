import pytest

from boite.patrons.models import PatronRules
from boite.patrons.tests.sip2_server import Card, Sip2TestServer


@pytest.fixture
def sip2_server():
    with Sip2TestServer() as server:
        server.state.cards["CAEN42"] = Card(
            pin="1234", name="Durand, Alice", expires="20991231", library="TOCQUE"
        )
        server.state.cards["CAEN99"] = Card(pin="9999", name="Old, Card", expires="20200101")
        yield server


@pytest.fixture
def sip2_caen(caen_network, caen_library, sip2_server):
    """The Caen la Mer network checks its patrons against the test SIP2 server."""
    return PatronRules.objects.create(
        network=caen_network,
        identity_source=PatronRules.IdentitySource.SIP2,
        sip2_host="127.0.0.1",
        sip2_port=sip2_server.port,
        sip2_institution="CALVADOS",
        sip2_login_user="boite",
        sip2_login_password="secret",
        sip2_timeout=0.5,
    )
