from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from boite.patrons import services
from boite.patrons.factories import make_patron
from boite.patrons.models import Patron, PatronRules
from boite.patrons.tasks import daily_patron_jobs

pytestmark = pytest.mark.django_db
State = Patron.State


def test_reminder_is_sent_once_fifteen_days_before_expiry(bayeux_library, on_commit):
    today = timezone.localdate()
    soon = make_patron(
        bayeux_library, expires_on=today + timedelta(days=15), email="soon@example.org"
    )
    make_patron(bayeux_library, expires_on=today + timedelta(days=16))
    with on_commit(execute=True):
        assert services.send_reminders(today) == 1
    assert mail.outbox[0].to == ["soon@example.org"] and "expire" in mail.outbox[0].subject
    with on_commit(execute=True):
        assert services.send_reminders(today) == 0
    assert len(mail.outbox) == 1
    soon.refresh_from_db()
    assert soon.reminded_for == soon.expires_on


def test_reminder_days_per_network(bayeux_library):
    PatronRules.objects.create(network=bayeux_library.network, reminder_days=30)
    today = timezone.localdate()
    make_patron(bayeux_library, expires_on=today + timedelta(days=29))
    assert services.send_reminders(today) == 1


def test_daily_job_expires_and_ends_trials(bayeux_library, on_commit):
    today = timezone.localdate()
    past = make_patron(bayeux_library, expires_on=today - timedelta(days=1))
    current = make_patron(bayeux_library, expires_on=today)
    trial = make_patron(bayeux_library, state=State.TRIAL, trial_ends_on=today - timedelta(days=1))
    with on_commit(execute=True):
        result = daily_patron_jobs.call_local()
    assert result["expired"] == 1 and result["trials_ended"] == 1
    past.refresh_from_db()
    current.refresh_from_db()
    trial.refresh_from_db()
    assert past.state == State.EXPIRED and current.state == State.ACTIVE
    assert trial.state == State.AWAITING
    assert {"expire", "essai"} <= {
        w for m in mail.outbox for w in ("expire", "essai") if w in m.subject
    }


def test_anonymise_accounts_expired_long_ago(bayeux_library):
    today = timezone.localdate()
    old = make_patron(
        bayeux_library, state=State.EXPIRED, expires_on=today - timedelta(days=25 * 31)
    )
    recent = make_patron(
        bayeux_library, state=State.EXPIRED, expires_on=today - timedelta(days=300)
    )
    pseudonym, user_pk = old.pseudonym, old.user_id
    assert services.anonymise_expired(today) == 1
    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.state == State.ERASED and old.user is None and old.birth_date is None
    assert old.pseudonym == pseudonym
    from boite.networks.models import User

    assert not User.objects.filter(pk=user_pk).exists()
    assert recent.state == State.EXPIRED and recent.user is not None


def test_anonymisation_delay_per_network(bayeux_library):
    PatronRules.objects.create(network=bayeux_library.network, anonymise_after_months=6)
    today = timezone.localdate()
    make_patron(bayeux_library, state=State.EXPIRED, expires_on=today - timedelta(days=200))
    assert services.anonymise_expired(today) == 1


def test_registrations_never_confirmed_are_erased_after_a_month(bayeux_library):
    old = make_patron(bayeux_library, state=State.UNCONFIRMED)
    Patron.objects.filter(pk=old.pk).update(registered_at=timezone.now() - timedelta(days=31))
    fresh = make_patron(bayeux_library, state=State.UNCONFIRMED)
    assert services.anonymise_expired() == 1
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert old.state == State.ERASED and old.user is None
    assert fresh.state == State.UNCONFIRMED
