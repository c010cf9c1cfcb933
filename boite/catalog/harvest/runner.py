"""Running a harvest: read the source in a second process, write as it comes, in one
transaction that is committed only when the whole source has been read.

1. A child process reads the source with its format and prepares each item (see
   reader.py); this process receives batches of a thousand.
2. Each batch is written at once, inside one database transaction for the whole run:
   the identifiers already in the catalogue are looked up in one query, the new and
   changed records are upserted by (resource, provider id) in one statement and handed
   to the search index, rejections are recorded, and the identifiers seen are noted
   (`StagedRecord`) for the withdrawals of a full harvest.
3. At the end of the source, a full harvest counts the records that disappeared; more
   than 30 % of the resource's catalogue is refused unless forced.
4. If the source failed, or the run was refused, the transaction is rolled back and the
   index writer too: the catalogue and the index are exactly as they were. Otherwise
   the database commits, then the index.

Progress cannot be read from the run's row while the transaction is open, so it is
published in the cache as it goes (`live_progress`), for the back office's status page.
"""

# SQL here is built from model table and column names only; every value is a parameter.
# ruff: noqa: S608

from __future__ import annotations

import itertools
import logging
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

from django.core.cache import cache
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from boite.catalog.harvest import get_format
from boite.catalog.harvest.base import Deletion, Notice, Options, Rejection, SourceError
from boite.catalog.harvest.reader import COLUMNS, JSON_COLUMNS, Prepared, Reader
from boite.catalog.harvest.sources import is_url, resolve_drop_file, unsupported_address_message
from boite.catalog.models import (
    Audience,
    HarvestRun,
    Record,
    RejectedRecord,
    Resource,
    StagedRecord,
)
from boite.lib.heartbeat import Heartbeat, beats_since, stale_before

logger = logging.getLogger(__name__)

BATCH = 1000
WITHDRAW_LIMIT = 0.30
# A run that rejects every record, or more than this share of them, fails: a source read
# in the wrong format or character set is not « succeeded » with nothing in it.
REJECT_LIMIT = 0.50
DUPLICATE_IDS_KEPT = 20


class RefusedError(Exception):
    pass


class MostlyRejectedError(Exception):
    pass


def start_run(
    resource: Resource,
    *,
    source: str = "",
    drop_file: str = "",
    format_name: str = "",
    mode: str = HarvestRun.Mode.FULL,
    force: bool = False,
    user=None,
) -> HarvestRun:
    """Queue a run of the resource's source as it is now (address, uploaded file or drop-
    directory name), or of the `source` / `drop_file` given instead. A `source` that is
    not an http(s) address is the operator's own file: only `execute(run, local_path=…)`
    in the same process reads it (`harvest()`, `manage.py harvest`); a queued run never
    reads a path from the database."""
    if source or drop_file:
        address, upload, dropped = source, "", drop_file
    else:
        address = resource.harvest_source
        upload = resource.harvest_file.name if resource.harvest_file else ""
        dropped = resource.harvest_drop_file
    return HarvestRun.objects.create(
        resource=resource,
        source=address,
        source_file=upload,
        drop_file=dropped,
        format=format_name or resource.harvest_format,
        mode=mode,
        force=force,
        started_by=user,
    )


@contextmanager
def _source_of(run: HarvestRun, local_path: Path | str | None) -> Iterator[str]:
    """What the run's format reads: an http(s) address, or a local path resolved here —
    the uploaded file in private storage, a file resolved inside the drop directory now,
    or the operator's file handed to `execute()`. Anything else is refused."""
    if local_path is not None:
        yield str(local_path)
    elif run.source_file:
        storage = run.source_file.storage
        try:
            path = Path(storage.path(run.source_file.name))
        except NotImplementedError:  # a storage without local files: spooled to one
            with tempfile.NamedTemporaryFile(suffix=Path(run.source_file.name).suffix) as copy:
                with run.source_file.open("rb") as stored:
                    shutil.copyfileobj(stored, copy)
                copy.flush()
                yield copy.name
            return
        if not path.is_file():
            raise SourceError(_("the uploaded file of this run is missing"))
        yield str(path)
    elif run.drop_file:
        yield str(resolve_drop_file(run.drop_file))
    elif is_url(run.source):
        yield run.source
    elif run.source:
        raise SourceError(unsupported_address_message())
    else:
        raise SourceError(_("The resource has no harvest source or format."))


INTERRUPTED = gettext_lazy(
    "Interrupted: the worker stopped (killed, or its machine restarted) before the end of "
    "this harvest. Nothing of it was applied to the catalogue; start it again."
)


