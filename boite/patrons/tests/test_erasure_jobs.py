"""Erasing a patron takes their e-mails out of the worker's queue and schedule too:
nothing addressed to them is left to send, or kept in the job storage."""

from __future__ import annotations

import pytest
from django.test import Client
from huey.contrib.djhuey import HUEY

from boite.lib import mail
from boite.lib.models import UndeliveredMail
from conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def jobs():
    HUEY.storage.flush_schedule()
    HUEY.storage.flush_queue()
    yield HUEY
    HUEY.storage.flush_schedule()
    HUEY.storage.flush_queue()


def _recipients(huey) -> list[list[str]]:
    items = [*huey.storage.enqueued_items(), *huey.storage.scheduled_items()]
    return sorted(huey.deserialize_task(data).args[2] for data in items)


def test_erasure_removes_the_queued_and_scheduled_mails_of_the_patron(
    jobs, patron_bayeux, on_commit
):
    theirs, other = [patron_bayeux.email], ["someone@example.org"]
    # A retry waiting in the schedule, and a delivery waiting in the queue, for each.
    for to in (theirs, other):
        mail.deliver_mail.schedule(("Rappel", "Corps", to, None, 1), delay=3600)
        task = mail.deliver_mail.s("Réservation", "Corps", to, None)
        jobs.storage.enqueue(jobs.serialize_task(task))
    UndeliveredMail.objects.create(
        recipients=patron_bayeux.email, subject="Vieux", body="…", attempts=1
    )
    assert _recipients(jobs) == sorted([theirs, theirs, other, other])
    client = Client(HTTP_HOST="localhost")
    client.post("/connexion/", {"identifier": patron_bayeux.email, "secret": PASSWORD})
    with on_commit(execute=True):
        response = client.post("/compte/supprimer/", {"password": PASSWORD, "confirm": "on"})
    assert response.status_code == 302
    assert _recipients(jobs) == [other, other]
    assert not UndeliveredMail.objects.exists()


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
def test_withdrawn_jobs_leave_the_real_storages(kind, tmp_path, settings):
    from huey import RedisHuey, SqliteHuey

    from boite.lib.jobs import withdraw

    if kind == "sqlite":
        huey = SqliteHuey("boite-test", filename=str(tmp_path / "huey.db"))
    else:
        url = settings.REDIS_URL or "redis://127.0.0.1:6379/2"
        huey = RedisHuey(f"boite-test-{tmp_path.name}", url=url)
    task = huey.task(name="deliver")(lambda subject, body, to, reply_to: None)
    huey.enqueue(task.s("A", "b", ["gone@example.org"], None))
    huey.enqueue(task.s("A", "b", ["kept@example.org"], None))
    from datetime import timedelta

    from huey.utils import utcnow

    later = task.s("A", "b", ["gone@example.org"], None)
    later.eta = utcnow() + timedelta(hours=1)
    huey.storage.add_to_schedule(huey.serialize_task(later), later.eta)
    try:
        assert withdraw(lambda t: "gone@example.org" in t.args[2], huey=huey) == 2
        left = [huey.deserialize_task(d).args[2] for d in huey.storage.enqueued_items()]
        assert left == [["kept@example.org"]]
        assert huey.storage.scheduled_items() == []
    finally:
        huey.storage.flush_all()
