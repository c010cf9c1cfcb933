"""Lending's part of erasing a patron: the passphrase hints go, the holds end."""

from __future__ import annotations

from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone

from boite.patrons.models import Patron


@receiver(post_save, sender=Patron, dispatch_uid="lending-erase-patron")
def forget_erased_patron(sender, instance: Patron, **kwargs) -> None:
    if instance.state != Patron.State.ERASED:
        return
    from boite.lending.loans import advance_queue
    from boite.lending.models import Hold, Loan

    Loan.objects.filter(patron=instance).exclude(hint="").update(hint="")
    holds = list(Hold.objects.filter(patron=instance, state__in=Hold.OPEN_STATES))
    Hold.objects.filter(pk__in=[h.pk for h in holds]).update(
        state=Hold.State.CANCELLED, ended_at=timezone.now()
    )
    for hold in holds:
        advance_queue(hold.record)
