import json
from datetime import date
from pathlib import Path

import pytest
from django.db.models import Sum
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from boite.stats.counter import (
    ReportError,
    import_report,
    read_json,
    read_report,
    read_simple_csv,
    read_tsv,
)
from boite.stats.models import CounterMetric, CounterReport, ProviderAccount

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def _english():
    # Messages are compared in English; test_errors_are_translated checks the French.
    with translation.override("en"):
        yield


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_r5_json_title_report():
    report = read_json(fixture("tr_r5.json"))
    assert (report.release, report.report_id) == ("5", "TR")
    assert (report.begin, report.end) == (date(2026, 1, 1), date(2026, 3, 31))
    assert "BDC-14" in report.customer_ids
    assert report.total("Total_Item_Requests") == 412 + 388 + 430 + 98 + 75
    assert report.total("No_License") == 3
    first = report.rows[0]
    assert first.item == "Ouest-France"
    assert "Online_ISSN:2101-4337" in first.item_id
    assert first.month == date(2026, 1, 1)


def test_r51_json_title_report():
    report = read_json(fixture("tr_r51.json"))
    assert (report.release, report.report_id) == ("5.1", "TR")
    assert report.end == date(2026, 2, 28)
    assert report.total("Total_Item_Requests") == 31 + 40 + 12
    assert report.total("Limit_Exceeded") == 2
    assert {r.data_type for r in report.rows} == {"Multimedia"}


def test_r51_json_item_report_with_parents():
    report = read_json(fixture("ir_r51.json"))
    assert report.report_id == "IR"
    assert (report.begin, report.end) == (date(2026, 3, 1), date(2026, 3, 31))
    assert {r.item for r in report.rows} == {
        "Symphonie fantastique (Berlioz)",
        "Le Sacre du printemps (Stravinsky)",
    }
    assert report.total("Total_Item_Requests") == 26


def test_r5_json_database_report_keeps_warnings():
    report = read_json(fixture("dr_r5.json"))
    assert report.report_id == "DR"
    assert report.rows[0].item == "Toutapprendre — Langues"
    assert report.total("Searches_Regular") == 220
    assert report.exceptions == [
        {"code": 3050, "message": "Parameter Not Recognized in this Context"}
    ]


def test_r5_tsv_platform_report():
    report = read_tsv(fixture("pr_r5.tsv"))
    assert (report.release, report.report_id) == ("5", "PR")
    assert "BDC-14" in report.customer_ids
    assert report.total("Searches_Platform") == 690
    assert report.total("Total_Item_Requests") == 1290
    assert {r.item for r in report.rows} == {"Vodeclic"}


def test_r51_tsv_title_report():
    report = read_tsv(fixture("tr_r51.tsv"))
    assert (report.release, report.report_id) == ("5.1", "TR")
    assert "BDC-14" in report.customer_ids
    assert report.total("Total_Item_Requests") == 27
    assert report.total("No_License") == 4  # the empty February cell is no figure
    assert report.rows[0].item_id == "Proprietary_ID:pnb:9782072895097 ISBN:9782072895097"


def test_simple_csv():
    report = read_simple_csv(fixture("simple.csv"))
    assert report.report_id == "CSV"
    assert (report.begin, report.end) == (date(2026, 1, 1), date(2026, 2, 28))
    assert report.total("Total_Item_Requests") == 107


def test_simple_csv_with_semicolons():
    report = read_simple_csv(b"month;item;metric;count\n2026-05;Cours;;7\n")
    assert report.total("Total_Item_Requests") == 7


def test_read_report_recognises_each_format():
    assert read_report(fixture("tr_r5.json")).release == "5"
    assert read_report(fixture("pr_r5.tsv")).report_id == "PR"
    assert read_report(fixture("simple.csv")).report_id == "CSV"


def _edited(name: str, edit) -> bytes:
    document = json.loads(fixture(name))
    edit(document)
    return json.dumps(document).encode()


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"{not json", "not valid JSON"),
        (b"", "empty"),
        (b'{"Report_Items": []}', "no COUNTER report header"),
        (
            _edited("tr_r5.json", lambda d: d["Report_Header"].update(Release="4")),
            "only releases 5 and 5.1",
        ),
        (
            _edited("tr_r5.json", lambda d: d["Report_Header"].update(Report_ID="JR1")),
            "is not a COUNTER report",
        ),
        (
            _edited("tr_r5.json", lambda d: d["Report_Header"].update(Report_Filters=[])),
            "no reporting period",
        ),
        (
            _edited(
                "tr_r5.json",
                lambda d: d["Report_Items"][0]["Performance"][0]["Instance"][0].update(Count=-3),
            ),
            "out of range",
        ),
        (
            _edited(
                "tr_r5.json",
                lambda d: d["Report_Items"][0]["Performance"][0]["Period"].update(
                    Begin_Date="2025-06-01"
                ),
            ),
            "outside the reporting period",
        ),
        (
            _edited("tr_r51.json", lambda d: d["Report_Items"][0].update(Attribute_Performance=3)),
            "is not a list",
        ),
        (fixture("pr_r5.tsv").replace(b"\t250\t", b"\tmany\t"), "not a whole number"),
        (fixture("pr_r5.tsv").replace(b"\t250", b""), "cells where the header has"),
        (fixture("pr_r5.tsv").replace(b"Jan-2026", b"Jan-2025"), "outside the reporting period"),
        (b"month,count\n2026-01,3\n", "must have the columns"),
        (b"month,item,metric,count\n2026-13,x,,3\n", "Line 2"),
    ],
)
def test_bad_files_get_a_clear_error(data, says):
    with pytest.raises(ReportError) as error:
        read_report(data)
    assert says in str(error.value)


