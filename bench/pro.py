"""Professional space (issue 9): blog pages and feeds, Markdown, registrations, news."""

from datetime import timedelta

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench.report import Report, time_calls
from boite.networks.models import Network, StaffRole, User
from boite.pro import events
from boite.pro.models import Event, Post
from boite.pro.rendering import render_markdown

REQUESTS = 300
POSTS = 2000
REGISTRATIONS = 300

MARKDOWN = (
    "## Prolonger un prêt PNB\n\nL'usager ouvre **Thorium**, choisit le livre, puis "
    "« Prolonger ». Voir [le guide](https://www.dilicom.net).\n\n"
    "| étape | durée |\n|---|---|\n| ouvrir | 1 min |\n| prolonger | 1 min |\n\n"
    "- un\n- deux\n- trois\n\n<script>alert(1)</script>\n"
) * 20  # about 5 KB


def _queries(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, path
    return len(captured)


def run(report: Report) -> None:
    report.figure("pro.markdown.source_size", len(MARKDOWN), "bytes")
    report.timings("pro.markdown.render_5kb", time_calls(lambda: render_markdown(MARKDOWN), 300))

    network = Network.objects.get(slug="boite-numerique")
    reader = User.objects.get(username="biblio.bayeux")
    now = timezone.now()
    Post.objects.bulk_create(
        Post(
            network=network,
            title=f"Billet {i}",
            category=Post.Category.values[i % 5],
            body="x",
            body_html=f"<p>Billet {i}</p>",
            published_at=now - timedelta(hours=i + 1),
        )
        for i in range(POSTS)
    )
    report.figure("pro.posts", Post.objects.count(), "posts")
    client = Client(HTTP_HOST="localhost")
    client.force_login(reader)
    pages = {
        "pro.blog": "/pro/",
        "pro.blog_category": "/pro/?categorie=pnb",
        "pro.feed_rss": "/pro/flux.rss",
        "pro.events": "/pro/evenements/",
        "pro.documents": "/pro/documents/",
        "pro.directory": "/pro/annuaire/",
        "portal.home_with_news": "/",
        "portal.news": "/actualites/",
    }
    for name, path in pages.items():
        report.timings(f"{name}.server_time", time_calls(lambda p=path: client.get(p), REQUESTS))
        report.figure(f"{name}.queries", _queries(client, path), "queries")

    event = Event.objects.create(
        network=network,
        kind=Event.Kind.TRAINING,
        title="Bench",
        place="Caen",
        starts_at=now + timedelta(days=10),
        ends_at=now + timedelta(days=10, hours=2),
        capacity=REGISTRATIONS // 2,
    )
    people = User.objects.bulk_create(
        User(username=f"bench-staff-{i}", email="") for i in range(REGISTRATIONS)
    )
    StaffRole.objects.bulk_create(
        StaffRole(user=u, kind=StaffRole.Kind.EDITOR, network=network) for u in people
    )
    queue = iter(people)
    report.timings(
        "pro.event.register",
        time_calls(lambda: events.register(event, next(queue)), REGISTRATIONS - 20, warmup=20),
    )
    cancelled = iter(people)
    report.timings(
        "pro.event.cancel_with_promotion",
        time_calls(lambda: events.cancel(event, next(cancelled)), 100, warmup=0),
    )