def execute(
    run: HarvestRun,
    progress: Callable[[HarvestRun], None] | None = None,
    *,
    local_path: Path | str | None = None,
) -> HarvestRun:
    """Run a queued harvest to its end; never raises for a bad source (the run says why).
    `local_path` is a file the server's operator names (command line, demo, tests)."""
    run.status = HarvestRun.Status.RUNNING
    run.started_at = run.heartbeat_at = timezone.now()
    run.save(update_fields=["status", "started_at", "heartbeat_at"])
    try:
        with Heartbeat(HarvestRun.objects.filter(pk=run.pk), key=_beat_key(run.pk)):
            if not run.format:
                raise SourceError(_("The resource has no harvest source or format."))
            get_format(run.format)  # an unknown format is a SourceError before anything starts
            with _source_of(run, local_path) as source:
                _harvest(run, source, progress)
    except SourceError as error:
        _fail(run, HarvestRun.Status.FAILED, _("Unreadable source: %(error)s") % {"error": error})
    except RefusedError as error:
        _fail(run, HarvestRun.Status.REFUSED, str(error))
    except MostlyRejectedError as error:
        _fail(run, HarvestRun.Status.FAILED, str(error))
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
    finally:
        _despite_a_restart(lambda: StagedRecord.objects.filter(run=run).delete())
        _forget_progress(run.pk)
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
    # On SQLite a run's own transaction holds the write lock: its beats go to the cache.
    ids = [pk for pk in dead.values_list("pk", flat=True) if not beats_since(_beat_key(pk), now)]
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


# -- live progress ------------------------------------------------------------------------

_PROGRESS = (
    "read", "total", "rejected", "created", "updated", "unchanged", "withdrawn", "duplicates",
)  # fmt: skip


def _progress_key(run_id: int) -> str:
    return f"catalog:harvest-progress:{run_id}"


def _beat_key(run_id: int) -> str:
    return f"catalog:harvest-beat:{run_id}"


def _publish(run: HarvestRun) -> None:
    try:
        cache.set(_progress_key(run.pk), {k: getattr(run, k) for k in _PROGRESS}, 24 * 3600)
    except Exception as error:  # the cache down hides the progress, never stops the run
        logger.warning("harvest run %s: progress not published: %s", run.pk, error)


def _forget_progress(run_id: int) -> None:
    try:
        cache.delete(_progress_key(run_id))
    except Exception as error:
        logger.warning("harvest run %s: progress not cleared: %s", run_id, error)


def live_progress(run: HarvestRun) -> HarvestRun:
    """The run with the counts its worker has published, while it is running."""
    if run.status == HarvestRun.Status.RUNNING:
        for key, value in (cache.get(_progress_key(run.pk)) or {}).items():
            setattr(run, key, value)
    return run


# -- the run ----------------------------------------------------------------------------


def _harvest(run: HarvestRun, source: str, progress) -> None:
    from boite.catalog.search import get_backend

    resource = run.resource

    def on_total(total: int) -> None:
        run.total = total

    options = Options(
        incremental_since=_incremental_since(run),
        options=resource.harvest_options or {},
        auth=(resource.harvest_auth, resource.harvest_username, resource.harvest_secret),
        on_total=on_total,
    )
    reader = Reader(run.format, source, options, youth=resource.audience == Audience.YOUTH)
    writer = _Writer(run)
    full = run.mode == HarvestRun.Mode.FULL
    active = Record.objects.filter(resource=resource, withdrawn=False)
    published = 0.0
    # The reading process starts before the transaction and the index writer: it is
    # forked from a process that holds neither.
    batches = iter(reader)
    first = next(batches, None)
    index = get_backend().batch(resource)
    try:
        with transaction.atomic():
            catalogue = active.count()
            for batch in itertools.chain([first] if first is not None else [], batches):
                writer.write(batch, index)
                if time.monotonic() - published > 1.0:
                    _publish(run)
                    published = time.monotonic()
                if progress:
                    progress(run)
            if full:
                seen = StagedRecord.objects.filter(run=run, provider_id=OuterRef("provider_id"))
                vanished = active.filter(~Exists(seen))
                going = vanished.count()
                # Only a full harvest infers withdrawals from absence, and a truncated feed
                # would empty the catalogue: that is what the limit guards against.
                # Deletions the source states record by record are applied as they come.
                if catalogue and going / catalogue > WITHDRAW_LIMIT and not run.force:
                    raise RefusedError(
                        _(
                            "This harvest would withdraw %(going)d of the %(catalogue)d "
                            "records of the resource (more than 30 %%): nothing was changed. "
                            "Check the source, or force the harvest."
                        )
                        % {"going": going, "catalogue": catalogue}
                    )
                if going:
                    ids = list(vanished.values_list("pk", flat=True).iterator(chunk_size=BATCH))
                    for start in range(0, len(ids), BATCH):
                        chunk = ids[start : start + BATCH]
                        run.withdrawn += Record.objects.filter(pk__in=chunk).update(
                            withdrawn=True, withdrawn_at=writer.now, updated_at=writer.now
                        )
                        for pk in chunk:
                            index.delete(pk)
            _refuse_if_mostly_rejected(run, writer)
            run.details = writer.details()
            # The run says « succeeded » in the very transaction that changes the
            # catalogue: a worker killed right after the commit leaves no run « running »
            # over a catalogue it did change.
            run.status = HarvestRun.Status.SUCCEEDED
            run.finished_at = timezone.now()
            run.save()
            Resource.objects.filter(pk=resource.pk).update(last_harvested_at=run.finished_at)
    except BaseException:
        index.rollback()
        raise
    run.reader = reader  # for the benchmark: the reading process's memory and time
    try:
        index.commit()
    except Exception:
        # The catalogue is committed; the index is derived from it. This replica catches
        # up at its next refresh (`reindex --changed`, every ten minutes in the worker).
        logger.exception("harvest run %s: the index could not be committed", run.pk)


