"""What the shared helpers keep: the e-mails the worker gave up on (boite.lib.mail), and
the counters of the login lockouts and rate limits without Redis (boite.lib.counters)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class UndeliveredMailQuerySet(models.QuerySet):
    def addressed_to(self, address: str) -> UndeliveredMailQuerySet:
        """The messages one of whose recipients is `address` (any case)."""
        wanted = address.strip().casefold()
        pks = [
            pk
            for pk, recipients in self.filter(recipients__icontains=wanted).values_list(
                "pk", "recipients"
            )
            if wanted in (r.strip().casefold() for r in recipients.split(","))
        ]
        return self.filter(pk__in=pks)


class UndeliveredMail(models.Model):
    """An e-mail the worker stopped trying to deliver: the SMTP server stayed down past
    the retry schedule, refused it for good, or the queue was unreachable. Kept whole so
    that a superuser can send it again once the cause is fixed, or forward it by hand;
    erased with the patron it was addressed to."""

    recipients = models.TextField(_("recipients"))
    reply_to = models.CharField(_("reply to"), max_length=254, blank=True)
    subject = models.TextField(_("subject"))
    body = models.TextField(_("body"))
    attempts = models.PositiveIntegerField(_("attempts"))
    error = models.TextField(_("last error"))
    given_up_at = models.DateTimeField(_("given up on"), default=timezone.now, db_index=True)

    objects = UndeliveredMailQuerySet.as_manager()

    class Meta:
        verbose_name = _("undelivered e-mail")
        verbose_name_plural = _("undelivered e-mails")
        ordering = ["-given_up_at"]

    def __str__(self) -> str:
        return f"{self.subject} → {self.recipients}"


class Counter(models.Model):
    """One counter of `boite.lib.counters` (login failures, a lock's end, a rate limit)
    when the portal runs without Redis. `name` holds a hash, never an address or an
    e-mail; `expires` is a Unix timestamp, past which the row counts as absent until the
    hourly `prune_counters` job deletes it."""

    name = models.CharField(_("name"), max_length=250, unique=True)
    value = models.BigIntegerField(_("value"), default=0)
    expires = models.FloatField(_("expires (Unix time)"), db_index=True)

    class Meta:
        verbose_name = _("counter")
        verbose_name_plural = _("counters")

    def __str__(self) -> str:
        return f"{self.name} = {self.value}"
