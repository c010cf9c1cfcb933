"""Running a harvest: read the source into a staging area, then apply it at once.

1. Reading: the format streams items; they are written to `StagedRecord` in batches,
   rejections to `RejectedRecord`, and the run's progress is saved as it goes (the
   status page and the terminal bar read it). The catalogue is not touched yet.
2. If the source failed, the staged rows are dropped: the catalogue is as it was.
3. A full harvest counts the records that disappeared; more than 30 % of the
   resource's catalogue is refused unless forced.
4. Applying: one transaction upserts by (resource, provider id) in batches, and
   withdraws what disappeared (full) or what the source deleted.
5. The search index of the resource is brought up to date in the same job.
"""

# SQL here is built from model table and column names only; every value is a parameter.
# ruff: noqa: S608

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from datetime import date, timedelta

from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import Max, Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from boite.catalog.harvest import get_format
from boite.catalog.harvest.base import Deletion, Item, Options, Rejection, SourceError
from boite.catalog.models import (
    Audience,
    HarvestRun,
    Record,
    RejectedRecord,
    Resource,
    StagedRecord,
)
from boite.lib.heartbeat import Heartbeat, stale_before

logger = logging.getLogger(__name__)

BATCH = 1000
WITHDRAW_LIMIT = 0.30
_FIELDS = [
    "title", "subtitle", "contributors", "description", "cover_url", "kind", "audience",
    "languages", "year", "duration_minutes", "subjects", "isbn", "identifiers", "deep_link",
    "available_from", "available_until", "source_payload",
]  # fmt: skip


class RefusedError(Exception):
    pass


def start_run(
    resource: Resource,
    *,
    source: str = "",
    format_name: str = "",
    mode: str = HarvestRun.Mode.FULL,
    force: bool = False,
    user=None,
) -> HarvestRun:
    return HarvestRun.objects.create(
        resource=resource,
        source=source or resource.harvest_source,
        format=format_name or resource.harvest_format,
        mode=mode,
        force=force,
        started_by=user,
    )


INTERRUPTED = gettext_lazy(
    "Interrupted: the worker stopped (killed, or its machine restarted) before the end of "
    "this harvest. Nothing of it was applied to the catalogue; start it again."
)


def execute(run: HarvestRun, progress: Callable[[HarvestRun], None] | None = None) -> HarvestRun:
    """Run a queued harvest to its end; never raises for a bad source (the run says why)."""
    resource = run.resource
    run.status = HarvestRun.Status.RUNNING
    run.started_at = run.heartbeat_at = timezone.now()
    run.save(update_fields=["status", "started_at", "heartbeat_at"])
    try:
        with Heartbeat(HarvestRun.objects.filter(pk=run.pk)):
            if not run.source or not run.format:
                raise SourceError(_("The resource has no harvest source or format."))
            fmt = get_format(run.format)
            _stage(run, fmt, progress)
            _apply(run)
    except SourceError as error:
        _fail(run, HarvestRun.Status.FAILED, _("Unreadable source: %(error)s") % {"error": error})
    except RefusedError as error:
        _fail(run, HarvestRun.Status.REFUSED, str(error))
    except (OperationalError, InterfaceError) as error:
        logger.warning("harvest run %s lost the database: %s", run.pk, error)
        _fail(
            run,
            HarvestRun.Status.FAILED,
            _(
                "The connection to the database was lost during the harvest (%(error)s): "
                "nothing was changed in the catalogue. Start it again."
            )
            % {"error": str(error).strip()[:200]},
        )
    except Exception as error:
        logger.exception("harvest run %s failed", run.pk)
        _fail(run, HarvestRun.Status.FAILED, _("Unexpected error: %(error)s") % {"error": error})
    else:
        run.status = HarvestRun.Status.SUCCEEDED
        run.finished_at = timezone.now()
        _despite_a_restart(run.save)
        _despite_a_restart(
            lambda: Resource.objects.filter(pk=resource.pk).update(
                last_harvested_at=run.finished_at
            )
        )
    finally:
        _despite_a_restart(lambda: StagedRecord.objects.filter(run=run).delete())
    if progress:
        progress(run)
    return run


