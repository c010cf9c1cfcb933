"""Harvest runs: upsert, re-runs, withdrawals and their limit, failures, the command
line, the back office and the schedule."""

import io
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError, connection

from boite.catalog.harvest.runner import harvest
from boite.catalog.models import HarvestRun, Record, RejectedRecord, StagedRecord
from boite.catalog.search import SearchQuery, get_backend
from boite.catalog.tasks import due_resources, scheduled_harvests

FIXTURES = Path(__file__).parent.parent / "fixtures"
HEADER = "id;titre;resume\n"


def _csv(path: Path, rows: list[tuple[str, str]]) -> Path:
    path.write_text(HEADER + "".join(f"{i};{t};Résumé de {t}\n" for i, t in rows), "utf-8")
    return path


@pytest.fixture
def ten(tmp_path):
    return [(f"r{i}", f"Titre numéro {i}") for i in range(10)]


def _search_ids(resource, text):
    return {h.record_id for h in get_backend().search(
        SearchQuery(text=text, resource_ids=[resource.pk])).hits}  # fmt: skip


def test_rerun_changes_nothing_and_update_is_seen(db, make_resource, tmp_path, ten):
    source = _csv(tmp_path / "a.csv", ten)
    resource = make_resource(source=source)
    assert harvest(resource).created == 10
    stamps = list(Record.objects.order_by("pk").values_list("updated_at", flat=True))
    again = harvest(resource)
    assert (again.created, again.updated, again.unchanged, again.withdrawn) == (0, 0, 10, 0)
    assert list(Record.objects.order_by("pk").values_list("updated_at", flat=True)) == stamps
    ten[3] = ("r3", "Titre corrigé")
    _csv(source, ten)
    third = harvest(resource)
    assert (third.created, third.updated, third.unchanged) == (0, 1, 9)
    assert Record.objects.get(provider_id="r3").title == "Titre corrigé"
    assert not StagedRecord.objects.exists()


def test_full_harvest_withdraws_what_disappeared_and_the_index_follows(
    db, make_resource, tmp_path, ten
):
    source = _csv(tmp_path / "a.csv", ten)
    resource = make_resource(source=source)
    harvest(resource)
    gone = Record.objects.get(provider_id="r9")
    assert gone.pk in _search_ids(resource, "numéro 9")
    _csv(source, ten[:9])
    run = harvest(resource)
    assert run.withdrawn == 1
    gone.refresh_from_db()
    assert gone.withdrawn and gone.withdrawn_at
    assert gone.pk not in _search_ids(resource, "numéro 9")
    _csv(source, ten)  # it comes back
    back = harvest(resource)
    assert back.updated == 1
    gone.refresh_from_db()
    assert not gone.withdrawn


def test_more_than_30_percent_withdrawn_is_refused_unless_forced(db, make_resource, tmp_path, ten):
    source = _csv(tmp_path / "a.csv", ten)
    resource = make_resource(source=source)
    harvest(resource)
    _csv(source, ten[:6])
    refused = harvest(resource)
    assert refused.status == HarvestRun.Status.REFUSED
    assert "4" in refused.error and "30" in refused.error
    assert Record.objects.filter(withdrawn=False).count() == 10
    forced = harvest(resource, force=True)
    assert forced.status == HarvestRun.Status.SUCCEEDED
    assert forced.withdrawn == 4


def test_one_bad_record_never_aborts_the_run(db, make_resource, tmp_path):
    path = tmp_path / "a.csv"
    path.write_text(HEADER + "a1;Bon;x\n;Sans identifiant;x\na3;Autre bon;x\n", "utf-8")
    run = harvest(make_resource(source=path))
    assert run.status == HarvestRun.Status.SUCCEEDED
    assert (run.created, run.rejected) == (2, 1)
    rejection = RejectedRecord.objects.get(run=run)
    assert (rejection.position, rejection.reason) == (2, "sans identifiant")


