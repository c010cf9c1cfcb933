"""Patrons (issue « Patrons »): registration throughput, login time with argon2 at its
production cost, and the validation queue page with 10 000 pending patrons."""

from __future__ import annotations

import time

from django.core.cache import cache
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from huey.contrib.djhuey import HUEY

from bench.report import Report, time_calls
from boite.networks.models import Library, Network, StaffRole, User
from boite.patrons.models import Patron
from boite.patrons.services import new_username

# The production hasher (the test settings use MD5 for speed; the bench must not).
ARGON2 = ["boite.lib.hashers.BoiteArgon2PasswordHasher"]
REGISTRATIONS = 40
LOGINS = 40
PENDING = 10_000
PASSWORD = "une phrase de passe solide"  # noqa: S105 — a benchmark account


def _registration(library: Library, n: int) -> dict:
    return {
        "home_library": library.pk,
        "first_name": "Bench",
        "last_name": f"Inscription {n}",
        "email": f"bench-{n}@example.org",
        "birth_date": "1980-01-01",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "consent": "on",
    }


def _queue_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/gestion/usagers/")
    assert response.status_code == 200
    return len(captured)


def run(report: Report) -> None:
    network = Network.objects.get(slug="boite-numerique")
    library = network.libraries.members().order_by("name").first()
    immediate = HUEY.immediate
    HUEY.immediate = True  # e-mails are rendered and "sent" to the test outbox in the request
    try:
        with override_settings(
            PASSWORD_HASHERS=ARGON2, PATRONS_REGISTRATIONS_PER_IP_PER_HOUR=10**6
        ):
            client = Client(HTTP_HOST="localhost")
            start = time.perf_counter()
            for n in range(REGISTRATIONS):
                response = client.post("/inscription/", _registration(library, n))
                assert response.status_code == 302, response.content[:300]
            elapsed = time.perf_counter() - start
            report.figure("patrons.registration.throughput", REGISTRATIONS / elapsed, "per second")

            counter = iter(range(10**6))

            def log_in():
                cache.clear()
                session = Client(HTTP_HOST="localhost", REMOTE_ADDR=f"10.0.{next(counter) % 250}.1")
                response = session.post(
                    "/connexion/", {"identifier": "bench-0@example.org", "secret": PASSWORD}
                )
                assert response.status_code == 302

            report.timings("patrons.login_argon2.server_time", time_calls(log_in, LOGINS, warmup=3))
    finally:
        HUEY.immediate = immediate

    # The validation queue of one library, with few and then 10 000 pending patrons.
    librarian = User.objects.create_user("bench.queue", "bench.queue@example.org", PASSWORD)
    StaffRole.objects.create(
        user=librarian, kind=StaffRole.Kind.LIBRARY_STAFF, network=network, library=library
    )
    staff = Client(HTTP_HOST="localhost")
    staff.force_login(librarian)
    report.figure("patrons.queue.queries_with_few_pending", _queue_queries(staff), "queries")
    users = User.objects.bulk_create(
        User(username=new_username(), email=f"q{n}@example.org", last_name=f"Attente {n:05d}")
        for n in range(PENDING)
    )
    Patron.objects.bulk_create(
        (
            Patron(
                user=u,
                network=network,
                home_library=library,
                state=Patron.State.AWAITING,
                search_text=u.last_name.lower(),
            )
            for u in users
        ),
        batch_size=2000,
    )
    pending = Patron.objects.filter(home_library=library).awaiting_validation().count()
    report.figure("patrons.queue.pending", pending, "patrons")
    report.figure("patrons.queue.queries_with_10000_pending", _queue_queries(staff), "queries")
    report.timings(
        "patrons.queue.server_time_10000_pending",
        time_calls(lambda: staff.get("/gestion/usagers/"), 100),
    )
    report.timings(
        "patrons.queue.last_page_server_time",
        time_calls(lambda: staff.get("/gestion/usagers/?page=200"), 50),
    )