def _despite_a_restart(write: Callable[[], object], patience: float = 60.0):
    """A write that must land even when the database restarts under the job: on a lost
    connection, a new one, tried again for up to `patience` seconds. Inside a transaction
    (load_demo's), nothing can be retried: the error goes up."""
    deadline = time.monotonic() + patience
    pause = 0.2
    while True:
        try:
            return write()
        except (OperationalError, InterfaceError):
            if connection.in_atomic_block or time.monotonic() > deadline:
                raise
            connection.close()
            time.sleep(pause)
            pause = min(pause * 2, 5.0)


def _fail(run: HarvestRun, status: str, message: str) -> None:
    run.status = status
    run.error = message
    run.finished_at = timezone.now()
    run.created = run.updated = run.unchanged = run.withdrawn = 0
    _despite_a_restart(run.save)


def mark_interrupted_runs(now=None) -> int:
    """Runs still « running » whose heartbeat stopped: their worker died with them. Each is
    marked failed « interrompu » and its staging rows dropped (the catalogue was never
    touched: it changes only in the run's last transaction)."""
    now = now or timezone.now()
    dead = HarvestRun.objects.filter(status=HarvestRun.Status.RUNNING).filter(
        Q(heartbeat_at__lt=stale_before(now))
        | Q(heartbeat_at__isnull=True, started_at__lt=stale_before(now))
    )
    ids = list(dead.values_list("pk", flat=True))
    if not ids:
        return 0
    with transaction.atomic():
        marked = HarvestRun.objects.filter(pk__in=ids, status=HarvestRun.Status.RUNNING).update(
            status=HarvestRun.Status.FAILED,
            error=str(INTERRUPTED),
            finished_at=now,
            created=0,
            updated=0,
            unchanged=0,
            withdrawn=0,
        )
        StagedRecord.objects.filter(run_id__in=ids).delete()
    for pk in ids:
        logger.warning("harvest run %s was interrupted (its worker stopped)", pk)
    return marked


def _incremental_since(run: HarvestRun) -> date | None:
    if run.mode != HarvestRun.Mode.INCREMENTAL:
        return None
    last = (
        HarvestRun.objects.filter(resource=run.resource, status=HarvestRun.Status.SUCCEEDED)
        .exclude(pk=run.pk)
        .order_by("-started_at")
        .first()
    )
    # A day of overlap: a record changed while the last run read the source is read again.
    return (last.started_at.date() - timedelta(days=1)) if last and last.started_at else None


def _stage(run: HarvestRun, fmt, progress) -> None:
    """Write what the source sends to the staging table, in batches of plain SQL rows.

    Each item is serialised once (JSON) and fingerprinted once here; applying the run
    later compares fingerprints in SQL and never builds a model instance per record."""
    resource = run.resource

    def on_total(total: int) -> None:
        run.total = total
        run.save(update_fields=["total"])

    options = Options(
        incremental_since=_incremental_since(run),
        options=resource.harvest_options or {},
        auth=(resource.harvest_auth, resource.harvest_username, resource.harvest_secret),
        on_total=on_total,
    )
    table = connection.ops.quote_name(StagedRecord._meta.db_table)
    sql = (
        f"INSERT INTO {table} (run_id, provider_id, deleted, data, fingerprint) "
        f"VALUES (%s, %s, %s, {_json_placeholder()}, %s)"
    )
    staged: list[tuple] = []
    rejected: list[RejectedRecord] = []
    dumps = json.dumps

    def flush() -> None:
        with transaction.atomic():  # one commit per batch, not one per row
            if staged:
                with connection.cursor() as cursor:
                    cursor.executemany(sql, staged)
            RejectedRecord.objects.bulk_create(rejected)
        staged.clear()
        rejected.clear()
        run.save(update_fields=["read", "rejected", "total"])
        if progress:
            progress(run)

    for found in fmt.read(run.source, options):
        run.read += 1
        if isinstance(found, Item):
            data = found.as_data()
            staged.append(
                (
                    run.pk,
                    found.provider_id,
                    False,
                    dumps(data, ensure_ascii=False),
                    Item.fingerprint(data),
                )
            )
        elif isinstance(found, Deletion):
            if found.provider_id:
                staged.append((run.pk, found.provider_id, True, "{}", ""))
        elif isinstance(found, Rejection):
            run.rejected += 1
            rejected.append(
                RejectedRecord(
                    run=run,
                    position=found.position,
                    provider_id=found.provider_id[:200],
                    reason=found.reason[:500],
                    excerpt=found.excerpt[:2000],
                )
            )
        if len(staged) + len(rejected) >= BATCH:
            flush()
    flush()