@pytest.mark.parametrize(
    ("name", "content", "fmt"),
    [
        ("broken.xml", (FIXTURES / "pnb-livres.onix.xml").read_bytes()[:5000], "onix"),
        ("broken.json", b'[{"id": "mn-1", "title": "x"', "json"),
        ("broken.csv", b"identifiant;nom\n1;x\n", "csv"),
        ("broken.mrc", b"this is not marc at all", "marc"),
    ],
)
def test_an_unreadable_source_leaves_the_catalogue_exactly_as_it_was(
    db, make_resource, tmp_path, ten, name, content, fmt
):
    resource = make_resource(source=_csv(tmp_path / "good.csv", ten))
    harvest(resource)
    before = list(Record.objects.order_by("pk").values())
    broken = tmp_path / name
    broken.write_bytes(content)
    run = harvest(resource, source=str(broken), format_name=fmt)
    assert run.status == HarvestRun.Status.FAILED
    assert run.error
    assert list(Record.objects.order_by("pk").values()) == before
    assert not StagedRecord.objects.exists()
    assert len(_search_ids(resource, "titre")) == 10


def test_missing_file_is_a_clear_error(db, make_resource):
    run = harvest(make_resource(), source="/nonexistent/catalogue.csv")  # the operator's
    assert run.status == HarvestRun.Status.FAILED
    assert run.error == "Source illisible : fichier introuvable : /nonexistent/catalogue.csv"


def test_missing_drop_file_is_a_clear_error(db, make_resource, tmp_path):
    run = harvest(make_resource(source=tmp_path / "parti.csv"))
    assert run.status == HarvestRun.Status.FAILED
    assert run.error == (
        "Source illisible : aucun fichier de ce nom dans le dossier de dépôt : parti.csv"
    )


def test_command_line_harvest(db, make_resource, tmp_path, ten):
    resource = make_resource(source=_csv(tmp_path / "a.csv", ten))
    out = io.StringIO()
    call_command("harvest", resource.slug, "--no-progress", stdout=out)
    assert "10 created" in out.getvalue()
    call_command(
        "harvest", resource.slug, "--source", str(FIXTURES / "pnb-livres.onix.xml"),
        "--format", "onix", "--full", "--force", stdout=out,
    )  # fmt: skip
    assert Record.objects.filter(resource=resource, withdrawn=False).count() == 8
    with pytest.raises(CommandError, match="refus"):
        call_command(
            "harvest", resource.slug, "--source", str(_csv(tmp_path / "b.csv", ten[:1])),
            "--format", "csv", stdout=out,
        )  # fmt: skip
    with pytest.raises(CommandError, match="no resource"):
        call_command("harvest", "inconnue", stdout=out)


def test_reindex_rebuilds_from_the_database(catalogue, settings, tmp_path):
    from boite.catalog.search import _instances

    settings.CATALOG_INDEX_DIR = tmp_path / "fresh-index"
    _instances.clear()
    ids = [r.pk for r in catalogue.values()]
    assert get_backend().search(SearchQuery(text="polar", resource_ids=ids)).count == 0
    out = io.StringIO()
    call_command("reindex", stdout=out)
    assert f"{Record.objects.count()} records indexed" in out.getvalue()
    assert get_backend().search(SearchQuery(text="polar", resource_ids=ids)).count >= 5


def test_schedule_picks_daily_and_weekly_resources(db, make_resource, tmp_path, ten):
    daily = make_resource(slug="quotidienne", source=_csv(tmp_path / "a.csv", ten))
    weekly = make_resource(slug="hebdo", source=_csv(tmp_path / "b.csv", ten))
    weekly.harvest_schedule = "weekly"
    weekly.save()
    manual = make_resource(slug="manuelle", source=_csv(tmp_path / "c.csv", ten))
    manual.harvest_schedule = "manual"
    manual.save()
    paris = ZoneInfo("Europe/Paris")
    tuesday = datetime(2025, 11, 4, 3, 15, tzinfo=paris)
    monday = datetime(2025, 11, 3, 3, 15, tzinfo=paris)
    assert set(due_resources(tuesday)) == {daily}
    assert set(due_resources(monday)) == {daily, weekly}


