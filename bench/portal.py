"""Portal shell: home page and library directory (issue « Foundation »)."""

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench.report import Report, time_calls
from boite.networks.models import Authority, Library, Network

REQUESTS = 600


def _queries(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, path
    return len(captured)


def run(report: Report) -> None:
    client = Client(HTTP_HOST="localhost")
    pages = {
        "portal.home": "/",
        "portal.library_directory": "/bibliotheques/",
        "portal.library_search": "/bibliotheques/?q=bayeux",
    }
    for name, path in pages.items():
        report.timings(f"{name}.server_time", time_calls(lambda p=path: client.get(p), REQUESTS))
        report.figure(f"{name}.queries", _queries(client, path), "queries")

    # The same pages with ten times more libraries: the query count must not move.
    network = Network.objects.get(slug="boite-numerique")
    communes = list(Authority.objects.filter(kind=Authority.Kind.COMMUNE)[:500])
    Library.objects.bulk_create(
        Library(
            network=network,
            authority=c,
            name=f"Point lecture {c.name}",
            slug=f"pl-{c.code}",
            search_text=f"point lecture {c.name.lower()}",
        )
        for c in communes
    )
    report.figure("portal.libraries", network.libraries.count(), "libraries")
    for name, path in pages.items():
        report.figure(f"{name}.queries_with_many_libraries", _queries(client, path), "queries")
    report.timings(
        "portal.library_directory.server_time_with_many_libraries",
        time_calls(lambda: client.get("/bibliotheques/"), REQUESTS),
    )
