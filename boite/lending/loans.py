"""Borrowing, returning, extending, and the holds queue: the writes several views share.

The race for the last copy. `borrow` reserves a copy in one short transaction that locks
the record's licences first — `SELECT … FOR UPDATE` row locks on PostgreSQL; on SQLite
the transaction starts IMMEDIATE (settings), which takes the database's write lock — so
that counting free copies and taking one cannot interleave: of 100 patrons asking for the
last copy at the same instant, one gets it and 99 get `NoCopyLeft`.

The distributor is called after that transaction, never inside it (a slow distributor
must not hold the lock). The loan row exists before the call, with the id sent to the
distributor: the answer confirms it (ACTIVE) or releases the copy (FAILED). When the
distributor does not answer, or answers an error or nonsense, the loan is UNCERTAIN and
keeps its copy: a retry by the patron sends the same id (the distributor answers with the
same loan, never a second one), and `settle_uncertain_loans` (each sync) asks the
distributor, returns a loan it made that the patron was told had failed, and frees the
copy. A return goes the same way: the loan says « return requested » before the call, so
that a return the distributor made but the portal could not record (the database
restarting in between) is found and ended by the same sync. So no phantom loan and no
lost copy (`make faults`, drill 7).
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import OperationalError, connection, transaction
from django.db.models import F, Q
from django.db.models.functions import Greatest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from boite.lending.distributors.base import (
    CheckoutRequest,
    DistributorError,
    DistributorRefused,
    LoanAnswer,
    LoanRef,
    LoanState,
    NoCopyAvailable,
    passphrase_digest,
)
from boite.lending.models import Hold, LendingRules, Licence, Loan
from boite.lib.mail import send_mail_later
from boite.stats.events import EventKind, record_event

log = logging.getLogger(__name__)

SETTLE_AFTER = timedelta(minutes=2)  # an UNCERTAIN loan younger than this may still be retried


class LendingRefusal(Exception):
    """Why a patron cannot do what they asked, in words for them."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class NoCopyLeft(LendingRefusal):
    """Every copy is out: the patron may join the queue."""

    def __init__(self) -> None:
        super().__init__(
            str(gettext_lazy("No copy is available any more. Would you like to place a hold?"))
        )


class DistributorProblem(LendingRefusal):
    pass


# -- which licence ------------------------------------------------------------------------


def licences_of(record, network):
    return Licence.objects.for_network(network).filter(record=record)


def lendable_copies(record, network, patron=None, now: datetime | None = None) -> int:
    """Copies a patron may borrow now (`Licence.objects.lendable_copies`)."""
    return Licence.objects.lendable_copies(record, network, patron=patron, now=now)


def is_lendable(record, network) -> bool:
    return licences_of(record, network).exclude(state=Licence.State.WITHDRAWN).exists()


# -- limits ---------------------------------------------------------------------------------


def _check_limits(patron, network, rules: LendingRules, now: datetime) -> None:
    loans = Loan.objects.filter(patron=patron, network=network)
    if loans.filter(state__in=Loan.OPEN_STATES).count() >= rules.max_loans:
        raise LendingRefusal(
            _("You already have %(count)s loans in progress, the most allowed: return one first.")
            % {"count": rules.max_loans}
        )
    month_start = timezone.localtime(now).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    this_month = loans.filter(created_at__gte=month_start).exclude(state=Loan.State.FAILED)
    if this_month.count() >= rules.max_loans_per_month:
        raise LendingRefusal(
            _(
                "You have borrowed %(count)s titles this month, the most allowed: "
                "see you next month."
            )
            % {"count": rules.max_loans_per_month}
        )


def _check_patron(patron, now: datetime) -> None:
    reason = patron.refusal_reason(timezone.localdate(now))
    if reason:
        raise LendingRefusal(reason)


# -- borrow -------------------------------------------------------------------------------


@dataclass(frozen=True)
class BorrowRequest:
    days: int
    passphrase: str  # used for the call, never stored
    hint: str