def test_scheduled_harvest_runs_the_due_resources(db, make_resource, tmp_path, ten):
    resource = make_resource(source=_csv(tmp_path / "a.csv", ten))
    scheduled_harvests.call_local()
    run = resource.runs.get()
    assert run.status == HarvestRun.Status.SUCCEEDED
    assert run.created == 10


def test_a_replica_catches_up_with_harvests_run_elsewhere(catalogue, settings, tmp_path):
    from boite.catalog.search import _instances

    settings.CATALOG_INDEX_DIR = tmp_path / "replica"
    _instances.clear()
    ids = [r.pk for r in catalogue.values()]
    out = io.StringIO()
    call_command("reindex", "--changed", stdout=out)
    assert "10 resources re-indexed" in out.getvalue()
    assert get_backend().search(SearchQuery(text="polar", resource_ids=ids)).count >= 5
    call_command("reindex", "--changed", stdout=out)
    assert out.getvalue().endswith("0 resources re-indexed\n")


def test_every_format_reharvests_through_the_cli_and_the_back_office(
    catalogue, client, login, admin_calvados
):
    """The demo resources cover the formats; a re-run by either door changes nothing."""
    formats = {r.harvest_format for r in catalogue.values()}
    assert formats == {"json", "csv", "marc", "onix", "opds"}  # OAI-PMH: HTTP tests
    for slug in catalogue:
        out = io.StringIO()
        call_command("harvest", slug, "--no-progress", stdout=out)
        assert "0 created, 0 updated" in out.getvalue(), slug
    login(client, admin_calvados)
    for slug, resource in catalogue.items():
        client.post(f"/gestion/catalogue/{slug}/moissonner/", {"mode": "full"})
        run = resource.runs.order_by("-pk").first()
        assert run.started_by == admin_calvados
        assert (run.status, run.created, run.updated) == ("succeeded", 0, 0), slug


def test_an_identifier_read_twice_keeps_its_last_occurrence(db, make_resource, tmp_path, ten):
    rows = [*ten, ("r3", "Titre répété, seconde version")]
    resource = make_resource(source=_csv(tmp_path / "a.csv", rows))
    run = harvest(resource)
    assert (run.read, run.created, run.unchanged) == (11, 10, 0)
    assert Record.objects.get(provider_id="r3").title == "Titre répété, seconde version"
    again = harvest(resource)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 10)
    assert _search_ids(resource, "seconde version") == {Record.objects.get(provider_id="r3").pk}


# -- the reading process, batches, live progress ------------------------------------------


def _many(count: int, start: int = 0) -> list[tuple[str, str]]:
    return [(f"m{i}", f"Titre numéro {i}") for i in range(start, start + count)]


def test_progress_is_published_while_the_transaction_is_open(db, make_resource, tmp_path):
    from boite.catalog.harvest.runner import live_progress

    resource = make_resource(source=_csv(tmp_path / "a.csv", _many(2500)))
    seen = []

    def progress(run):
        if run.status == HarvestRun.Status.RUNNING:
            fresh = HarvestRun.objects.get(pk=run.pk)  # what another process reads
            seen.append((fresh.read, live_progress(fresh).read))

    run = harvest(resource, progress=progress)
    assert run.status == HarvestRun.Status.SUCCEEDED
    # The row says nothing until the end; the published progress does, from the first batch.
    assert seen[0] == (0, 1000)
    assert [read for _row, read in seen][-1] >= 1000


