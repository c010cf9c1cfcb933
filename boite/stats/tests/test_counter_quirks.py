"""COUNTER/SUSHI answers as vendors send them: exceptions wherever they are, codes as
numbers or strings, wrapped or stringified answers, COUNTER 4 SOAP faults, TSV months
with two-digit years. Small documents of our own, one per quirk."""

from __future__ import annotations

import json

import pytest
from django.utils import translation

from boite.stats.counter import SushiException, read_report

HEADER = {
    "Created": "2026-02-03T00:00:00Z",
    "Customer_ID": "BDC-14",
    "Report_ID": "TR",
    "Release": "5",
    "Report_Name": "Title Master Report",
}


def _codes(document) -> set[int]:
    data = document if isinstance(document, bytes) else json.dumps(document).encode()
    with pytest.raises(SushiException) as error:
        read_report(data)
    return error.value.codes


def test_an_exception_in_the_header_is_told_not_a_missing_period():
    # A header with no period, only « Requestor not authorized »: the exception is said.
    header = dict(HEADER, Exceptions=[{"Code": 2000, "Severity": "Error", "Message": "No"}])
    with translation.override("fr"), pytest.raises(SushiException) as error:
        read_report(json.dumps({"Report_Header": header}).encode())
    assert str(error.value) == (
        "Le fournisseur a refusé l'identifiant de demandeur : il n'est pas autorisé. (2000)"
    )


def test_an_error_stops_the_report_even_with_a_period():
    header = dict(
        HEADER,
        Report_Filters=[
            {"Name": "Begin_Date", "Value": "2026-01-01"},
            {"Name": "End_Date", "Value": "2026-01-31"},
        ],
        Exceptions=[{"Code": 2020, "Message": "APIKey Invalid"}],
    )
    assert _codes({"Report_Header": header, "Report_Items": []}) == {2020}


@pytest.mark.parametrize(
    "document",
    [
        {"Code": 1011, "Severity": "Warning", "Message": "Report Queued for Processing"},
        [{"Code": "1011", "Severity": 2, "Message": "Report Queued for Processing"}],
        {"code": 1011, "message": "queued"},
        {"body": None, "response": {"number": 1011, "message": "queued"}},
        {"Report_Header": {"Exception": {"Code": "1011", "Message": "queued"}}},
        json.dumps({"Exception": {"Code": 1011, "Message": "queued"}}),  # stringified
    ],
    ids=["bare", "list-string-code", "lower-case", "wrapped", "single-in-header", "stringified"],
)
def test_exceptions_are_found_wherever_they_are(document):
    assert _codes(document) == {1011}


def test_a_wrapped_report_is_read():
    report = {
        "Report_Header": dict(
            HEADER,
            Report_Filters=[
                {"Name": "begin_date", "Value": "2026-01"},
                {"Name": "end_date", "Value": "2026-01"},
            ],
        ),
        "Report_Items": [
            {
                "Title": "Un titre",
                "Platform": "P",
                "Performance": [
                    {
                        "Period": {"Begin_Date": "2026-01-01", "End_Date": "2026-01-31"},
                        "Instance": [{"Metric_Type": "Total_Item_Requests", "Count": "7"}],
                    }
                ],
            }
        ],
    }
    parsed = read_report(json.dumps({"body": report, "response": {"status": 200}}).encode())
    assert parsed.total("Total_Item_Requests") == 7


@pytest.mark.parametrize(
    ("envelope", "namespace"),
    [
        ("http://schemas.xmlsoap.org/soap/envelope/", "http://www.niso.org/schemas/sushi"),
        ("http://www.w3.org/2003/05/soap-envelope", "http://www.niso.org/schemas/sushi/"),
    ],
    ids=["soap-1.1", "soap-1.2-trailing-slash"],
)
def test_counter_4_soap_faults_are_told(envelope, namespace):
    document = (
        f'<S:Envelope xmlns:S="{envelope}"><S:Body><ReportResponse>'
        f'<Exception xmlns="{namespace}"><Number>3030</Number><Severity>Error</Severity>'
        "<Message>No Usage Available for Requested Dates</Message></Exception>"
        "</ReportResponse></S:Body></S:Envelope>"
    ).encode()
    assert _codes(document) == {3030}


def test_a_counter_4_report_without_exception_is_refused_clearly():
    from boite.stats.counter import ReportError

    with translation.override("fr"), pytest.raises(ReportError) as error:
        read_report(b"<ReportResponse><Report/></ReportResponse>")
    assert "COUNTER 4" in str(error.value)


def test_an_unknown_code_keeps_the_providers_words():
    with translation.override("fr"), pytest.raises(SushiException) as error:
        read_report(json.dumps([{"Code": 2090, "Message": "Got response code: 404"}]).encode())
    assert (
        str(error.value) == "Le fournisseur a répondu par l'exception 2090 : Got response code: 404"
    )


def test_a_warning_beside_usage_keeps_the_usage():
    header = dict(
        HEADER,
        Report_Filters=[
            {"Name": "Begin_Date", "Value": "2026-01-01"},
            {"Name": "End_Date", "Value": "2026-01-31"},
        ],
        Exceptions=[{"Code": 3040, "Message": "Partial Data Returned"}],
    )
    items = [
        {
            "Title": "T",
            "Performance": [
                {
                    "Period": {"Begin_Date": "2026-01-01"},
                    "Instance": [{"Metric_Type": "Total_Item_Requests", "Count": 3}],
                }
            ],
        }
    ]
    report = read_report(json.dumps({"Report_Header": header, "Report_Items": items}).encode())
    assert report.total("Total_Item_Requests") == 3
    assert [e["code"] for e in report.exceptions] == [3040]


def test_tsv_months_with_two_digit_years():
    lines = [
        "Report_Name\tPlatform Master Report",
        "Report_ID\tPR",
        "Release\t5",
        "Institution_ID\tBDC-14",
        "Reporting_Period\tBegin_Date=2025-12-01; End_Date=2026-01-31",
        "",
        "Platform\tMetric_Type\tReporting_Period_Total\tDec-25\tJan-26\t",
        "Cafeyn\tTotal_Item_Requests\t30\t10\t20\t",
    ]
    report = read_report(("\n".join(lines) + "\n").encode())
    assert report.total("Total_Item_Requests") == 30
    assert sorted({r.month.isoformat() for r in report.rows}) == ["2025-12-01", "2026-01-01"]
