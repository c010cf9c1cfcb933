"""Keeping licences true to the distributor: offer files in, counters refreshed, expiry.

Every step is recorded as a SyncRun. An offer file is applied in one transaction: a file
that cannot be read changes nothing and leaves a failed run with the reason. Counters are
refreshed in chunks of CHUNK licences, each written in its own short transaction so that
loans are never blocked for long; when the distributor fails half-way, the licences
already refreshed keep their new (true) numbers, the others their previous ones, and the
run says what failed.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from itertools import islice
from pathlib import Path

import httpx
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from boite.lending.distributors import distributor_class
from boite.lending.distributors.base import (
    DistributorError,
    DistributorNonsense,
    DistributorTimeout,
    DistributorUnavailable,
    LoanAnswer,
)
from boite.lending.models import DistributorAccount, Licence, SyncRun
from boite.lending.offers import READERS, Offer, OfferFileError, OfferProblem
from boite.lib.dropdir import OutsideDirectory, resolve_inside

log = logging.getLogger(__name__)

CHUNK = 1000
_OFFER_BATCH = 500
_TERM_FIELDS = [
    "ean",
    "title",
    "format",
    "loans_total",
    "loans_left",
    "concurrent_max",
    "concurrent_in_use",
    "loan_max_days",
    "valid_from",
    "valid_until",
    "price",
    "info_url",
    "checkout_url",
    "state",
]
_COUNTER_FIELDS = [
    "loans_total",
    "loans_left",
    "concurrent_max",
    "concurrent_in_use",
    "valid_until",
    "loan_max_days",
    "state",
    "synced_at",
]

Progress = Callable[[int], None]


# -- offers ----------------------------------------------------------------------------------


def import_offers(account: DistributorAccount, source, *, full: bool, name: str = "") -> SyncRun:
    """Apply one offer file (path or binary file object) of the account's format."""
    run = SyncRun.objects.create(
        account=account,
        kind=SyncRun.Kind.OFFERS_FULL if full else SyncRun.Kind.OFFERS_DELTA,
        source=(name or str(source))[:500],
    )
    try:
        with transaction.atomic():
            _apply_offers(account, READERS[account.kind](source), full=full, run=run)
    except (OfferFileError, OSError) as error:
        run.seen = run.created = run.updated = run.ended = 0
        run.problem(run.source, _("The file cannot be read: %(reason)s") % {"reason": error})
        return run.finish(failed=True)
    return run.finish()


def harvest_feed(account: DistributorAccount, now: datetime | None = None) -> SyncRun:
    """The account's offers feed, read at its address over every `next` page, applied as a
    full offer file (a licence no longer listed is withdrawn); then licences past their
    end are expired. Every page is read before anything is written: a page that fails
    changes nothing and leaves a failed run with the reason."""
    from boite.lending.offers import odl_feed

    now = now or timezone.now()
    run = SyncRun.objects.create(
        account=account, kind=SyncRun.Kind.FEED, source=account.base_url.split("?")[0][:500]
    )
    try:
        with account.connect() as adapter:
            pages = list(odl_feed.read_pages(adapter.client, account.base_url))
        with transaction.atomic():
            _apply_offers(account, odl_feed.read_offers(pages), full=True, run=run)
    except (OfferFileError, httpx.HTTPError) as error:
        reason = str(error) or type(error).__name__
        run.seen = run.created = run.updated = run.ended = 0
        run.problem(run.source, _("The feed cannot be read: %(reason)s") % {"reason": reason})
        return run.finish(failed=True)
    run.ended += expire_licences(account, now)
    return run.finish()


def feed_is_due(account: DistributorAccount, now: datetime | None = None) -> bool:
    """Harvest when no run has read the feed within LENDING_FEED_HOURS; after a failure,
    wait an hour before the next try."""
    if not distributor_class(account.kind).harvests_feed:
        return False
    now = now or timezone.now()
    runs = account.sync_runs.filter(kind=SyncRun.Kind.FEED)
    if runs.filter(started_at__gt=now - timedelta(hours=1)).exists():
        return False
    recent = now - timedelta(hours=settings.LENDING_FEED_HOURS)
    return not runs.filter(started_at__gt=recent).exclude(outcome=SyncRun.Outcome.FAILED).exists()