def _json_placeholder() -> str:
    return "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"


def _apply(run: HarvestRun) -> None:
    resource = run.resource
    staged = StagedRecord.objects.filter(run=run)
    active = Record.objects.filter(resource=resource, withdrawn=False)
    if run.mode == HarvestRun.Mode.FULL:
        kept = staged.filter(deleted=False).values("provider_id")
        vanished = active.exclude(provider_id__in=kept)
    else:
        vanished = active.filter(provider_id__in=staged.filter(deleted=True).values("provider_id"))
    catalogue = active.count()
    going = vanished.count()
    # Only a full harvest infers withdrawals from absence, and a truncated feed would
    # empty the catalogue: that is what the limit guards against. Deletions the
    # source states record by record are applied as they come.
    full = run.mode == HarvestRun.Mode.FULL
    if full and catalogue and going / catalogue > WITHDRAW_LIMIT and not run.force:
        raise RefusedError(
            _(
                "This harvest would withdraw %(going)d of the %(catalogue)d records of the "
                "resource (more than 30 %%): nothing was changed. Check the source, or "
                "force the harvest."
            )
            % {"going": going, "catalogue": catalogue}
        )
    from boite.catalog.search import get_backend

    now = timezone.now()
    # One index writer for the whole run: the documents are built from the staged data
    # as the rows are written, and committed once, after the database transaction.
    index = get_backend().batch(resource)
    try:
        with transaction.atomic():
            _keep_latest(run)
            for rows in _changed_rows(run):
                _upsert(run, rows, now, index)
            if going:
                for pk in vanished.values_list("pk", flat=True).iterator(chunk_size=BATCH):
                    index.delete(pk)
            run.withdrawn = vanished.update(withdrawn=True, withdrawn_at=now, updated_at=now)
            run.unchanged = _distinct_staged(run) - run.created - run.updated
    except BaseException:
        index.rollback()
        raise
    index.commit()


