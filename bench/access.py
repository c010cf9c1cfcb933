"""Direct access: CAS ticket validation and signed-link handover (issue « Direct access »).

The gate itself (login, entitlement, quota, log) arrives with the next wave; its
gate-to-redirect figure will add to these.
"""

import time

from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from bench.report import Report, time_calls
from boite.access.connectors.signed_link import PRESETS
from boite.access.identity import identity_for
from boite.access.models import Connector, ServiceTicket
from boite.networks.models import Network, User

REQUESTS = 600
SERVICE = "https://provider.example/cas/callback"


def _validate_times(client: Client, path: str, connector: Connector, user, **extra) -> list[float]:
    tickets = ServiceTicket.objects.bulk_create(
        ServiceTicket(connector=connector, user=user, service=SERVICE) for _ in range(REQUESTS + 20)
    )
    samples = []
    for index, ticket in enumerate(tickets):
        start = time.perf_counter()
        response = client.get(path, {"ticket": ticket.ticket, "service": SERVICE, **extra})
        elapsed = (time.perf_counter() - start) * 1000
        assert b"authenticationSuccess" in response.content, response.content
        if index >= 20:  # the first ones warm caches up
            samples.append(elapsed)
    return samples


def run(report: Report) -> None:
    network = Network.objects.get(slug="boite-numerique")
    user = User.objects.create_user("bench-patron", "bench@example.org", first_name="Bench")
    cas = Connector(
        network=network,
        name="Bench CAS",
        kind="cas",
        settings={
            "url": "https://provider.example/",
            "services": ["https://provider.example/cas/"],
            "attributes": ["card_number", "email", "first_name", "network"],
        },
    )
    cas.full_clean()
    cas.save()
    client = Client(HTTP_HOST="localhost")
    report.timings(
        "access.cas_service_validate.server_time",
        _validate_times(client, "/cas/serviceValidate", cas, user),
    )
    report.timings(
        "access.cas_p3_service_validate_json.server_time",
        _validate_times(client, "/cas/p3/serviceValidate", cas, user, format="JSON"),
    )

    ticket = ServiceTicket.objects.create(connector=cas, user=user, service=SERVICE)
    with CaptureQueriesContext(connection) as queries:
        client.get("/cas/serviceValidate", {"ticket": ticket.ticket, "service": SERVICE})
    report.figure("access.cas_service_validate.queries", len(queries), "queries")

    # One connector per signed-link scheme (the demo loads one per preset).
    request = RequestFactory().get("/acces/")
    for name in ("mediatheque_numerique", "vodeclic", "toutapprendre"):
        connector = Connector.objects.get(network=network, name=PRESETS[name][0])
        target = connector.settings["url"].rsplit("/", 1)[0] + "/film/42"
        report.timings(
            f"access.signed_link_handover.{name}.time",
            time_calls(
                lambda c=connector, t=target: c.handover(request, identity_for(user, network), t),
                REQUESTS,
            ),
        )
