"""The weekly digest of the blog, for the staff who asked for it."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from boite.lib.mail import send_mail_later
from boite.networks.access import staff_access
from boite.networks.models import Network, NetworkHost
from boite.pro.models import Post, Profile

DIGEST_PERIOD = timedelta(days=7)


def _base_url(networks) -> str:
    """The address of a portal the person works on, for the links of the e-mail."""
    host = NetworkHost.objects.filter(network__in=networks).order_by("pk").first()
    if host is None:
        return ""
    return f"{'https' if settings.PRODUCTION else 'http'}://{host.host}"


def send_weekly_digests(now=None) -> int:
    """E-mail each subscriber the posts published since their last digest (at most a
    week back) that they may read; returns how many e-mails were queued."""
    now = now or timezone.now()
    sent = 0
    profiles = Profile.objects.filter(weekly_digest=True, user__is_active=True).select_related(
        "user"
    )
    for profile in profiles:
        user = profile.user
        since = max(profile.last_digest_at or now - DIGEST_PERIOD, now - DIGEST_PERIOD)
        access = staff_access(user)
        networks = Network.objects.all() if access.is_superuser else access.network_ids()
        if not user.email or not networks:
            continue
        posts = list(
            Post.objects.filter(Q(network__in=networks) | Q(shared=True))
            .filter(published_at__gt=since, published_at__lte=now)
            .select_related("network")
            .order_by("published_at")
        )
        if posts:
            context = {"posts": posts, "user": user, "base_url": _base_url(networks)}
            send_mail_later(user.email, "pro/mail/digest", context)
            sent += 1
        profile.last_digest_at = now
        profile.save(update_fields=["last_digest_at"])
    return sent


@db_periodic_task(crontab(day_of_week="1", hour="7", minute="0"))
def weekly_digest() -> None:
    send_weekly_digests()
