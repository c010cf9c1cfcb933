"""Finance: generating a campaign for many authorities, and the finance pages (issue 8)."""

from time import perf_counter

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench.report import Report, time_calls
from boite.finance.models import Campaign, Contract
from boite.networks.models import Authority, Library, Network, User

REQUESTS = 100


def _queries(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, path
    return len(captured)


def run(report: Report) -> None:
    client = Client(HTTP_HOST="localhost")
    client.force_login(User.objects.get(username="finance"))
    campaign = Campaign.objects.get(network__slug="boite-numerique", year=2026)
    pages = {
        "finance.campaign_page": f"/gestion/finances/adhesions/{campaign.pk}/",
        "finance.contracts_page": "/gestion/finances/contrats/2026/",
        "finance.campaign_xlsx": f"/gestion/finances/adhesions/{campaign.pk}/export.xlsx",
    }
    report.figure("finance.calls_demo", campaign.memberships.count(), "calls")
    report.figure("finance.contracts_demo", Contract.objects.filter(year=2026).count(), "contracts")
    for name, path in pages.items():
        report.figure(f"{name}.queries", _queries(client, path), "queries")

    # Every commune of the department joins: one library each, then one campaign.
    network = Network.objects.get(slug="boite-numerique")
    taken = set(network.libraries.values_list("authority_id", flat=True))
    communes = [
        c for c in Authority.objects.filter(kind=Authority.Kind.COMMUNE) if c.pk not in taken
    ]
    Library.objects.bulk_create(
        Library(network=network, authority=c, name=f"Point lecture {c.name}", slug=f"pl-{c.code}")
        for c in communes
    )
    big = Campaign.objects.create(network=network, year=2027, reference_year=2021)
    started = perf_counter()
    big.generate()
    report.figure("finance.generate_campaign_ms", (perf_counter() - started) * 1000, "ms")
    report.figure("finance.calls_generated", big.memberships.count(), "calls")
    path = f"/gestion/finances/adhesions/{big.pk}/"
    report.figure(
        "finance.campaign_page.queries_with_all_communes", _queries(client, path), "queries"
    )
    report.timings(
        "finance.campaign_page.server_time_with_all_communes",
        time_calls(lambda: client.get(path), REQUESTS, warmup=3),
    )
    report.timings(
        "finance.contracts_page.server_time",
        time_calls(lambda: client.get(pages["finance.contracts_page"]), REQUESTS, warmup=3),
    )