def _apply_offers(
    account: DistributorAccount,
    items: Iterable[Offer | OfferProblem],
    *,
    full: bool,
    run: SyncRun,
) -> None:
    seen: set[str] = set()
    network_ids = list(account.networks.values_list("pk", flat=True))
    batch: list[Offer] = []
    for item in items:
        if isinstance(item, OfferProblem):
            run.problem(item.where, item.message)
            continue
        if item.key in seen:
            run.problem(item.key, _("This licence appears twice in the file; kept the first."))
            continue
        seen.add(item.key)
        run.seen += 1
        batch.append(item)
        if len(batch) >= _OFFER_BATCH:
            _apply_batch(account, batch, network_ids, run)
            batch = []
    _apply_batch(account, batch, network_ids, run)
    if full:
        if not seen:
            raise OfferFileError(_("a full offer file without any offer: nothing was changed"))
        _withdraw_missing(account, seen, run)


def _apply_batch(
    account: DistributorAccount, batch: list[Offer], network_ids: list[int], run: SyncRun
) -> None:
    if not batch:
        return
    existing = {
        licence.distributor_key: licence
        for licence in Licence.objects.filter(
            account=account, distributor_key__in=[offer.key for offer in batch]
        )
    }
    new: list[Licence] = []
    changed: list[Licence] = []
    for offer in batch:
        licence = existing.get(offer.key)
        if offer.withdrawn:
            if licence is None:
                run.problem(offer.key, _("Withdrawal of a licence the portal does not have."))
            elif licence.state != Licence.State.WITHDRAWN:
                licence.state = Licence.State.WITHDRAWN
                changed.append(licence)
                run.ended += 1
            continue
        if licence is None:
            licence = Licence(account=account, distributor_key=offer.key)
            _take_terms(licence, offer)
            new.append(licence)
        elif _take_terms(licence, offer):
            changed.append(licence)
            run.updated += 1
    Licence.objects.bulk_create(new)
    through = Licence.networks.through
    through.objects.bulk_create(
        [through(licence_id=licence.pk, network_id=n) for licence in new for n in network_ids]
    )
    Licence.objects.bulk_update(changed, _TERM_FIELDS)
    run.created += len(new)
    link_records([lic for lic in new + changed if lic.state != Licence.State.WITHDRAWN], run)


def _isbn10(ean: str) -> str:
    """The ISBN-10 form of a 978 EAN (older catalogue records carry it)."""
    if len(ean) != 13 or not ean.startswith("978"):
        return ""
    core = ean[3:12]
    check = sum((10 - i) * int(d) for i, d in enumerate(core)) % 11
    return core + ("X" if (11 - check) % 11 == 10 else str((11 - check) % 11))


def link_records(licences: list[Licence], run: SyncRun | None = None) -> int:
    """Attach each licence to the catalogue record with its EAN (the record's ISBN / EAN, or
    an `ean` / `isbn` identifier, ISBN-10 accepted). A licence whose EAN the catalogue does
    not know is recorded as a problem for the librarians and keeps no record: it cannot be
    borrowed until a harvest brings the title. Returns how many were linked."""
    from boite.catalog.models import Record

    if not licences:
        return 0
    wanted: dict[str, str] = {}
    for licence in licences:
        wanted[licence.ean] = licence.ean
        if short := _isbn10(licence.ean):
            wanted[short] = licence.ean
    found: dict[str, int] = {}
    records = (
        Record.objects.filter(withdrawn=False)
        .filter(
            Q(isbn__in=list(wanted))
            | Q(identifiers__ean__in=list(wanted))
            | Q(identifiers__isbn__in=list(wanted))
        )
        .order_by("pk")
        .values_list("pk", "isbn", "identifiers")
    )
    for pk, isbn, identifiers in records:
        identifiers = identifiers if isinstance(identifiers, dict) else {}
        for value in (isbn, identifiers.get("ean"), identifiers.get("isbn")):
            if isinstance(value, str) and value in wanted:
                found.setdefault(wanted[value], pk)
    changed, linked = [], 0
    for licence in licences:
        record_id = found.get(licence.ean)
        if record_id is None:
            if run is not None:
                run.problem(
                    licence.ean,
                    _("No catalogue record has this EAN: the licence cannot be borrowed yet."),
                )
            continue
        linked += 1
        if licence.record_id != record_id:
            licence.record_id = record_id
            changed.append(licence)
    Licence.objects.bulk_update(changed, ["record"])
    return linked


