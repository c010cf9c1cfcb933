from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from boite.networks.communes import CommuneFileError, import_communes
from boite.networks.models import Authority, AuthorityPopulation

REFERENCE = Path(__file__).resolve().parents[1] / "data" / "calvados-communes.csv"
HEADER = "insee_code,name,postal_codes,population_2021,lat,lng\n"


@pytest.mark.django_db
def test_the_reference_file_imports_every_commune_and_reruns_without_change():
    report = import_communes(REFERENCE)
    assert (report.created, report.updated, len(report.rejected)) == (528, 0, 0)
    total = sum(AuthorityPopulation.objects.filter(year=2021).values_list("population", flat=True))
    assert total == 700_633  # the sum INSEE gives for Calvados' legal population 2021
    again = import_communes(REFERENCE)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 528)


@pytest.mark.django_db
def test_a_changed_population_updates_the_commune():
    import_communes((HEADER + "14047,Bayeux,14400,12900,49.27,-0.70\n").encode())
    report = import_communes((HEADER + "14047,Bayeux,14400,13000,49.27,-0.70\n").encode())
    assert report.updated == 1
    assert Authority.objects.get(code="14047").population(2021) == 13000


@pytest.mark.django_db
def test_bad_rows_are_rejected_with_reasons_and_good_rows_kept():
    data = HEADER + (
        "14047,Bayeux,14400,12900,49.27,-0.70\n"
        "ABCDE,Nulle part,14000,10,,\n"
        "14366,,14100,20000,,\n"
        "14118,Caen,14000,beaucoup,,\n"
        "14047,Bayeux encore,14400,1,,\n"
        "14257,Évrecy,142,2100,,\n"
    )
    report = import_communes(data.encode())
    assert report.created == 1
    reasons = dict(report.rejected)
    assert set(reasons) == {3, 4, 5, 6, 7}
    assert "INSEE" in reasons[3]
    assert "twice" in reasons[6] or "deux fois" in reasons[6]
    assert Authority.objects.count() == 1


@pytest.mark.django_db
def test_a_windows_1252_file_with_semicolons_is_read():
    data = "insee_code;name;postal_codes;population_2021;lat;lng\n14257;Évrecy;14210;2100;;\n"
    report = import_communes(data.encode("cp1252"))
    assert report.created == 1
    assert Authority.objects.get(code="14257").name == "Évrecy"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "vide"),
        (b"code,nom\n1,2\n", "Colonnes manquantes"),
        (b"insee_code,name,postal_codes\n14047,Bayeux,14400\n", "population_YYYY"),
    ],
)
def test_an_unreadable_file_changes_nothing(content, message):
    import_communes((HEADER + "14047,Bayeux,14400,12900,,\n").encode())
    with pytest.raises(CommuneFileError, match=message):
        import_communes(content)
    assert Authority.objects.count() == 1


@pytest.mark.django_db
def test_command_reports_counts_and_rejections(tmp_path, capsys):
    path = tmp_path / "communes.csv"
    path.write_text(HEADER + "14047,Bayeux,14400,12900,,\nxx,Bad,,1,,\n", encoding="utf-8")
    call_command("import_communes", str(path))
    out, err = capsys.readouterr()
    assert "1 créée" in out or "1 created" in out
    assert "Ligne 3" in err or "Line 3" in err


@pytest.mark.django_db
def test_command_says_when_the_file_is_missing():
    with pytest.raises(CommandError, match=r"introuvable|No such file"):
        call_command("import_communes", "/nonexistent/communes.csv")


@pytest.mark.django_db
@settings(
    max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None
)
@given(st.binary(max_size=400))
def test_any_bytes_either_import_or_fail_cleanly(content):
    try:
        report = import_communes(content)
    except CommuneFileError:
        return
    assert report.created + report.updated + report.unchanged + len(report.rejected) >= 0
    assert Authority.objects.count() == report.created + report.updated + report.unchanged
    Authority.objects.all().delete()
