"""The territory, commune by commune: figures, map, sorting, downloads, who may see it."""

import csv
import io
import json
from datetime import date
from decimal import Decimal

import pytest
from lxml import html

from boite.finance.models import Campaign, Membership
from boite.networks import outlines
from boite.networks.models import Authority
from boite.patrons.factories import make_patron
from boite.patrons.models import Patron
from boite.stats.models import DailyCount, EventKind
from boite.stats.territory import rows

pytestmark = pytest.mark.django_db
URL = "/gestion/statistiques/territoire/"
YEAR = date.today().year


def _square(x: float, y: float, size: float = 0.05) -> dict:
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return {"type": "Polygon", "coordinates": [ring]}


@pytest.fixture
def territory(calvados, bayeux_library, lisieux_library, communes):
    bayeux = bayeux_library.authority
    campaign = Campaign.objects.create(network=calvados, year=YEAR, reference_year=2021)
    Membership.objects.create(
        campaign=campaign,
        authority=bayeux,
        population=13000,
        rate=Decimal("0.15"),
        fee=Decimal("1950.00"),
        state=Membership.State.PAID,
    )
    for n in range(3):
        make_patron(bayeux_library, email=f"p{n}@example.org")
    make_patron(bayeux_library, state=Patron.State.ERASED, email="gone@example.org")
    DailyCount.objects.create(
        day=date(YEAR, 3, 2),
        network=calvados,
        library=bayeux_library,
        commune=bayeux,
        kind=EventKind.ACCESS_GRANTED,
        count=40,
        patrons=3,
    )
    DailyCount.objects.create(
        day=date(YEAR, 3, 2),
        network=calvados,
        library=bayeux_library,
        commune=bayeux,
        kind=EventKind.LOAN,
        count=5,
        patrons=2,
    )
    document = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "id": c.code, "geometry": _square(-0.7 + 0.1 * i, 49.1)}
            for i, c in enumerate(Authority.objects.filter(kind=Authority.Kind.COMMUNE))
        ],
    }
    outlines.import_outlines(outlines.read_geojson(json.dumps(document).encode()))
    return bayeux


def test_each_commune_has_its_figures(territory, calvados):
    by_name = {row.name: row for row in rows(calvados, YEAR)}
    bayeux = by_name[territory.name]
    assert bayeux.member and bayeux.fee == Decimal("1950.00")
    assert bayeux.patrons == 3  # the erased patron is not counted
    assert (bayeux.openings, bayeux.loans) == (40, 5)
    assert bayeux.fee_per_patron == Decimal("650.00")
    assert bayeux.per_thousand == round(3000 / bayeux.population, 1)
    assert not by_name["Lisieux"].member


def test_the_page_draws_the_map_and_sorts_the_table(client, login, admin_calvados, territory):
    login(client, admin_calvados)
    page = html.fromstring(client.get(URL, {"tri": "patrons", "ordre": "desc"}).content.decode())
    shapes = page.xpath("//figure//svg//path")
    assert shapes and all(p.get("d").startswith("M") for p in shapes)
    member = next(p for p in shapes if territory.name in p.xpath("string(./title)"))
    assert member.get("class").startswith("territory-c")
    first_row = page.xpath('//table[contains(@class, "territory-table")]/tbody/tr[1]/th/text()')
    assert first_row == [territory.name]
    assert page.xpath('//th[@aria-sort="descending"]')


def test_the_table_downloads_as_csv(client, login, admin_calvados, territory):
    login(client, admin_calvados)
    answer = client.get(URL, {"format": "csv", "communes": "membres"})
    assert answer["Content-Disposition"].startswith("attachment;")
    table = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig")), delimiter=";"))
    assert [row[0] for row in table[1:]] == [territory.name]


@pytest.mark.parametrize("persona", ["librarian_bayeux", "admin_caen", "outsider"])
def test_the_territory_is_refused_to_others(request, client, login, persona, territory):
    login(client, request.getfixturevalue(persona))
    assert client.get(URL).status_code == 403


def test_anonymous_visitors_go_to_the_login(client, territory):
    assert client.get(URL).status_code == 302


def test_outlines_are_simplified_and_a_bad_file_changes_nothing(calvados, communes):
    wiggly = [[-0.5 + i / 1000, 49.2 + (i % 2) / 1e6] for i in range(200)] + [
        [-0.5, 49.3],
        [-0.5, 49.2],
    ]
    document = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"insee": "14047"},
                "geometry": {"type": "Polygon", "coordinates": [wiggly]},
            }
        ],
    }
    report = outlines.import_outlines(outlines.read_geojson(json.dumps(document).encode()))
    assert report.updated == 1
    stored = Authority.objects.get(code="14047").outline
    assert 4 <= len(stored.split()) < 20  # 202 points down to the few that matter
    with pytest.raises(outlines.OutlineFileError):
        outlines.read_geojson(b"{not json")
    assert Authority.objects.get(code="14047").outline == stored
