"""E-mails to patrons and staff: rendered now, queued when the transaction commits,
delivered by the worker, retried for two days, and never lost without a trace.

`send_mail_later()` renders the subject and body in the recipient's language at once
(so the job carries plain text, not model instances) and queues the delivery *when the
current transaction commits* (`transaction.on_commit`): a registration or a validation
that rolls back sends nothing. Outside a transaction the delivery is queued at once.
Templates: `<name>_subject.txt` (one line) and `<name>_body.txt`.

The worker retries a delivery that failed for a passing reason (SMTP server down or
answering 4xx) on a growing schedule (`retry_schedule()`: 1, 2, 5, 10, 30 minutes,
then every hour, for at least `MAIL_GIVE_UP_AFTER_SECONDS`, two days by default).
When it gives up — or at once when the server refuses the message for good (5xx) —
the message is kept as an `UndeliveredMail`, which superusers read, send again or
delete in the back office; the same happens when the queue itself cannot be reached.
"""

from __future__ import annotations

import logging
import smtplib
from functools import partial

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from huey.contrib.djhuey import db_task

from boite.lib.models import UndeliveredMail

logger = logging.getLogger(__name__)


def render_mail(template: str, context: dict, language: str | None = None) -> tuple[str, str]:
    with translation.override(language or settings.LANGUAGE_CODE):
        subject = render_to_string(f"{template}_subject.txt", context).strip()
        body = render_to_string(f"{template}_body.txt", context)
    return " ".join(subject.split()), body


def send_mail_later(
    to: str | list[str],
    template: str,
    context: dict,
    *,
    language: str | None = None,
    reply_to: str | None = None,
) -> None:
    subject, body = render_mail(template, context, language)
    recipients = [to] if isinstance(to, str) else list(to)
    transaction.on_commit(partial(_queue, subject, body, recipients, reply_to))


def _queue(subject: str, body: str, recipients: list[str], reply_to: str | None) -> None:
    try:
        deliver_mail(subject, body, recipients, reply_to)
    except Exception as error:  # the queue (Redis, Huey's database) is unreachable
        logger.exception("E-mail %r to %s could not be queued", subject, recipients)
        _give_up(subject, body, recipients, reply_to, attempts=0, error=error)


def send_again(undelivered: UndeliveredMail) -> None:
    """Queue a message given up earlier once more, on a fresh retry schedule, and forget
    the record (a new one is written if it fails again)."""
    with transaction.atomic():
        undelivered.delete()
        recipients = [r.strip() for r in undelivered.recipients.split(",") if r.strip()]
        transaction.on_commit(
            partial(
                _queue,
                undelivered.subject,
                undelivered.body,
                recipients,
                undelivered.reply_to or None,
            )
        )


def retry_schedule() -> list[int]:
    """Seconds to wait before each retry: `MAIL_RETRY_DELAYS` in turn, then the last of
    them again until `MAIL_GIVE_UP_AFTER_SECONDS` have passed since the first attempt."""
    delays = [int(d) for d in settings.MAIL_RETRY_DELAYS]
    give_up_after = settings.MAIL_GIVE_UP_AFTER_SECONDS
    schedule: list[int] = []
    while sum(schedule) < give_up_after:
        schedule.append(delays[min(len(schedule), len(delays) - 1)])
    return schedule


def _refused_for_good(error: Exception) -> bool:
    """A 5xx answer: sending the same message again will not change it."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(500 <= code < 600 for code, _message in error.recipients.values())
    return isinstance(error, smtplib.SMTPResponseException) and 500 <= error.smtp_code < 600


@db_task()
def deliver_mail(
    subject: str, body: str, recipients: list[str], reply_to: str | None, attempt: int = 0
) -> None:
    """Attempt number `attempt` (0 is the first) to hand the message to the SMTP server."""
    message = EmailMessage(
        subject,
        body,
        settings.DEFAULT_FROM_EMAIL,
        recipients,
        reply_to=[reply_to] if reply_to else None,
    )
    try:
        message.send(fail_silently=False)
    except OSError as error:  # SMTP errors, refused or dropped connections, timeouts
        schedule = retry_schedule()
        if attempt < len(schedule) and not _refused_for_good(error):
            logger.warning(
                "E-mail %r to %s not delivered (%s); attempt %s of %s in %s s",
                subject,
                recipients,
                error,
                attempt + 2,
                len(schedule) + 1,
                schedule[attempt],
            )
            deliver_mail.schedule(
                (subject, body, recipients, reply_to, attempt + 1), delay=schedule[attempt]
            )
            return
        _give_up(subject, body, recipients, reply_to, attempts=attempt + 1, error=error)
    except Exception as error:  # a message the backend cannot send at all
        _give_up(subject, body, recipients, reply_to, attempts=attempt + 1, error=error)


def forget_mail_to(address: str) -> int:
    """Withdraw every delivery still waiting for its turn (queued, or scheduled for a
    retry) that is addressed to `address`, and the messages given up for it: the
    erasure of a person leaves no message to them anywhere. Returns the deliveries found."""
    from boite.lib.jobs import withdraw

    wanted = address.strip().lower()
    if not wanted:
        return 0

    def to_them(task) -> bool:
        if not isinstance(task, deliver_mail.task_class):
            return False
        recipients = task.args[2] if len(task.args) > 2 else []
        return any(r.strip().lower() == wanted for r in recipients)

    found = withdraw(to_them)
    UndeliveredMail.objects.addressed_to(address).delete()
    return found


def _give_up(
    subject: str,
    body: str,
    recipients: list[str],
    reply_to: str | None,
    *,
    attempts: int,
    error: Exception,
) -> None:
    logger.error(
        "E-mail %r to %s given up after %s attempts: %s", subject, recipients, attempts, error
    )
    UndeliveredMail.objects.create(
        recipients=", ".join(recipients),
        reply_to=reply_to or "",
        subject=subject,
        body=body,
        attempts=attempts,
        error=f"{type(error).__name__}: {error}"[:2000],
    )
