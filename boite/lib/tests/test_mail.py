"""E-mail: rendered in the recipient's language, queued on commit only, retried on a
growing schedule for two days against a real SMTP server on loopback, then kept for a
person to see — never lost without a trace."""

from __future__ import annotations

import socket
from datetime import UTC, timedelta
from itertools import pairwise

import pytest
from aiosmtpd.controller import Controller
from django.core import mail as outbox
from django.db import transaction
from huey.contrib.djhuey import HUEY
from huey.storage import RedisStorage
from huey.utils import utcnow

from boite.lib import mail
from boite.lib.mail import render_mail, retry_schedule, send_mail_later
from boite.lib.models import UndeliveredMail


@pytest.fixture
def hello(tmp_path, settings):
    (tmp_path / "hello_subject.txt").write_text("{% load i18n %}{% translate 'Home' %}\n")
    (tmp_path / "hello_body.txt").write_text("Bonjour {{ name }}")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]
    return "hello"


@pytest.fixture
def schedule():
    """Huey's schedule (in memory while tests run tasks at once), empty before and after."""
    HUEY.storage.flush_schedule()
    yield HUEY
    HUEY.storage.flush_schedule()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Inbox:
    """An SMTP server's mailbox; `refuse` answers 550 to every recipient."""

    def __init__(self, refuse: bool = False) -> None:
        self.messages: list[bytes] = []
        self.refuse = refuse

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.content)
        return "250 OK"


@pytest.fixture
def smtp(settings):
    """The address of a real SMTP server on loopback, started by `smtp.start()`."""
    port = _free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5

    class Server:
        inbox = _Inbox()
        controller = None

        def start(self, refuse: bool = False) -> _Inbox:
            self.inbox = _Inbox(refuse)
            self.controller = Controller(self.inbox, hostname="127.0.0.1", port=port)
            self.controller.start()
            return self.inbox

    server = Server()
    yield server
    if server.controller is not None:
        server.controller.stop()


ARGS = ("Rappel", "Votre essai se termine.", ["a@example.org"], None)


# -- rendering and the transaction -----------------------------------------------------


def test_mail_is_rendered_in_the_recipient_language_and_delivered(hello, db, on_commit):
    assert render_mail(hello, {"name": "Anne"}, "en") == ("Home", "Bonjour Anne")
    with on_commit(execute=True):
        send_mail_later("anne@example.org", hello, {"name": "Anne"})
    assert len(outbox.outbox) == 1
    assert outbox.outbox[0].subject == "Accueil"
    assert outbox.outbox[0].to == ["anne@example.org"]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_sends_nothing_and_a_committed_one_sends(hello):
    with pytest.raises(RuntimeError), transaction.atomic():
        send_mail_later("annule@example.org", hello, {"name": "Annulé"})
        raise RuntimeError("the registration failed after its e-mail was asked for")
    assert outbox.outbox == []
    with transaction.atomic():
        send_mail_later("valide@example.org", hello, {"name": "Validé"})
        assert outbox.outbox == []  # not before the commit
    assert [m.to for m in outbox.outbox] == [["valide@example.org"]]
    assert outbox.outbox[0].body == "Bonjour Validé"


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_savepoint_drops_only_its_own_mail(hello):
    with transaction.atomic():
        send_mail_later("garde@example.org", hello, {"name": "Gardé"})
        with pytest.raises(RuntimeError), transaction.atomic():
            send_mail_later("perdu@example.org", hello, {"name": "Perdu"})
            raise RuntimeError
    assert [m.to for m in outbox.outbox] == [["garde@example.org"]]


@pytest.mark.django_db(transaction=True)
def test_a_message_the_queue_cannot_take_is_kept_not_lost(hello, monkeypatch):
    # Redis down: a real Redis client asked to queue on a port where nothing listens.
    monkeypatch.setattr(HUEY, "_immediate", False)
    monkeypatch.setattr(
        HUEY, "storage", RedisStorage("boite-test", url=f"redis://127.0.0.1:{_free_port()}/9")
    )
    with transaction.atomic():
        send_mail_later("file@example.org", hello, {"name": "File"})
    kept = UndeliveredMail.objects.get()
    assert (kept.recipients, kept.subject, kept.attempts) == ("file@example.org", "Accueil", 0)
    assert "Connection" in kept.error


# -- retries ---------------------------------------------------------------------------


def test_the_default_schedule_grows_then_goes_hourly_for_two_days():
    delays = retry_schedule()
    assert delays[:6] == [60, 120, 300, 600, 1800, 3600]
    assert set(delays[5:]) == {3600}
    assert all(a <= b for a, b in pairwise(delays))
    assert sum(delays) >= 2 * 24 * 3600
    assert sum(delays[:-1]) < 2 * 24 * 3600  # and no longer than needed