def link_unmatched(account: DistributorAccount) -> int:
    """Licences a later harvest can now match (run at each sync, without problems)."""
    pending = list(
        account.licences.filter(record__isnull=True).exclude(state=Licence.State.WITHDRAWN)
    )
    return link_records(pending)


def _take_terms(licence: Licence, offer: Offer) -> bool:
    before = [getattr(licence, name) for name in _TERM_FIELDS]
    is_new = licence.pk is None
    licence.ean = offer.ean
    licence.title = offer.title[:500]
    licence.format = Licence.Format.AUDIOBOOK if offer.audiobook else Licence.Format.EBOOK
    licence.loans_total = offer.loans_total
    if is_new or licence.loans_left is None:
        licence.loans_left = offer.loans_total
    elif offer.loans_total is not None:
        licence.loans_left = min(licence.loans_left, offer.loans_total)
    licence.concurrent_max = offer.concurrent_max
    licence.concurrent_in_use = min(licence.concurrent_in_use, offer.concurrent_max)
    if offer.loan_max_days:
        licence.loan_max_days = offer.loan_max_days
    licence.valid_from = offer.valid_from
    licence.valid_until = offer.valid_until
    licence.price = offer.price
    licence.info_url = offer.info_url
    licence.checkout_url = offer.checkout_url
    if licence.state == Licence.State.WITHDRAWN:
        licence.state = Licence.State.ACTIVE  # offered again
    return [getattr(licence, name) for name in _TERM_FIELDS] != before


def _withdraw_missing(account: DistributorAccount, seen: set[str], run: SyncRun) -> None:
    """A full file lists every licence: the account's others are no longer sold."""
    missing = [
        pk
        for pk, key in account.licences.exclude(state=Licence.State.WITHDRAWN).values_list(
            "pk", "distributor_key"
        )
        if key not in seen
    ]
    for chunk in _chunks(missing, CHUNK):
        run.ended += Licence.objects.filter(pk__in=chunk).update(state=Licence.State.WITHDRAWN)


def apply_inbox(account: DistributorAccount) -> list[SyncRun]:
    """Offer files dropped in LENDING_OFFERS_INBOX/<account id>/, in name order; a name
    containing « full » is a full file, any other a delta. Read files move to done/ or
    failed/ so that each is applied once."""
    folder = Path(settings.LENDING_OFFERS_INBOX) / str(account.pk)
    if not folder.is_dir():
        return []
    runs = []
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        try:
            # A link dropped in the inbox is read only if it stays inside it.
            real = resolve_inside(folder, path.name)
        except OutsideDirectory:
            run = SyncRun.objects.create(
                account=account, kind=SyncRun.Kind.OFFERS_DELTA, source=path.name[:500]
            )
            run.problem(path.name, _("file outside the drop directory"))
            run.finish(failed=True)
        else:
            run = import_offers(
                account, str(real), full="full" in path.name.lower(), name=path.name
            )
        target = folder / ("failed" if run.outcome == SyncRun.Outcome.FAILED else "done")
        target.mkdir(exist_ok=True)
        shutil.move(str(path), target / path.name)
        runs.append(run)
    return runs


# -- counters ---------------------------------------------------------------------------------