def _refuse_if_mostly_rejected(run: HarvestRun, writer: _Writer) -> None:
    if not run.read or run.force:
        return
    if run.rejected < run.read and run.rejected <= REJECT_LIMIT * run.read:
        return
    reasons = "; ".join(
        _("record %(position)d: %(reason)s") % {"position": p, "reason": r}
        for p, r in writer.first_reasons
    )
    if run.rejected == run.read:
        message = _(
            "Every record of the source was rejected (%(rejected)d of %(read)d): nothing "
            "was changed. First reasons: %(reasons)s"
        )
    else:
        message = _(
            "%(rejected)d of the %(read)d records of the source were rejected (more than "
            "half): nothing was changed. Check the source, or force the harvest. First "
            "reasons: %(reasons)s"
        )
    raise MostlyRejectedError(
        message % {"rejected": run.rejected, "read": run.read, "reasons": reasons}
    )


class _Writer:
    """Writes the batches of one run, in the run's transaction."""

    def __init__(self, run: HarvestRun) -> None:
        self.run = run
        self.resource_id = run.resource_id
        self.incremental = run.mode == HarvestRun.Mode.INCREMENTAL
        self.now = timezone.now()
        self.stamp = connection.ops.adapt_datetimefield_value(self.now)
        qn = connection.ops.quote_name
        self.records = qn(Record._meta.db_table)
        self.staged = qn(StagedRecord._meta.db_table)
        self.copy = connection.vendor == "postgresql"
        self.batch_table_ready = False
        self.written = self.analyzed = 0
        self.warnings: dict[str, int] = {}
        self.duplicate_ids: list[str] = []
        self.first_reasons: list[tuple[int, str]] = []

    def details(self) -> dict:
        return {"warnings": self.warnings, "duplicate_ids": self.duplicate_ids}

    def _duplicate(self, provider_id: str) -> None:
        self.run.duplicates += 1
        if len(self.duplicate_ids) < DUPLICATE_IDS_KEPT:
            self.duplicate_ids.append(provider_id)

    def write(self, batch: list, index) -> None:
        run = self.run
        # The last occurrence of an identifier wins, within the batch and across them;
        # each earlier one is counted as a duplicate merged, with its identifier.
        latest: dict[str, Prepared | Deletion] = {}  # Prepared: see reader.py
        rejected = []
        for found in batch:
            if type(found) is Notice:
                for kind in found.kinds:
                    self.warnings[kind] = self.warnings.get(kind, 0) + 1
                continue
            run.read += 1
            if isinstance(found, Rejection):
                run.rejected += 1
                if len(self.first_reasons) < 3:
                    self.first_reasons.append((found.position, found.reason))
                rejected.append(
                    RejectedRecord(
                        run=run,
                        position=found.position,
                        provider_id=found.provider_id[:200],
                        reason=found.reason[:500],
                        excerpt=found.excerpt[:2000],
                    )
                )
            else:
                provider_id = found[0] if type(found) is tuple else found.provider_id
                if provider_id:
                    earlier = latest.pop(provider_id, None)
                    if type(earlier) is tuple and type(found) is tuple:
                        self._duplicate(provider_id)
                    latest[provider_id] = found
        if rejected:
            RejectedRecord.objects.bulk_create(rejected)
        items = [x for x in latest.values() if type(x) is tuple]
        deleted = [x.provider_id for x in latest.values() if isinstance(x, Deletion)]
        if items:
            self._upsert(items, index)
        if deleted and self.incremental:
            self._withdraw(deleted, index)

    def _keep_statistics(self, written: int) -> None:
        """PostgreSQL has no statistics on the rows this very transaction writes (for a
        new resource, none at all): the planner took the resource's records for a few
        hundred and walked all of them at each page, by the (resource, withdrawn) index,
        instead of looking each identifier up in the unique index — a run slowed down as
        it went (10 000 records/s at 50 000, 4 500 at 200 000). ANALYZE counts the rows
        of its own transaction: it is run each time the run has doubled what it wrote."""
        self.written += written
        if self.copy and self.written >= max(5000, 2 * self.analyzed):
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {self.records}, {self.staged}")
            self.analyzed = self.written

    def _upsert(self, items: list[Prepared], index) -> None:
        run = self.run
        self._keep_statistics(len(items))
        ids = [item[0] for item in items]
        marks = ", ".join(["%s"] * len(ids))
        with connection.cursor() as cursor:
            if self.copy:
                # PostgreSQL: one index lookup per identifier (see `_keep_statistics`).
                cursor.execute(
                    "SELECT w.provider_id, r.id, r.fingerprint, r.withdrawn "
                    "FROM unnest(%s::varchar[]) AS w(provider_id) CROSS JOIN LATERAL ("
                    f"SELECT id, fingerprint, withdrawn FROM {self.records} "
                    "WHERE resource_id = %s AND provider_id = w.provider_id) AS r",
                    [ids, self.resource_id],
                )
                known = {row[0]: row[1:] for row in cursor.fetchall()}
                cursor.execute(
                    "SELECT w.provider_id FROM unnest(%s::varchar[]) AS w(provider_id) "
                    f"WHERE EXISTS (SELECT 1 FROM {self.staged} s WHERE s.run_id = %s "
                    "AND s.provider_id = w.provider_id)",
                    [ids, run.pk],
                )
            else:
                cursor.execute(
                    f"SELECT provider_id, id, fingerprint, withdrawn FROM {self.records} "
                    f"WHERE resource_id = %s AND provider_id IN ({marks})",
                    [self.resource_id, *ids],
                )
                known = {row[0]: row[1:] for row in cursor.fetchall()}
                cursor.execute(
                    f"SELECT provider_id FROM {self.staged} WHERE run_id = %s "
                    f"AND provider_id IN ({marks})",
                    [run.pk, *ids],
                )
            again = {row[0] for row in cursor.fetchall()}  # read earlier in this run
            first_seen = [(run.pk, pid) for pid in ids if pid not in again]
            if self.copy:
                with cursor.cursor.copy(
                    f"COPY {self.staged} (run_id, provider_id) FROM STDIN"
                ) as copy:
                    for row in first_seen:
                        copy.write_row(row)
            else:
                cursor.executemany(
                    f"INSERT INTO {self.staged} (run_id, provider_id) VALUES (%s, %s)",
                    first_seen,
                )
        changed = []
        for item in items:
            found = known.get(item[0])
            counted = item[0] not in again
            if not counted:
                self._duplicate(item[0])
            if found is None:
                run.created += counted
            elif found[1] != item[1] or found[2]:
                run.updated += counted
            else:
                run.unchanged += counted
                continue
            changed.append(item)
        if not changed:
            return
        returned = self._copy_upsert(changed) if self.copy else self._values_upsert(changed)
        documents = {item[0]: item[4] for item in changed}
        for record_id, provider_id in returned:
            index.add(record_id, documents[provider_id], replace=provider_id in known)

    def _values_upsert(self, changed: list[Prepared]) -> list[tuple]:
        """SQLite: one INSERT … VALUES (…), (…) … ON CONFLICT DO UPDATE for the page."""
        params: list = []
        stamp = self.stamp
        for provider_id, fingerprint, values, payload, _document in changed:
            params += [self.resource_id, provider_id, *values, payload,
                       fingerprint, False, None, stamp, stamp]  # fmt: skip
        with connection.cursor() as cursor:
            cursor.execute(_upsert_sql(len(changed)), params)
            return cursor.fetchall()

    def _copy_upsert(self, changed: list[Prepared]) -> list[tuple]:
        """PostgreSQL: the page is COPYed into a temporary table, then upserted from it
        with one INSERT … SELECT. Binding 25 000 parameters to one statement cost the
        writing process more than all the rest of its work (psycopg binds on the client)."""
        with connection.cursor() as cursor:
            if not self.batch_table_ready:
                cursor.execute(_BATCH_TABLE)
                self.batch_table_ready = True
            # TRUNCATE, not DELETE: deleted rows stay until a vacuum, which cannot run
            # inside the run's transaction, and each page would scan all earlier ones.
            cursor.execute(f"TRUNCATE {_BATCH}")
            with cursor.cursor.copy(
                f"COPY {_BATCH} ({', '.join(_BATCH_COLUMNS)}) FROM STDIN"
            ) as copy:
                for provider_id, fingerprint, values, payload, _document in changed:
                    copy.write_row((self.resource_id, provider_id, *values, payload, fingerprint))
            cursor.execute(_copy_upsert_sql(), [self.now, self.now])
            return cursor.fetchall()

    def _withdraw(self, deleted: list[str], index) -> None:
        going = Record.objects.filter(
            resource_id=self.resource_id, provider_id__in=deleted, withdrawn=False
        )
        ids = list(going.values_list("pk", flat=True))
        self.run.withdrawn += Record.objects.filter(pk__in=ids).update(
            withdrawn=True, withdrawn_at=self.now, updated_at=self.now
        )
        for pk in ids:
            index.delete(pk)


