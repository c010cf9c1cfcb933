"""Links with the catalogue: provider accounts name a catalogue provider, and its
COUNTER figures are shown beside the portal's own counts, per resource."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from boite.catalog.models import Provider
from boite.stats.counter import ParsedReport, Row, import_report
from boite.stats.models import ProviderAccount
from boite.stats.rollup import rollup

pytestmark = pytest.mark.django_db
DASHBOARD = "/gestion/statistiques/?start=2026-03&end=2026-03"


def _report(account, rows):
    parsed = ParsedReport("5", "PR", {account.customer_id}, date(2026, 3, 1), date(2026, 3, 31))
    parsed.rows = [Row(date(2026, 3, 1), metric, n, platform=p) for p, metric, n in rows]
    import_report(account, parsed, filename="test")


@pytest.fixture
def accounts(calvados, resources):
    cafeyn = ProviderAccount(
        network=calvados,
        catalog_provider=Provider.objects.get(slug="cafeyn"),
        name="Cafeyn (BdC)",
        customer_id="C14",
    )
    cafeyn.full_clean()
    cafeyn.save()
    dilicom = ProviderAccount(
        network=calvados,
        catalog_provider=Provider.objects.get(slug="dilicom-pnb"),
        name="PNB",
        customer_id="D14",
    )
    dilicom.full_clean()
    dilicom.save()
    _report(cafeyn, [("Cafeyn", "Total_Item_Requests", 40), ("Cafeyn", "Unique_Item_Requests", 9)])
    _report(
        dilicom,
        [
            ("Livres numériques (PNB)", "Total_Item_Requests", 30),
            ("livres numeriques pnb", "Total_Item_Requests", 2),
            ("Autre plateforme", "Total_Item_Requests", 7),
        ],
    )
    return cafeyn, dilicom


def test_an_account_takes_the_catalogue_provider_short_name(accounts):
    assert [a.provider for a in accounts] == ["cafeyn", "dilicom-pnb"]
    empty = ProviderAccount(network=accounts[0].network, name="Sans clé")
    with pytest.raises(ValidationError) as error:
        empty.full_clean()
    assert "provider" in error.value.message_dict


def test_counter_figures_beside_the_portal_per_resource(
    client, login, admin_calvados, accounts, some_events
):
    rollup(date(2026, 3, 1), date(2026, 3, 31))
    login(client, admin_calvados)
    response = client.get(DASHBOARD)
    table = next(t for t in response.context["tables"] if t.key == "providers")
    # Bayeux's patrons opened Cafeyn 5 times in March (Caen's opening is another network).
    assert table.rows == [
        ["Cafeyn — la presse", "Cafeyn", "PR", 40, 9, 5],
        ["Livres audio (PNB)", "Dilicom PNB", "PR", 0, 0, 0],
        ["Livres numériques (PNB)", "Dilicom PNB", "PR", 32, 0, 0],
        ["autres titres", "Dilicom PNB", "PR", 7, 0, 0],
    ]
    resources = next(t for t in response.context["tables"] if t.key == "resources")
    assert resources.rows[0][0] == "Cafeyn — la presse"  # the catalogue's name, not the key
    page = response.content.decode()
    assert '<th scope="row">Cafeyn — la presse</th>' in page


def test_the_other_network_sees_none_of_it(client, login, admin_caen, accounts, some_events):
    rollup(date(2026, 3, 1), date(2026, 3, 31))
    login(client, admin_caen)
    response = client.get(DASHBOARD)
    table = next(t for t in response.context["tables"] if t.key == "providers")
    assert table.rows == []


def test_master_reports_of_one_platform_are_never_added(
    client, login, admin_calvados, accounts, some_events
):
    """A platform that sends TR, PR and IR for the same month: its requests are the PR's,
    on the dashboard and in the API, not the sum of the three."""
    cafeyn = accounts[0]
    for report_id, count in (("TR", 38), ("IR", 35)):
        parsed = ParsedReport(
            "5", report_id, {cafeyn.customer_id}, date(2026, 3, 1), date(2026, 3, 31)
        )
        parsed.rows = [Row(date(2026, 3, 1), "Total_Item_Requests", count, platform="Cafeyn")]
        import_report(cafeyn, parsed, filename="test")
    rollup(date(2026, 3, 1), date(2026, 3, 31))
    login(client, admin_calvados)
    response = client.get(DASHBOARD)
    table = next(t for t in response.context["tables"] if t.key == "providers")
    assert table.rows[0][:4] == ["Cafeyn — la presse", "Cafeyn", "PR", 40]
    counter = next(t for t in response.context["tables"] if t.key == "counter")
    cafeyn_lines = [row for row in counter.rows if row[0] == "cafeyn"]
    assert [row[1] for row in cafeyn_lines] == ["PR", "PR", "TR", "IR"]
