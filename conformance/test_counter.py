"""COUNTER reports and SUSHI answers of real providers, through `counter.read_report`:
the exact totals of each report per metric, and each exception's French message.

Totals were counted by hand from each file (the TSV's own Reporting_Period_Total column,
the JSON's Instance counts) before being written here."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from django.utils import translation

from boite.stats.counter import ParsedReport, SushiException, read_report
from conformance.conftest import sample, samples_dir

REPORTS = {
    "celus_DR_table_tsv.tsv": (
        ("5", "DR", date(2019, 2, 1), date(2019, 12, 31)),
        {
            "No_License": 883,
            "Total_Item_Investigations": 642,
            "Total_Item_Requests": 29,
            "Unique_Item_Investigations": 524,
            "Unique_Item_Requests": 26,
            "Searches_Automated": 31,
            "Searches_Regular": 89,
        },
        {"ARTICLES", "BOOKS"},
    ),
    "celus_proquest_ebookcentral_TR_wrapped_body.json": (
        ("5", "TR", date(2019, 11, 1), date(2019, 11, 30)),
        {
            "No_License": 1,
            "Total_Item_Investigations": 10,
            "Unique_Item_Investigations": 10,
            "Unique_Title_Investigations": 10,
            "Total_Item_Requests": 10,
            "Unique_Title_Requests": 9,
            "Unique_Item_Requests": 2,
        },
        None,
    ),
    "celus_springernature_TR.json": (
        ("5", "TR", date(2021, 12, 1), date(2021, 12, 31)),
        {
            "Total_Item_Requests": 64,
            "Unique_Item_Requests": 50,
            "Total_Item_Investigations": 65,
            "Unique_Item_Investigations": 51,
            "No_License": 1,
        },
        None,
    ),
}

EXCEPTIONS = {
    "celus_DR_severity_as_number.json": (
        {3010},
        "Le fournisseur ne propose pas cette version du rapport. (3010)",
    ),
    "celus_TR_3062_no_data.json": (
        {3062},
        "Le fournisseur a refusé un attribut de la demande. (3062)",
    ),
    "celus_TR_stringified_json.json": (
        {2090},
        "Le fournisseur a répondu par l'exception 2090 : Got response code: 404",
    ),
    "celus_counter4_BR2_unauthorized_soap.xml": (
        {2000},
        "Le fournisseur a refusé l'identifiant de demandeur : il n'est pas autorisé. (2000)",
    ),
    "celus_counter4_sushi_soap_3030.xml": (
        {3030},
        "Le fournisseur n'a aucun usage pour les mois demandés. (3030)",
    ),
    "celus_jstor_naked_error_array_1011_3060.json": (
        {1011, 3060},
        "Le fournisseur prépare le rapport ; il sera récupéré la prochaine fois. (1011) "
        "Le fournisseur a refusé un filtre de la demande. (3060)",
    ),
    "celus_proquest_DR_lowercase_error_body_null.json": (
        {1001},
        "Le service du fournisseur est momentanément indisponible ; réessayez plus tard. (1001)",
    ),
    "celus_proquest_TR_exception_wrapped.json": (
        {3030},
        "Le fournisseur n'a aucun usage pour les mois demandés. (3030)",
    ),
}


def _read(name: str) -> ParsedReport:
    path: Path = sample("counter", name)
    return read_report(path.read_bytes(), name)


def test_every_counter_file_has_its_expectation():
    files = {p.name for p in (samples_dir() / "counter").iterdir() if p.suffix != ".md"}
    assert files == set(REPORTS) | set(EXCEPTIONS)


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_the_exact_totals_per_metric(name):
    (release, report_id, begin, end), totals, items = REPORTS[name]
    report = _read(name)
    assert (report.release, report.report_id, report.begin, report.end) == (
        release,
        report_id,
        begin,
        end,
    )
    found = Counter()
    for row in report.rows:
        found[row.metric] += row.count
    assert dict(found) == totals
    assert report.exceptions == []
    if items is not None:
        assert {row.item for row in report.rows} == items


@pytest.mark.parametrize("name", sorted(EXCEPTIONS))
def test_each_exception_is_told_in_french(name):
    codes, message = EXCEPTIONS[name]
    with translation.override("fr"), pytest.raises(SushiException) as error:
        _read(name)
    assert error.value.codes == codes
    assert str(error.value).startswith(message)