def refresh_counters(
    account: DistributorAccount, *, progress: Progress | None = None, now: datetime | None = None
) -> SyncRun:
    """Ask the distributor for the counters of every licence still in force."""
    now = now or timezone.now()
    run = SyncRun.objects.create(account=account, kind=SyncRun.Kind.COUNTERS, source=account.name)
    run.ended = expire_licences(account, now)
    licences = (
        account.licences.filter(state__in=[Licence.State.ACTIVE, Licence.State.EXHAUSTED])
        .order_by("pk")
        .only("pk", "account", "distributor_key", "info_url", "checkout_url", *_COUNTER_FIELDS)
    )
    try:
        with account.connect() as adapter:
            for chunk in _chunks(licences.iterator(chunk_size=CHUNK), CHUNK):
                by_ref = {licence.ref(): licence for licence in chunk}
                changed: list[Licence] = []
                unchanged: list[int] = []
                for ref, result in adapter.licence_statuses(list(by_ref)):
                    run.seen += 1
                    if isinstance(result, DistributorError):
                        run.problem(f"licence {ref.id}", f"{result.message} ({result.detail})")
                        continue
                    if result.licence_id != ref.id:
                        run.problem(f"licence {ref.id}", _("The answer was about another licence."))
                        continue
                    licence = by_ref[ref]
                    if licence.apply_status(result, now):
                        changed.append(licence)
                    else:
                        unchanged.append(licence.pk)
                run.updated += len(changed)
                with transaction.atomic():
                    _write_counters(changed)
                    Licence.objects.filter(pk__in=unchanged).update(synced_at=now)
                if progress:
                    progress(len(chunk))
    except (DistributorUnavailable, DistributorTimeout, DistributorNonsense) as error:
        log.warning("counters refresh of account %s failed: %s", account.pk, error.detail)
        run.problem(account.name, f"{error.message} ({error.detail})")
        return run.finish(failed=True)
    return run.finish()


def _write_counters(licences: list[Licence]) -> None:
    """One prepared UPDATE executed for many rows: Django's bulk_update builds a CASE per
    field and row, which costs seconds per thousand licences."""
    if not licences:
        return
    fields = [Licence._meta.get_field(name) for name in _COUNTER_FIELDS]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    # Only the model's own column names are formatted in; every value is a parameter.
    sql = f"UPDATE {quote(Licence._meta.db_table)} SET {assignments} WHERE {quote('id')} = %s"  # noqa: S608
    rows = [
        [field.get_db_prep_save(getattr(licence, field.attname), connection) for field in fields]
        + [licence.pk]
        for licence in licences
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def expire_licences(account: DistributorAccount, now: datetime) -> int:
    """Licences whose validity has ended stop lending, even if the distributor is silent."""
    return account.licences.due_to_expire(now).update(state=Licence.State.EXPIRED)


def handle_notification(account: DistributorAccount, answer: LoanAnswer) -> bool:
    """A loan change pushed by the distributor. True when it was applied.

    A notification about a loan the portal does not know is recorded for the librarians
    and changes nothing.
    """
    from boite.lending.loans import apply_answer
    from boite.lending.models import Loan

    loans = Loan.objects.filter(licence__account=account).select_related("record", "licence")
    # ODL names a loan by its License Status Document's id; Dilicom by the portal's id.
    loan = loans.filter(distributor_id=answer.loan_id).first() if answer.loan_id else None
    if loan is None:
        loan = loans.filter(
            uuid=_uuid_or_none(answer.loan_id), distributor_id__in=["", answer.loan_id]
        ).first()
    if loan is not None:
        apply_answer(loan, answer)
        return True
    run = SyncRun.objects.create(
        account=account, kind=SyncRun.Kind.NOTIFICATION, source=f"loan {answer.loan_id}"[:500]
    )
    run.problem(
        f"loan {answer.loan_id}", _("A notification about a loan the portal does not know.")
    )
    run.finish()
    return False


def _uuid_or_none(value: str):
    import uuid

    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def sync_account(account: DistributorAccount, *, progress: Progress | None = None) -> list[SyncRun]:
    """Offer files and the offers feed when due, then loans (finished ones end,
    unconfirmed ones are settled, records found for new titles), then the distributor's
    counters, which have the last word."""
    from boite.lending import loans

    runs = apply_inbox(account)
    if feed_is_due(account):
        runs.append(harvest_feed(account))
    link_unmatched(account)
    loans.end_finished_loans(account)
    loans.settle_uncertain_loans(account)
    runs.append(refresh_counters(account, progress=progress))
    return runs


def sync_all(*, progress: Callable[[DistributorAccount], Progress] | None = None) -> list[SyncRun]:
    runs: list[SyncRun] = []
    for account in DistributorAccount.objects.filter(is_active=True):
        runs += sync_account(account, progress=progress(account) if progress else None)
    return runs


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    items = iter(items)
    while chunk := list(islice(items, size)):
        yield chunk
