"""E-mails to patrons and staff, rendered now and delivered by the worker.

`send_mail_later()` renders the subject and body in the recipient's language at once
(so the job carries plain text, not model instances) and queues the delivery; the
job retries while the SMTP server is unreachable, so a message is never lost to a
passing outage. Templates: `<name>_subject.txt` (one line) and `<name>_body.txt`.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import translation
from huey.contrib.djhuey import task

RETRIES = 8
# Five minutes between attempts: eight retries ride out a 40-minute SMTP outage.
RETRY_DELAY_SECONDS = getattr(settings, "MAIL_RETRY_DELAY_SECONDS", 300)


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
    deliver_mail(subject, body, recipients, reply_to)


@task(retries=RETRIES, retry_delay=RETRY_DELAY_SECONDS)
def deliver_mail(subject: str, body: str, recipients: list[str], reply_to: str | None) -> None:
    message = EmailMessage(
        subject,
        body,
        settings.DEFAULT_FROM_EMAIL,
        recipients,
        reply_to=[reply_to] if reply_to else None,
    )
    message.send(fail_silently=False)