def test_errors_are_translated():
    with translation.override("fr"), pytest.raises(ReportError) as error:
        read_report(b"{not json")
    assert str(error.value) == "Le fichier n'est pas un JSON valide."


# -- hypothesis: whatever the bytes, a reader answers a report or a ReportError ----------


def _answers_sensibly(reader, data: bytes) -> None:
    try:
        report = reader(data)
    except ReportError as error:
        assert str(error)
    else:
        assert report.begin <= report.end
        assert all(r.count >= 0 and report.begin.replace(day=1) <= r.month for r in report.rows)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400))
def test_readers_never_crash_on_bytes(data):
    for reader in (read_report, read_json, read_tsv, read_simple_csv):
        _answers_sensibly(reader, data)


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "Report_Header",
                    "Report_Items",
                    "Release",
                    "Report_ID",
                    "Performance",
                    "Instance",
                    "Count",
                    "Metric_Type",
                    "Period",
                    "Begin_Date",
                    "Items",
                    "Attribute_Performance",
                    "Code",
                    "Report_Filters",
                    "Title",
                ]
            ),
            children,
            max_size=4,
        )
    ),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_json_values)
def test_json_reader_never_crashes_on_odd_structures(document):
    _answers_sensibly(read_json, json.dumps(document).encode())


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 1)),
            st.text(
                alphabet=st.characters(
                    blacklist_characters=',;"\r\n\x00\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029',
                    blacklist_categories=("Cs",),
                ),
                max_size=20,
            ),
            st.integers(min_value=0, max_value=10**9),
        ),
        min_size=1,
        max_size=10,
    )
)
def test_simple_csv_round_trip(lines):
    text = "month,item,metric,count\n" + "".join(f"{d:%Y-%m},{item},,{n}\n" for d, item, n in lines)
    try:
        report = read_simple_csv(text.encode())
    except ReportError as error:
        assert "three years" in str(error)
        return
    assert report.total("Total_Item_Requests") == sum(n for _d, _i, n in lines)


# -- import --------------------------------------------------------------------------


@pytest.fixture
def cafeyn(calvados):
    return ProviderAccount.objects.create(
        network=calvados, provider="cafeyn", name="Cafeyn", customer_id="BDC-14"
    )


@pytest.mark.django_db
def test_import_stores_every_figure(cafeyn):
    result = import_report(cafeyn, read_report(fixture("tr_r5.json")), filename="tr.json")
    report = result.report
    assert (report.begin, report.end, report.release) == (
        date(2026, 1, 1),
        date(2026, 3, 31),
        "5",
    )
    assert (
        report.metrics.filter(metric="Total_Item_Requests").aggregate(n=Sum("count"))["n"] == 1403
    )


@pytest.mark.django_db
def test_a_report_of_another_customer_writes_nothing(cafeyn):
    cafeyn.customer_id = "CAEN-LA-MER"
    with pytest.raises(ReportError, match="another customer"):
        import_report(cafeyn, read_report(fixture("tr_r5.json")))
    assert not CounterReport.objects.exists()


@pytest.mark.django_db
def test_an_overlapping_period_is_refused_unless_replace_is_asked(cafeyn):
    import_report(cafeyn, read_report(fixture("tr_r5.json")))
    march = read_report(fixture("tr_r5.json"))
    march.begin = date(2026, 3, 1)
    march.rows = [r for r in march.rows if r.month == date(2026, 3, 1)]
    with pytest.raises(ReportError, match="already covers 2026-01 – 2026-03"):
        import_report(cafeyn, march)
    assert CounterReport.objects.count() == 1
    assert CounterMetric.objects.aggregate(n=Sum("count"))["n"] > 1000

    result = import_report(cafeyn, march, replace=True)
    assert result.replaced == ["2026-01 – 2026-03"]
    assert CounterReport.objects.get() == result.report
    total = CounterMetric.objects.filter(metric="Total_Item_Requests").aggregate(n=Sum("count"))
    assert total["n"] == 430 + 75  # never the old and the new together


@pytest.mark.django_db
def test_other_reports_and_other_providers_do_not_clash(cafeyn, calvados):
    import_report(cafeyn, read_report(fixture("tr_r5.json")))
    cafeyn_pr = read_report(fixture("pr_r5.tsv"))
    import_report(cafeyn, cafeyn_pr)
    other = ProviderAccount.objects.create(
        network=calvados, provider="mn", name="Médiathèque numérique", customer_id="BDC-14"
    )
    import_report(other, read_report(fixture("tr_r51.json")))
    assert CounterReport.objects.count() == 3


@pytest.mark.django_db
def test_simple_csv_needs_no_customer_id(calvados):
    account = ProviderAccount.objects.create(network=calvados, provider="skilleos", name="Skilleos")
    report = import_report(account, read_report(fixture("simple.csv"))).report
    assert report.report_id == "CSV"
    assert report.metrics.count() == 3
