"""Jobs of the networks app: the staff desk by e-mail.

The e-mail delivery job lives in boite.lib.mail; importing it here makes the worker
(which loads every app's tasks module) know it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from boite.lib import mail
from boite.networks.access import staff_access
from boite.networks.desk import tasks_for
from boite.networks.models import Network, NetworkHost

MONDAY = 0


def _base_url(network: Network) -> str:
    host = NetworkHost.objects.filter(network=network).order_by("pk").first()
    if host is None:
        return ""
    return f"{'https' if settings.PRODUCTION else 'http'}://{host.host}"


def send_desk_digests(today=None) -> int:
    """E-mail each staff member who asked for it what waits on their desk, one e-mail per
    network they work on, at most once a day: each person's day is claimed by one atomic
    update before anything is queued, and the e-mails leave with that commit, so a job
    run twice — or by two workers at once — sends once. Returns how many were queued."""
    from boite.pro.models import Profile

    today = today or timezone.localdate()
    wanted = [Profile.DeskDigest.DAILY]
    if today.weekday() == MONDAY:
        wanted.append(Profile.DeskDigest.WEEKLY)
    profiles = (
        Profile.objects.filter(desk_digest__in=wanted, user__is_active=True)
        .exclude(last_desk_digest_on=today)
        .select_related("user")
    )
    sent = 0
    for profile in profiles:
        with transaction.atomic():
            claimed = (
                Profile.objects.filter(pk=profile.pk)
                .exclude(last_desk_digest_on=today)
                .update(last_desk_digest_on=today)
            )
            if claimed:
                sent += _send(profile.user)
    return sent


def _send(user) -> int:
    if not user.email:
        return 0
    access = staff_access(user)
    sent = 0
    for network in access.networks_worked_on().order_by("name"):
        waiting = tasks_for(user, network)
        if waiting:
            context = {"user": user, "network": network, "tasks": waiting}
            context["base_url"] = _base_url(network)
            mail.send_mail_later(user.email, "networks/mail/desk_digest", context)
            sent += 1
    return sent


@db_periodic_task(crontab(hour="7", minute="5"))
def desk_digest() -> None:
    send_desk_digests()