def borrow(patron, record, network, request: BorrowRequest, *, portal_url: str = "") -> Loan:
    """Make a loan or raise LendingRefusal (NoCopyLeft when every copy is out).
    `portal_url` (scheme and host) makes the notification URL given to ODL distributors."""
    now = timezone.now()
    _check_patron(patron, now)
    loan = _reserve(patron, record, network, request, now)
    notification_url = portal_url + loan.licence.account.notification_path() if portal_url else ""
    return _confirm(loan, request, notification_url)


def _locked_retry(function, *args):
    """Run a short write transaction again when SQLite says the database is locked: its
    busy timeout makes writers wait, but a shared-cache or snapshot conflict fails at once.
    PostgreSQL waits on the row locks and never gets here."""
    for attempt in range(_LOCK_RETRIES):
        try:
            return function(*args)
        except OperationalError as error:
            if connection.vendor != "sqlite" or "locked" not in str(error):
                raise
            if attempt == _LOCK_RETRIES - 1:
                raise
            time.sleep(random.uniform(0.002, 0.02) * (1 + attempt // 10))  # noqa: S311
    return None


_LOCK_RETRIES = 200


def _reserve(patron, record, network, request: BorrowRequest, now: datetime) -> Loan:
    return _locked_retry(_reserve_once, patron, record, network, request, now)


def _reserve_once(patron, record, network, request: BorrowRequest, now: datetime) -> Loan:
    rules = LendingRules.for_network(network)
    with transaction.atomic():
        # Lock first, read after: every licence of this title, whatever network it serves
        # (a copy kept for the other portal's patron on a shared licence is not free here).
        licences = {lic.pk: lic for lic in Licence.objects.lock_title(record)}
        retry = (
            Loan.objects.filter(
                patron=patron, record=record, network=network, state=Loan.State.UNCERTAIN
            )
            .select_related("licence__account")
            .first()
        )
        if retry is not None:
            return retry  # same id, same copy: the distributor answers with the same loan
        if Loan.objects.filter(
            patron=patron, record=record, state__in=[Loan.State.PENDING, Loan.State.ACTIVE]
        ).exists():
            raise LendingRefusal(_("You already have this title on loan."))
        _check_limits(patron, network, rules, now)
        chosen = Licence.objects.copy_pool(record, patron=patron, now=now).pick(network.pk)
        if chosen is None:
            raise NoCopyLeft()
        licence = licences[chosen]
        days = max(1, min(request.days, licence.loan_max_days))
        loan = Loan.objects.create(
            licence=licence,
            record=record,
            patron=patron,
            network=network,
            created_at=now,
            ends_at=now + timedelta(days=days),
            hint=request.hint[:200],
        )
        _take_copy(licence)
        return loan


def _take_copy(licence: Licence) -> None:
    changes = {"concurrent_in_use": F("concurrent_in_use") + 1}
    if licence.loans_left is not None:
        changes["loans_left"] = F("loans_left") - 1
    Licence.objects.filter(pk=licence.pk).update(**changes)


def _release_copy(licence_id: int, *, give_back_loan: bool) -> None:
    """The copy is free again; `give_back_loan` when the loan was never made."""
    changes = {"concurrent_in_use": Greatest(F("concurrent_in_use") - 1, 0)}
    Licence.objects.filter(pk=licence_id).update(**changes)
    if give_back_loan:
        Licence.objects.filter(
            pk=licence_id, loans_left__isnull=False, loans_left__lt=F("loans_total")
        ).update(loans_left=F("loans_left") + 1)


def _confirm(loan: Loan, request: BorrowRequest, notification_url: str) -> Loan:
    licence = loan.licence
    checkout = CheckoutRequest(
        loan_id=str(loan.uuid),
        patron=loan.patron.pseudonym,
        passphrase_sha256=passphrase_digest(request.passphrase),
        hint=loan.hint,
        end=loan.ends_at,
    )
    try:
        with licence.account.connect(notification_url=notification_url) as distributor:
            answer = distributor.checkout(licence.ref(), checkout)
    except DistributorRefused as error:
        _fail(loan, error)
        if isinstance(error, NoCopyAvailable):
            raise NoCopyLeft() from None
        raise DistributorProblem(str(error.message)) from None
    except DistributorError as error:
        # No answer, or one that cannot be read: the distributor may have made the loan.
        _locked_retry(_mark_uncertain, loan, error.detail)
        log.warning("checkout of loan %s uncertain: %s", loan.pk, error.detail)
        raise DistributorProblem(
            _(
                "The distributor did not confirm the loan. Try again in a few minutes: "
                "you will not be lent the title twice."
            )
        ) from None
    return _locked_retry(_activate, loan, answer)


def _mark_uncertain(loan: Loan, detail: str) -> None:
    Loan.objects.filter(pk=loan.pk).update(state=Loan.State.UNCERTAIN, problem=detail[:500])


def _fail(loan: Loan, error: DistributorError) -> None:
    _locked_retry(_fail_once, loan, error)


def _fail_once(loan: Loan, error: DistributorError) -> None:
    with transaction.atomic():
        updated = Loan.objects.filter(pk=loan.pk, state__in=Loan.OPEN_STATES).update(
            state=Loan.State.FAILED, ended_at=timezone.now(), problem=error.detail[:500]
        )
        if updated:
            _release_copy(loan.licence_id, give_back_loan=True)


def _activate(loan: Loan, answer: LoanAnswer) -> Loan:
    now = timezone.now()
    with transaction.atomic():
        loan.state = Loan.State.ACTIVE
        loan.started_at = loan.started_at or now
        loan.ends_at = answer.end or loan.ends_at
        loan.download_url = answer.download_url[:1000]
        loan.status_url = answer.status_url[:1000]
        loan.distributor_id = answer.loan_id[:200]
        loan.can_renew = answer.can_renew
        loan.problem = ""
        loan.save()
        Hold.objects.filter(
            patron=loan.patron, record=loan.record, state__in=Hold.OPEN_STATES
        ).update(state=Hold.State.FULFILLED, ended_at=now)
        _event(EventKind.LOAN, loan)
    return loan


def _event(kind: str, item: Loan | Hold) -> None:
    patron = item.patron
    record = item.record
    record_event(
        kind,
        patron=patron.pseudonym,
        network=item.network,
        library=patron.home_library,
        resource=record.resource.slug if record else "",
        record=f"{record.resource.slug}:{record.provider_id}"[:200] if record else "",
    )


# -- return, extend -----------------------------------------------------------------------


def return_loan(loan: Loan) -> Loan:
    if loan.state != Loan.State.ACTIVE:
        raise LendingRefusal(_("This loan is already over."))
    # Said before the call: a return made at the distributor and lost here is settled.
    Loan.objects.filter(pk=loan.pk).update(return_requested_at=timezone.now())
    try:
        with loan.licence.account.connect() as distributor:
            distributor.return_loan(loan.ref())
    except DistributorRefused as error:
        if error.code not in ("LOAN_ENDED", "already-returned", "not-returnable"):
            raise DistributorProblem(str(error.message)) from None
    except DistributorError as error:
        raise DistributorProblem(str(error.message)) from None
    end_loan(loan, Loan.State.RETURNED)
    return loan


def end_loan(loan: Loan, state: str, now: datetime | None = None) -> bool:
    """The loan is over (returned, ended, revoked): free its copy and give it to the queue."""
    now = now or timezone.now()
    with transaction.atomic():
        updated = Loan.objects.filter(pk=loan.pk, state=Loan.State.ACTIVE).update(
            state=state, ended_at=now
        )
        if not updated:
            return False
        loan.state, loan.ended_at = state, now
        _release_copy(loan.licence_id, give_back_loan=False)
        if state == Loan.State.RETURNED:
            _event(EventKind.RETURN, loan)
    if loan.record_id:
        advance_queue(loan.record, now=now)
    return True


def extend_loan(loan: Loan, days: int) -> Loan:
    if loan.state != Loan.State.ACTIVE:
        raise LendingRefusal(_("This loan is already over."))
    if not loan.can_renew:
        raise LendingRefusal(_("The distributor does not allow extending this loan."))
    if Hold.objects.filter(record=loan.record, state__in=Hold.OPEN_STATES).exists():
        raise LendingRefusal(_("Other patrons are waiting for this title: it cannot be extended."))
    end = min(loan.ends_at + timedelta(days=max(1, days)), loan.latest_end())
    if end <= loan.ends_at:
        raise LendingRefusal(_("This loan already lasts as long as the licence allows."))
    try:
        with loan.licence.account.connect() as distributor:
            answer = distributor.extend(loan.ref(), end)
    except DistributorError as error:
        raise DistributorProblem(str(error.message)) from None
    loan.ends_at = answer.end or end
    loan.can_renew = answer.can_renew
    loan.save(update_fields=["ends_at", "can_renew"])
    return loan


# -- holds ----------------------------------------------------------------------------------


def place_hold(patron, record, network) -> Hold:
    now = timezone.now()
    _check_patron(patron, now)
    rules = LendingRules.for_network(network)
    with transaction.atomic():
        Licence.objects.lock_title(record)
        if not is_lendable(record, network):
            raise LendingRefusal(_("This title cannot be borrowed on this portal."))
        mine = Hold.objects.filter(patron=patron, state__in=Hold.OPEN_STATES)
        if mine.filter(record=record).exists():
            raise LendingRefusal(_("You are already in the queue for this title."))
        if Loan.objects.filter(patron=patron, record=record, state__in=Loan.OPEN_STATES).exists():
            raise LendingRefusal(_("You already have this title on loan."))
        if mine.filter(network=network).count() >= rules.max_holds:
            raise LendingRefusal(
                _("You already have %(count)s holds, the most allowed: cancel one first.")
                % {"count": rules.max_holds}
            )
        hold = Hold.objects.create(record=record, patron=patron, network=network, created_at=now)
        _event(EventKind.HOLD, hold)
    advance_queue(record, now=now)  # a copy may be free (its holder's time just ran out)
    hold.refresh_from_db()
    return hold


def cancel_hold(hold: Hold) -> None:
    now = timezone.now()
    # A hold still waiting leaves the queue: the statistics count it out. One whose turn
    # had come was already counted out by HOLD_FILLED.
    if Hold.objects.filter(pk=hold.pk, state=Hold.State.WAITING).update(
        state=Hold.State.CANCELLED, ended_at=now
    ):
        _event(EventKind.HOLD_CANCELLED, hold)
    elif not Hold.objects.filter(pk=hold.pk, state__in=Hold.OPEN_STATES).update(
        state=Hold.State.CANCELLED, ended_at=now
    ):
        raise LendingRefusal(_("This hold is already over."))
    advance_queue(hold.record, now=now)


def advance_queue(record, now: datetime | None = None) -> list[Hold]:
    """Give the free copies of a title to the patrons waiting longest, whatever their
    network, as long as their network may lend one (`CopyPool`: a copy of a licence both
    networks share goes to one patron only); each gets one e-mail and their network's
    reservation window to borrow."""
    now = now or timezone.now()
    made_ready = []
    with transaction.atomic():
        Licence.objects.lock_title(record)
        waiting = list(
            Hold.objects.filter(record=record, state=Hold.State.WAITING)
            .select_related("patron__user", "patron__home_library", "network", "record")
            .order_by("created_at", "pk")
        )
        if not waiting:
            return []
        pool = Licence.objects.copy_pool(record, now=now)
        exhausted: set[int] = set()
        windows: dict[int, int] = {}
        for hold in waiting:
            if hold.network_id in exhausted:
                continue
            if pool.lendable(hold.network_id) <= 0:
                exhausted.add(hold.network_id)
                continue
            if hold.network_id not in windows:
                windows[hold.network_id] = LendingRules.for_network(hold.network).hold_window_hours
            hold.state = Hold.State.READY
            hold.ready_at = now
            hold.expires_at = now + timedelta(hours=windows[hold.network_id])
            hold.save(update_fields=["state", "ready_at", "expires_at"])
            pool.keep(hold.network_id)
            _event(EventKind.HOLD_FILLED, hold)
            made_ready.append(hold)
    for hold in made_ready:
        _notify_ready(hold)
    return made_ready


def _notify_ready(hold: Hold) -> None:
    email = hold.patron.email
    if not email:
        return
    host = hold.network.hosts.order_by("pk").values_list("host", flat=True).first()
    send_mail_later(
        email,
        "lending/mail/hold_ready",
        {
            "hold": hold,
            "record": hold.record,
            "network": hold.network,
            "patron": hold.patron,
            "expires_at": timezone.localtime(hold.expires_at),
            "url": _absolute(host or "", reverse("catalog:record", args=[hold.record_id])),
        },
    )


def _absolute(domain: str, path: str) -> str:
    return f"https://{domain}{path}" if domain else path


def expire_ready_holds(now: datetime | None = None) -> int:
    """Holds whose reservation window has passed: the next patron's turn comes."""
    now = now or timezone.now()
    records = set()
    for hold in Hold.objects.filter(state=Hold.State.READY, expires_at__lte=now).select_related(
        "record"
    ):
        if Hold.objects.filter(pk=hold.pk, state=Hold.State.READY).update(
            state=Hold.State.EXPIRED, ended_at=now
        ):
            records.add(hold.record)
    for record in records:
        advance_queue(record, now=now)
    return len(records)


# -- the sync's part --------------------------------------------------------------------------


def end_finished_loans(account=None, now: datetime | None = None) -> int:
    """Loans whose end has passed are over (PNB files stop opening on their own)."""
    now = now or timezone.now()
    loans = Loan.objects.filter(state=Loan.State.ACTIVE, ends_at__lte=now).select_related(
        "record", "licence"
    )
    if account is not None:
        loans = loans.filter(licence__account=account)
    return sum(end_loan(loan, Loan.State.EXPIRED, now) for loan in loans)


def settle_uncertain_loans(account=None, now: datetime | None = None) -> int:
    """Loans the distributor never confirmed: ask it; a loan it made is returned (the patron
    was told it failed), and the copy freed. Returns asked and never recorded: a loan the
    distributor no longer lends is ended, one it still lends stays (the patron may try
    again). Still no answer: left for the next sync."""
    now = now or timezone.now()
    before = now - SETTLE_AFTER
    loans = Loan.objects.filter(
        Q(state=Loan.State.UNCERTAIN) | Q(state=Loan.State.PENDING), created_at__lte=before
    ).select_related("licence__account")
    returning = Loan.objects.filter(
        state=Loan.State.ACTIVE, return_requested_at__lte=before
    ).select_related("licence__account", "record", "patron__home_library", "network")
    if account is not None:
        loans = loans.filter(licence__account=account)
        returning = returning.filter(licence__account=account)
    settled = 0
    for loan in loans:
        try:
            with loan.licence.account.connect() as distributor:
                answer = _status(distributor, loan)
                if answer is not None and answer.state.is_open:
                    distributor.return_loan(
                        LoanRef(str(loan.uuid), loan.licence.ref(), status_url=answer.status_url)
                    )
        except DistributorError as error:
            log.warning("loan %s still uncertain: %s", loan.pk, error.detail)
            continue
        _fail(loan, DistributorError("settled after no answer"))
        settled += 1
    for loan in returning:
        try:
            with loan.licence.account.connect() as distributor:
                answer = _status(distributor, loan)
        except DistributorError as error:
            log.warning("return of loan %s still unknown: %s", loan.pk, error.detail)
            continue
        if answer is not None and answer.state.is_open:
            Loan.objects.filter(pk=loan.pk).update(return_requested_at=None)  # not returned
        else:
            settled += end_loan(loan, Loan.State.RETURNED)
    return settled


def _status(distributor, loan: Loan) -> LoanAnswer | None:
    """The distributor's view of a loan; None when it does not know it (never made)."""
    try:
        return distributor.loan_status(loan.ref())
    except DistributorRefused:
        return None


def apply_answer(loan: Loan, answer: LoanAnswer) -> None:
    """A loan's new state pushed by the distributor (ODL notification)."""
    if answer.state.is_open:
        if loan.state == Loan.State.ACTIVE and answer.end:
            Loan.objects.filter(pk=loan.pk).update(ends_at=answer.end)
        return
    state = {
        LoanState.RETURNED: Loan.State.RETURNED,
        LoanState.REVOKED: Loan.State.REVOKED,
        LoanState.CANCELLED: Loan.State.RETURNED,  # ended before use: the copy comes back
    }.get(answer.state, Loan.State.EXPIRED)
    end_loan(loan, state)