def test_an_identifier_repeated_across_batches_is_counted_once(db, make_resource, tmp_path):
    rows = [*_many(1500), ("m3", "Titre numéro 3, dernière version")]
    resource = make_resource(source=_csv(tmp_path / "a.csv", rows))
    run = harvest(resource)
    assert (run.read, run.created, run.updated, run.unchanged) == (1501, 1500, 0, 0)
    assert Record.objects.get(provider_id="m3").title == "Titre numéro 3, dernière version"
    # Read again, the first occurrence (a batch earlier) differs from what is stored and is
    # applied before the last one restores it: one update, the same record in the end.
    again = harvest(resource)
    assert (again.created, again.updated, again.unchanged) == (0, 1, 1499)
    assert Record.objects.get(provider_id="m3").title == "Titre numéro 3, dernière version"


def test_a_reading_process_killed_midway_leaves_the_catalogue_as_it_was(
    db, make_resource, tmp_path
):
    import multiprocessing
    import os
    import signal

    source = _csv(tmp_path / "a.csv", _many(3000))
    resource = make_resource(source=source)
    harvest(resource)
    before = list(Record.objects.order_by("pk").values())
    _csv(source, _many(3000, start=5000))  # every record would change

    def kill_the_reader(run):
        for child in multiprocessing.active_children():
            if child.name == "boite-harvest-reader":
                os.kill(child.pid, signal.SIGKILL)

    run = harvest(resource, progress=kill_the_reader)
    assert run.status == HarvestRun.Status.FAILED
    assert "s’est arrêté avant la fin" in run.error
    assert list(Record.objects.order_by("pk").values()) == before
    found = get_backend().search(SearchQuery(text="titre", resource_ids=[resource.pk]))
    assert found.count == 3000
    assert not StagedRecord.objects.exists()


def test_reading_in_the_same_process_gives_the_same_catalogue(
    db, make_resource, tmp_path, settings
):
    rows = _many(1200)
    first = make_resource(slug="enfant", source=_csv(tmp_path / "a.csv", rows))
    run = harvest(first)
    settings.CATALOG_HARVEST_PROCESS = False
    second = make_resource(slug="meme-processus", source=_csv(tmp_path / "b.csv", rows))
    inline = harvest(second)
    assert (inline.read, inline.created) == (run.read, run.created) == (1200, 1200)
    assert inline.reader.child_peak_kib == 0 < run.reader.child_peak_kib
    columns = ("provider_id", "title", "description", "fingerprint", "contributors")
    assert list(Record.objects.filter(resource=first).order_by("pk").values_list(*columns)) == (
        list(Record.objects.filter(resource=second).order_by("pk").values_list(*columns))
    )


class _DatabaseDown:
    """The database restarting under a run: from the first query containing `marker`,
    that query and the `count - 1` after it fail as on a terminated connection."""

    def __init__(self, marker: str, count: int) -> None:
        self.marker, self.left, self.down = marker, count, False

    def __call__(self, execute, sql, params, many, context):
        self.down = self.down or self.marker in sql
        if self.down and self.left > 0:
            self.left -= 1
            raise OperationalError("terminating connection due to administrator command")
        return execute(sql, params, many, context)


@pytest.mark.django_db(transaction=True)
def test_a_database_restart_during_the_apply_fails_the_run_and_changes_nothing(
    make_resource, tmp_path, ten
):
    resource = make_resource(source=_csv(tmp_path / "a.csv", ten))
    harvest(resource)
    before = list(Record.objects.order_by("pk").values())
    changed = _csv(tmp_path / "b.csv", [(i, f"{t} (nouvelle édition)") for i, t in ten])
    # The upsert fails, then the run's first attempt to record its failure: it waits for
    # the database on a new connection and records it.
    down = _DatabaseDown('INSERT INTO "catalog_record"', count=2)
    with connection.execute_wrapper(down):
        run = harvest(resource, source=str(changed))
    assert down.left == 0
    run.refresh_from_db()
    assert run.status == HarvestRun.Status.FAILED
    assert "terminating connection" in run.error
    assert (run.created, run.updated) == (0, 0)
    assert list(Record.objects.order_by("pk").values()) == before
    assert not StagedRecord.objects.exists()
    assert len(_search_ids(resource, "titre")) == 10
    assert not _search_ids(resource, "nouvelle")
    again = harvest(resource, source=str(changed))
    assert (again.status, again.updated) == (HarvestRun.Status.SUCCEEDED, 10)
    assert len(_search_ids(resource, "nouvelle")) == 10


