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

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

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


def execute(run: HarvestRun, progress: Callable[[HarvestRun], None] | None = None) -> HarvestRun:
    """Run a queued harvest to its end; never raises for a bad source (the run says why)."""
    resource = run.resource
    run.status = HarvestRun.Status.RUNNING
    run.started_at = timezone.now()
    run.save(update_fields=["status", "started_at"])
    try:
        if not run.source or not run.format:
            raise SourceError(_("The resource has no harvest source or format."))
        fmt = get_format(run.format)
        _stage(run, fmt, progress)
        _apply(run)
    except SourceError as error:
        _fail(run, HarvestRun.Status.FAILED, _("Unreadable source: %(error)s") % {"error": error})
    except RefusedError as error:
        _fail(run, HarvestRun.Status.REFUSED, str(error))
    except Exception as error:
        logger.exception("harvest run %s failed", run.pk)
        _fail(run, HarvestRun.Status.FAILED, _("Unexpected error: %(error)s") % {"error": error})
    else:
        run.status = HarvestRun.Status.SUCCEEDED
        run.finished_at = timezone.now()
        run.save()
        Resource.objects.filter(pk=resource.pk).update(last_harvested_at=run.finished_at)
        from boite.catalog.search import get_backend

        get_backend().index_resource(resource)
    finally:
        StagedRecord.objects.filter(run=run).delete()
    if progress:
        progress(run)
    return run


def _fail(run: HarvestRun, status: str, message: str) -> None:
    run.status = status
    run.error = message
    run.finished_at = timezone.now()
    run.created = run.updated = run.unchanged = run.withdrawn = 0
    run.save()


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
    staged: list[StagedRecord] = []
    rejected: list[RejectedRecord] = []

    def flush() -> None:
        StagedRecord.objects.bulk_create(staged)
        RejectedRecord.objects.bulk_create(rejected)
        staged.clear()
        rejected.clear()
        run.save(update_fields=["read", "rejected", "total"])
        if progress:
            progress(run)

    for found in fmt.read(run.source, options):
        run.read += 1
        if isinstance(found, Item):
            staged.append(
                StagedRecord(run=run, provider_id=found.provider_id, data=found.as_data())
            )
        elif isinstance(found, Deletion):
            if found.provider_id:
                staged.append(StagedRecord(run=run, provider_id=found.provider_id, deleted=True))
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
    now = timezone.now()
    with transaction.atomic():
        batch: list[tuple[str, dict]] = []
        rows = staged.filter(deleted=False).order_by("pk").values_list("provider_id", "data")
        for row in rows.iterator(chunk_size=BATCH):
            batch.append(row)
            if len(batch) >= BATCH:
                _upsert(run, batch, now)
                batch = []
        if batch:
            _upsert(run, batch, now)
        run.withdrawn = vanished.update(withdrawn=True, withdrawn_at=now, updated_at=now)


def _upsert(run: HarvestRun, rows: list[tuple[str, dict]], now) -> None:
    from boite.catalog.harvest.base import Item as _Item

    resource = run.resource
    latest = dict(rows)  # the last occurrence of an identifier wins
    existing = {
        r.provider_id: r
        for r in Record.objects.filter(resource=resource, provider_id__in=list(latest))
    }
    creates, updates = [], []
    for provider_id, data in latest.items():
        fingerprint = _Item.fingerprint(data)
        values = {k: data.get(k) for k in _FIELDS}
        for key in ("available_from", "available_until"):
            values[key] = date.fromisoformat(values[key]) if values[key] else None
        if values["audience"] == Audience.ALL and resource.audience == Audience.YOUTH:
            values["audience"] = Audience.YOUTH  # a youth resource holds youth titles
        record = existing.get(provider_id)
        if record is None:
            creates.append(
                Record(
                    resource=resource,
                    provider_id=provider_id,
                    fingerprint=fingerprint,
                    created_at=now,
                    updated_at=now,
                    **values,
                )
            )
        elif record.fingerprint != fingerprint or record.withdrawn:
            for key, value in values.items():
                setattr(record, key, value)
            record.fingerprint = fingerprint
            record.withdrawn = False
            record.withdrawn_at = None
            record.updated_at = now
            updates.append(record)
        else:
            run.unchanged += 1
    Record.objects.bulk_create(creates, batch_size=BATCH)
    Record.objects.bulk_update(
        updates,
        [*_FIELDS, "fingerprint", "withdrawn", "withdrawn_at", "updated_at"],
        batch_size=500,
    )
    run.created += len(creates)
    run.updated += len(updates)


def harvest(resource: Resource, **kwargs) -> HarvestRun:
    """Start and execute a run at once (the command line and the tests)."""
    progress = kwargs.pop("progress", None)
    return execute(start_run(resource, **kwargs), progress)
