"""Direct access: the gate (« Accéder » → redirect to the provider: session, rule,
quota, handover, log), CAS ticket validation and signed-link handover."""

import time

from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from bench.report import Report, time_calls
from boite.access.identity import identity_for
from boite.access.models import Connector, Quota, ServiceTicket
from boite.catalog.models import Record
from boite.networks.models import Library, Network
from boite.patrons.factories import make_patron

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
    library = Library.objects.filter(network=network).order_by("pk").first()
    patron = make_patron(library, email="bench@example.org", card_number="BENCH0001")
    user = patron.user
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

    # One connector per signed-link scheme (the demo links one to each resource).
    request = RequestFactory().get("/acces/")
    for slug, name in (
        ("mediatheque-numerique", "mediatheque_numerique"),
        ("vodeclic", "vodeclic"),
        ("toutapprendre", "toutapprendre"),
    ):
        connector = Connector.objects.get(network=network, resource__slug=slug)
        target = connector.settings["url"].rsplit("/", 1)[0] + "/film/42"
        identity = identity_for(user, network, connector)
        report.timings(
            f"access.signed_link_handover.{name}.time",
            time_calls(
                lambda c=connector, t=target, i=identity: c.handover(request, i, t), REQUESTS
            ),
        )

    # The gate, from the click to the redirect, as a logged-in patron.
    Quota.objects.filter(network=network).update(limit=30000)
    browser = Client(HTTP_HOST="localhost")
    browser.force_login(user)
    record = Record.objects.filter(resource__slug="mediatheque-numerique").first()
    for label, path in (
        ("signed_link_with_quota_record", record.get_access_url()),
        ("signed_link_resource", "/acces/vodeclic/"),
        ("cas_resource", "/acces/skilleos/"),
    ):

        def click(p=path) -> None:
            assert browser.get(p).status_code == 302

        report.timings(f"access.gate_to_redirect.{label}.server_time", time_calls(click, REQUESTS))
    with CaptureQueriesContext(connection) as queries:
        browser.get(record.get_access_url())
    report.figure("access.gate_to_redirect.queries", len(queries), "queries")