_COLUMNS = [*COLUMNS, "source_payload", "fingerprint", "withdrawn", "withdrawn_at", "updated_at"]


# PostgreSQL's page table: created once per run's transaction, dropped at its end.
_BATCH = "boite_harvest_page"
_BATCH_COLUMNS = ["resource_id", "provider_id", *COLUMNS, "source_payload", "fingerprint"]
_BATCH_TYPES = {"resource_id": "bigint", "year": "integer", "duration_minutes": "integer",
                "available_from": "date", "available_until": "date"}  # fmt: skip
_BATCH_TABLE = (
    f"CREATE TEMPORARY TABLE IF NOT EXISTS {_BATCH} ("
    + ", ".join(f"{c} {_BATCH_TYPES.get(c, 'text')}" for c in _BATCH_COLUMNS)
    + ") ON COMMIT DROP"
)


@lru_cache(maxsize=1)
def _copy_upsert_sql() -> str:
    qn = connection.ops.quote_name
    selected = [f"{c}::jsonb" if c in JSON_COLUMNS else c for c in _BATCH_COLUMNS]
    updates = ", ".join(f"{qn(c)} = excluded.{qn(c)}" for c in _COLUMNS)
    columns = [*_BATCH_COLUMNS, "withdrawn", "withdrawn_at", "updated_at", "created_at"]
    return (
        f"INSERT INTO {qn(Record._meta.db_table)} ({', '.join(qn(c) for c in columns)}) "
        f"SELECT {', '.join(selected)}, false, NULL, %s, %s FROM {_BATCH} "
        f"ON CONFLICT (resource_id, provider_id) DO UPDATE SET {updates} "
        "RETURNING id, provider_id"
    )


@lru_cache(maxsize=8)
def _upsert_sql(count: int) -> str:
    """SQLite takes JSON columns as text: every value is a plain parameter."""
    qn = connection.ops.quote_name
    columns = ["resource_id", "provider_id", *_COLUMNS, "created_at"]
    row = "(" + ", ".join(["%s"] * len(columns)) + ")"
    updates = ", ".join(f"{qn(c)} = excluded.{qn(c)}" for c in _COLUMNS)
    return (
        f"INSERT INTO {qn(Record._meta.db_table)} ({', '.join(qn(c) for c in columns)}) "
        f"VALUES {', '.join([row] * count)} "
        f"ON CONFLICT (resource_id, provider_id) DO UPDATE SET {updates} "
        "RETURNING id, provider_id"
    )


def harvest(resource: Resource, **kwargs) -> HarvestRun:
    """Start and execute a run at once (the command line, the demo and the tests); a
    `source` that is not an address is the caller's own local file."""
    progress = kwargs.pop("progress", None)
    source = str(kwargs.get("source") or "")
    local = source if source and not is_url(source) else None
    return execute(start_run(resource, **kwargs), progress, local_path=local)
