"""The fast halves of the fault drills of `make faults` (bench/faults.py).

The drills break the real stack (PostgreSQL connections killed, SMTP stopped, a worker
SIGKILLed, a silent SIP2 server); here the same failures strike the same code paths in
a few milliseconds: a database error in the middle of a write. The SMTP server down,
then up again (and down for longer than the retries last) is tested in
boite/lib/tests/test_mail.py; the silent SIP2 server in boite/patrons/tests/test_sip2.py
(`test_broken_ils_gives_service_unavailable_never_a_login`).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from boite.patrons import importer, services
from boite.patrons.factories import make_patron
from boite.patrons.models import Patron, PatronEvent


class _ConnectionKilledAfter:
    """The error PostgreSQL gives a query on a connection terminated by
    pg_terminate_backend, raised once at the `n`-th query (connection.execute_wrapper);
    the rollback that follows still reaches the test database."""

    def __init__(self, n: int) -> None:
        self.left = n

    def __call__(self, execute, sql, params, many, context):
        self.left -= 1
        if self.left == 0:
            raise OperationalError("terminating connection due to administrator command")
        return execute(sql, params, many, context)


def _csv(rows: int) -> str:
    lines = ["Carte;Nom;Prénom;Date de naissance;Courriel;Fin abonnement"]
    lines += [
        f"DRILL{n:04d};Exercice;Camille;01/02/1980;drill{n}@example.org;31/12/2030"
        for n in range(rows)
    ]
    return "\n".join(lines) + "\n"


@pytest.mark.django_db
def test_import_cut_in_the_middle_writes_nothing_and_runs_again(bayeux_library, librarian_bayeux):
    text = _csv(40)
    with (
        pytest.raises(OperationalError),
        connection.execute_wrapper(_ConnectionKilledAfter(60)),
        transaction.atomic(),
    ):
        importer.apply(text, bayeux_library, actor=librarian_bayeux)
    assert not Patron.objects.filter(card_number__startswith="DRILL").exists()
    with transaction.atomic():
        result = importer.apply(text, bayeux_library, actor=librarian_bayeux)
    assert result.count("create") == 40
    assert Patron.objects.filter(card_number__startswith="DRILL").count() == 40


@pytest.mark.django_db
def test_nightly_job_cut_in_the_middle_leaves_no_half_written_patron(bayeux_library):
    yesterday = timezone.localdate() - timedelta(days=1)
    for n in range(12):
        make_patron(
            bayeux_library,
            state=Patron.State.TRIAL,
            email=f"essai{n}@example.org",
            trial_ends_on=yesterday,
        )
    # Savepoints make each patron's transaction visible here, as on a real worker.
    with pytest.raises(OperationalError), connection.execute_wrapper(_ConnectionKilledAfter(30)):
        services.end_trials()

    def disagreeing() -> int:
        ended = PatronEvent.objects.filter(kind=PatronEvent.Kind.TRIAL_ENDED).values("patron")
        return (
            Patron.objects.filter(state=Patron.State.AWAITING).exclude(pk__in=ended).count()
            + Patron.objects.filter(state=Patron.State.TRIAL, pk__in=ended).count()
        )

    done = Patron.objects.filter(state=Patron.State.AWAITING).count()
    assert 0 < done < 12
    assert disagreeing() == 0
    assert services.end_trials() == 12 - done  # the next run finishes the work
    assert Patron.objects.filter(state=Patron.State.AWAITING).count() == 12
    assert PatronEvent.objects.filter(kind=PatronEvent.Kind.TRIAL_ENDED).count() == 12
    assert disagreeing() == 0