def test_a_run_whose_worker_died_is_marked_interrupted(db, make_resource, tmp_path, ten):
    from datetime import timedelta

    from django.utils import timezone

    from boite.catalog.harvest.runner import INTERRUPTED, start_run
    from boite.catalog.tasks import interrupted_harvests_at_start

    resource = make_resource(source=_csv(tmp_path / "a.csv", ten))
    harvest(resource)
    before = list(Record.objects.order_by("pk").values())
    now = timezone.now()
    dead, alive = start_run(resource), start_run(resource)
    HarvestRun.objects.filter(pk=dead.pk).update(
        status=HarvestRun.Status.RUNNING, started_at=now - timedelta(hours=1),
        heartbeat_at=now - timedelta(minutes=20), read=4,
    )  # fmt: skip
    HarvestRun.objects.filter(pk=alive.pk).update(
        status=HarvestRun.Status.RUNNING, started_at=now - timedelta(hours=1), heartbeat_at=now
    )
    StagedRecord.objects.create(run=dead, provider_id="r1")
    interrupted_harvests_at_start()  # what a worker does when it starts
    dead.refresh_from_db()
    alive.refresh_from_db()
    assert dead.status == HarvestRun.Status.FAILED
    assert dead.error == str(INTERRUPTED)
    assert dead.finished_at is not None and dead.is_finished
    assert not StagedRecord.objects.filter(run=dead).exists()
    assert alive.status == HarvestRun.Status.RUNNING
    assert list(Record.objects.order_by("pk").values()) == before


@pytest.mark.django_db(transaction=True)
def test_a_running_harvest_gives_signs_of_life(make_resource, tmp_path, ten):
    """Beats go to the cache always, and to the row where the database lets another
    connection write while the run's transaction is open (not SQLite)."""
    import time
    from datetime import timedelta

    from django.db import connection
    from django.utils import timezone

    from boite.catalog.harvest.runner import start_run
    from boite.lib.heartbeat import Heartbeat, beats_since

    run = start_run(make_resource(source=_csv(tmp_path / "a.csv", ten)))
    old = timezone.now() - timedelta(minutes=5)
    HarvestRun.objects.filter(pk=run.pk).update(heartbeat_at=old)
    stamped = connection.vendor != "sqlite"
    with Heartbeat(HarvestRun.objects.filter(pk=run.pk), every=0.05, key="essai:beat"):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            run.refresh_from_db()
            if (run.heartbeat_at != old) == stamped and beats_since("essai:beat"):
                break
            time.sleep(0.05)
        assert beats_since("essai:beat")
    assert not beats_since("essai:beat")  # cleared when the job ends
    assert (run.heartbeat_at > old) if stamped else (run.heartbeat_at == old)


def test_a_run_that_beats_in_the_cache_is_not_taken_for_dead(db, make_resource, tmp_path, ten):
    """On SQLite the row's stamp goes stale while the run works: the cache's beat counts."""
    from datetime import timedelta

    from django.utils import timezone

    from boite.catalog.harvest.runner import _beat_key, mark_interrupted_runs, start_run
    from boite.lib.heartbeat import Heartbeat

    run = start_run(make_resource(source=_csv(tmp_path / "a.csv", ten)))
    long_ago = timezone.now() - timedelta(hours=1)
    HarvestRun.objects.filter(pk=run.pk).update(
        status=HarvestRun.Status.RUNNING, started_at=long_ago, heartbeat_at=long_ago
    )
    with Heartbeat(HarvestRun.objects.none(), every=3600, key=_beat_key(run.pk)):
        assert mark_interrupted_runs() == 0
        run.refresh_from_db()
        assert run.status == HarvestRun.Status.RUNNING
    assert mark_interrupted_runs() == 1  # its beats stopped with it