def _keep_latest(run: HarvestRun) -> None:
    """The last occurrence of an identifier in the source wins: drop the earlier ones
    (one statement for the whole run, so that each page below is a plain range)."""
    staged = connection.ops.quote_name(StagedRecord._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {staged} WHERE run_id = %s AND deleted = %s AND EXISTS ("
            f"SELECT 1 FROM {staged} s2 WHERE s2.run_id = {staged}.run_id "
            f"AND s2.provider_id = {staged}.provider_id AND s2.deleted = %s "
            f"AND s2.id > {staged}.id)",
            [run.pk, False, False],
        )


def _changed_rows(run: HarvestRun):
    """Pages of (staged id, provider id, data, fingerprint, record id or None) for the
    records that are new, changed (another fingerprint) or coming back after a
    withdrawal. Pages are ranges of staged ids: each costs the same, whatever the plan."""
    qn = connection.ops.quote_name
    staged = qn(StagedRecord._meta.db_table)
    records = qn(Record._meta.db_table)
    sql = (
        f"SELECT s.id, s.provider_id, s.data, s.fingerprint, r.id FROM {staged} s "
        f"LEFT JOIN {records} r ON r.resource_id = %s AND r.provider_id = s.provider_id "
        "WHERE s.run_id = %s AND s.deleted = %s AND s.id > %s AND s.id <= %s "
        "AND (r.id IS NULL OR r.fingerprint <> s.fingerprint OR r.withdrawn = %s) "
        "ORDER BY s.id"
    )
    bounds = StagedRecord.objects.filter(run=run).aggregate(low=Min("pk"), high=Max("pk"))
    if bounds["low"] is None:
        return
    last = bounds["low"] - 1
    while last < bounds["high"]:
        with connection.cursor() as cursor:
            cursor.execute(sql, [run.resource_id, run.pk, False, last, last + BATCH, True])
            rows = cursor.fetchall()
        last += BATCH
        if rows:
            yield rows


def _distinct_staged(run: HarvestRun) -> int:
    return (
        StagedRecord.objects.filter(run=run, deleted=False).values("provider_id").distinct().count()
    )


_COLUMNS = [*_FIELDS, "fingerprint", "withdrawn", "withdrawn_at", "updated_at"]
_JSON_FIELDS = {"contributors", "languages", "subjects", "identifiers"}


def _upsert_sql(count: int) -> str:
    qn = connection.ops.quote_name
    columns = ["resource_id", "provider_id", *_COLUMNS, "created_at"]
    json_placeholder = _json_placeholder()
    row = "(" + ", ".join(json_placeholder if c in _JSON_FIELDS else "%s" for c in columns) + ")"
    updates = ", ".join(f"{qn(c)} = excluded.{qn(c)}" for c in _COLUMNS)
    return (
        f"INSERT INTO {qn(Record._meta.db_table)} ({', '.join(qn(c) for c in columns)}) "
        f"VALUES {', '.join([row] * count)} "
        f"ON CONFLICT (resource_id, provider_id) DO UPDATE SET {updates} "
        "RETURNING id, provider_id"
    )


def _upsert(run: HarvestRun, rows: list[tuple], now, index) -> None:
    """Insert or update one page of changed records with one statement, and hand each
    to the index as a document built from the same data."""
    resource = run.resource
    ops = connection.ops
    stamp = ops.adapt_datetimefield_value(now)
    youth = resource.audience == Audience.YOUTH
    params: list = []
    documents: dict[str, tuple] = {}
    replaced: set[str] = set()
    dumps = json.dumps
    for _staged_id, provider_id, data, fingerprint, record_id in rows:
        if isinstance(data, str | bytes):
            data = json.loads(data)
        if data.get("audience") == Audience.ALL and youth:
            data["audience"] = Audience.YOUTH  # a youth resource holds youth titles
        params += [resource.pk, provider_id]
        for key in _FIELDS:
            value = data.get(key)
            if key in _JSON_FIELDS:
                value = dumps(
                    value if value is not None else ([] if key != "identifiers" else {}),
                    ensure_ascii=False,
                )
            elif key in ("available_from", "available_until"):
                value = ops.adapt_datefield_value(date.fromisoformat(value)) if value else None
            elif value is None and key not in ("year", "duration_minutes"):
                value = ""
            params.append(value)
        params += [fingerprint, False, None, stamp, stamp]
        documents[provider_id] = data
        if record_id is None:
            run.created += 1
        else:
            run.updated += 1
            replaced.add(provider_id)
    with connection.cursor() as cursor:
        cursor.execute(_upsert_sql(len(rows)), params)
        returned = cursor.fetchall()
    for record_id, provider_id in returned:
        index.add(record_id, documents[provider_id], replace=provider_id in replaced)


def harvest(resource: Resource, **kwargs) -> HarvestRun:
    """Start and execute a run at once (the command line and the tests)."""
    progress = kwargs.pop("progress", None)
    return execute(start_run(resource, **kwargs), progress)