def test_the_schedule_comes_from_the_settings(settings):
    settings.MAIL_RETRY_DELAYS = [1, 2]
    settings.MAIL_GIVE_UP_AFTER_SECONDS = 10
    assert retry_schedule() == [1, 2, 2, 2, 2, 2]
    settings.MAIL_GIVE_UP_AFTER_SECONDS = 0
    assert retry_schedule() == []


def test_smtp_down_schedules_the_next_attempt_then_it_is_delivered(
    db, smtp, schedule, time_machine
):
    time_machine.move_to("2026-05-04 10:00:00+00:00", tick=False)
    mail.deliver_mail.call_local(*ARGS)  # nobody listens: refused
    [task] = schedule.scheduled()
    schedule.storage.flush_schedule()  # the worker takes it
    assert task.args == (*ARGS, 1)
    assert task.eta - utcnow() == timedelta(minutes=1)
    inbox = smtp.start()
    mail.deliver_mail.call_local(*task.args)  # what the worker runs a minute later
    assert len(inbox.messages) == 1
    assert b"Subject: Rappel" in inbox.messages[0]
    assert schedule.scheduled() == []
    assert not UndeliveredMail.objects.exists()


def test_an_outage_longer_than_the_schedule_leaves_the_message_for_staff(
    db, smtp, schedule, settings, time_machine
):
    time_machine.move_to("2026-05-04 10:00:00+00:00", tick=False)
    settings.MAIL_RETRY_DELAYS = [60, 120, 300]
    settings.MAIL_GIVE_UP_AFTER_SECONDS = 1000
    expected = retry_schedule()
    assert expected == [60, 120, 300, 300, 300]
    mail.deliver_mail.call_local(*ARGS)
    waited = []
    while scheduled := schedule.scheduled():  # the worker's turns, SMTP down all along
        [task] = scheduled
        schedule.storage.flush_schedule()
        waited.append((task.eta - utcnow()).total_seconds())
        time_machine.move_to(task.eta.replace(tzinfo=UTC), tick=False)
        mail.deliver_mail.call_local(*task.args)
    assert waited == expected
    kept = UndeliveredMail.objects.get()
    assert kept.attempts == len(expected) + 1
    assert (kept.subject, kept.body, kept.recipients) == ("Rappel", ARGS[1], "a@example.org")
    assert "ConnectionRefusedError" in kept.error


def test_a_message_refused_for_good_is_kept_at_once(db, smtp, schedule):
    inbox = smtp.start(refuse=True)
    mail.deliver_mail.call_local(*ARGS)
    assert schedule.scheduled() == []  # a 550 will not turn into a 250 in an hour
    kept = UndeliveredMail.objects.get()
    assert kept.attempts == 1 and "550" in kept.error
    assert inbox.messages == []


def test_a_message_kept_can_be_sent_again(db, on_commit):
    kept = UndeliveredMail.objects.create(
        recipients="a@example.org, b@example.org",
        reply_to="bib@example.org",
        subject="Rappel",
        body="Corps",
        attempts=54,
        error="ConnectionRefusedError",
    )
    with on_commit(execute=True):
        mail.send_again(kept)
    assert not UndeliveredMail.objects.exists()
    [sent] = outbox.outbox
    assert (sent.to, sent.reply_to, sent.subject) == (
        ["a@example.org", "b@example.org"],
        ["bib@example.org"],
        "Rappel",
    )


def test_addressed_to_matches_whole_addresses_only(db):
    UndeliveredMail.objects.create(
        recipients="Anne@Example.org, b@example.org", subject="s", body="b", attempts=1, error="e"
    )
    UndeliveredMail.objects.create(
        recipients="joanne@example.org", subject="s", body="b", attempts=1, error="e"
    )
    assert UndeliveredMail.objects.addressed_to("anne@example.org").count() == 1
    assert UndeliveredMail.objects.addressed_to("b@example.org").count() == 1
    assert UndeliveredMail.objects.addressed_to("nobody@example.org").count() == 0


def test_the_delays_read_from_the_environment_fail_loudly_when_wrong(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from boite.lib.env import env_int_list

    monkeypatch.setenv("MAIL_RETRY_DELAYS", " 30, 90 ,3600")
    assert env_int_list("MAIL_RETRY_DELAYS", [60], minimum=1) == [30, 90, 3600]
    monkeypatch.setenv("MAIL_RETRY_DELAYS", "")
    assert env_int_list("MAIL_RETRY_DELAYS", [60], minimum=1) == [60]
    for wrong in ("60,une heure", "60,,120", "0,60"):
        monkeypatch.setenv("MAIL_RETRY_DELAYS", wrong)
        with pytest.raises(ImproperlyConfigured, match="MAIL_RETRY_DELAYS"):
            env_int_list("MAIL_RETRY_DELAYS", [60], minimum=1)
