"""`make faults`: scripted fault drills against the real stack, each saying what it did
and what it saw. Exit status 1 when something was lost or the service did not recover.

The stack: a fresh PostgreSQL database `boite_faults` (FAULTS_PG), Redis database 13,
migrate + load_demo, gunicorn (2 workers × 4 threads) on a loopback port, the Huey
worker (`manage.py run_huey`) delivering e-mail to a real SMTP server (aiosmtpd) on
loopback that the drills stop and start.

Drills:
1. PostgreSQL connections killed (pg_terminate_backend) while visitors browse.
2. PostgreSQL connection killed in the middle of a long write (an ILS import of
   4 000 patrons in one transaction): nothing or everything, then the import again.
3. SMTP server down when e-mails are due: the worker retries until delivery, none lost.
4. A SIP2 server that never answers: logins get « service indisponible » in bounded
   time, and what the rest of the portal sees meanwhile; then a second wave, which the
   circuit breaker answers at once without calling the server.
5. The worker killed (SIGKILL) in the middle of the nightly patron job: nothing
   half-written; the next run finishes the work.
6. PostgreSQL restarted while the worker applies a harvest: the run is recorded failed,
   the catalogue (count and checksum) and its index are as before; the run again
   completes.
7. PostgreSQL restarted while 12 patrons borrow and return PNB e-books through gunicorn
   (fake Dilicom on loopback): no phantom loan — what the portal counts open is what
   the distributor counts — and later checkouts succeed without restarting gunicorn.
8. The worker killed (SIGKILL) in the middle of a harvest: the next worker marks the run
   failed « interrompu », the catalogue is as before.

PostgreSQL restarts (`pg_ctlcluster … restart`, fast shutdown) cut every connection of
the server, other users' included: they are short, and PostgreSQL is started again
whatever happens (try/finally, and once more at the end of the drills).

`FAULTS_DRILLS=6,7` runs only those drills.

The fast versions of these live in the suite (boite/tests/test_faults.py and
boite/patrons/tests/test_sip2.py); the slow parts stay here.
"""

from __future__ import annotations

import email
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
PG = os.environ.get("FAULTS_PG", "postgres://postgres@127.0.0.1:5432")
DB_NAME = os.environ.get("FAULTS_DB", "boite_faults")
REDIS = os.environ.get("FAULTS_REDIS", "redis://127.0.0.1:6379/13")
VAR = ROOT / "var" / "faults"
DROP = ROOT / "var" / "faults-drop"
PG_CTLCLUSTER = "/usr/bin/pg_ctlcluster"
PG_CLUSTER = (
    os.environ.get("FAULTS_PG_VERSION", "")
    or sorted(os.listdir("/etc/postgresql"), key=lambda v: int(v) if v.isdigit() else 0)[-1],
    os.environ.get("FAULTS_PG_CLUSTER", "main"),
)
IMPORT_ROWS = 4000
HARVEST_ROWS = 30_000  # records of the drill's resource before the harvest
CHECKOUT_PATRONS = 12
MAILS = 20
SIP2_TIMEOUT = 3.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


SMTP_PORT = free_port()
ENV = {
    **os.environ,
    "DATABASE_URL": f"{PG}/{DB_NAME}",
    "REDIS_URL": REDIS,
    "BOITE_VAR_DIR": str(VAR),
    "CATALOG_DROP_DIR": str(DROP),  # the drills' harvest files, read by the worker
    "DJANGO_SETTINGS_MODULE": "boite.settings",
    "DEBUG": "false",
    "LOG_LEVEL": "WARNING",
    "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    "EMAIL_HOST": "127.0.0.1",
    "EMAIL_PORT": str(SMTP_PORT),
    "MAIL_RETRY_DELAYS": "1",
    "MAIL_GIVE_UP_AFTER_SECONDS": "60",
    "HUEY_WORKERS": "2",
    # A harvest's sign of life every second: a dead one is seen after 10 s (drill 8).
    "JOBS_HEARTBEAT_SECONDS": "1",
}
ENV.pop("BOITE_TESTING", None)


def say(message: str) -> None:
    print(message, flush=True)


class Verdict:
    def __init__(self) -> None:
        self.failures: list[str] = []

    def check(self, ok: bool, what: str) -> None:
        say(f"   {'ok  ' if ok else 'FAIL'} {what}")
        if not ok:
            self.failures.append(what)


# -- the stack ---------------------------------------------------------------------


class Inbox:
    """aiosmtpd handler: keeps the subject of every message accepted."""

    def __init__(self) -> None:
        self.subjects: list[str] = []

    async def handle_DATA(self, server, session, envelope):
        self.subjects.append(email.message_from_bytes(envelope.content)["Subject"])
        return "250 OK"


class Smtp:
    def __init__(self) -> None:
        self.inbox = Inbox()
        self.controller = None

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=SMTP_PORT)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


def manage(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 — our own manage.py
        [BIN / "python", "manage.py", *args], cwd=ROOT, env=ENV, check=True, **kwargs
    )


def admin_sql(sql: str, *params) -> list[tuple]:
    """A query on a second connection, to the maintenance database."""
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as connection:
        cursor = connection.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def postgresql_running() -> bool:
    status = subprocess.run(  # noqa: S603 — the cluster's own tool
        [PG_CTLCLUSTER, *PG_CLUSTER, "status"], capture_output=True, check=False
    )
    return status.returncode == 0


def ensure_postgresql_running() -> None:
    """Whatever happened, the server runs again (other work on this machine uses it)."""
    if not postgresql_running():
        subprocess.run(  # noqa: S603 — the cluster's own tool
            [PG_CTLCLUSTER, "--skip-systemctl-redirect", *PG_CLUSTER, "start"],
            capture_output=True,
            check=False,
            timeout=120,
        )


def wait_for_postgresql(seconds: float = 60) -> None:
    import psycopg

    deadline = time.monotonic() + seconds
    while True:
        try:
            with psycopg.connect(f"{PG}/postgres", connect_timeout=2):
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def restart_postgresql() -> float:
    """Restart the server (fast shutdown: every connection cut); the seconds it took
    until it accepted connections again."""
    started = time.monotonic()
    try:
        subprocess.run(  # noqa: S603 — the cluster's own tool
            [PG_CTLCLUSTER, "--skip-systemctl-redirect", "-m", "fast", *PG_CLUSTER, "restart"],
            capture_output=True,
            check=True,
            timeout=120,
        )
    finally:
        ensure_postgresql_running()
    wait_for_postgresql()
    return time.monotonic() - started


def kill_backends(application_name: str | None = None) -> int:
    sql = (
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = %s AND pid <> pg_backend_pid()"
    )
    params = [DB_NAME]
    if application_name:
        sql += " AND application_name = %s"
        params.append(application_name)
    return len(admin_sql(sql, *params))


class Stack:
    def __init__(self) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.server = None
        self.worker = None
        self.smtp = Smtp()

    def setup(self) -> None:
        VAR.mkdir(parents=True, exist_ok=True)
        say(f"# stack: database {DB_NAME}, Redis {REDIS}, SMTP on 127.0.0.1:{SMTP_PORT}")
        admin_sql(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        admin_sql(f'CREATE DATABASE "{DB_NAME}"')
        import redis

        redis.Redis.from_url(REDIS).flushdb()
        manage("migrate", "--no-input", "-v0")
        manage("load_demo", stdout=subprocess.DEVNULL)
        manage("compilemessages", "--ignore=.venv", "-v0")
        manage("collectstatic", "--no-input", "-v0")
        self.smtp.start()
        self.start_worker()
        self.server = subprocess.Popen(  # noqa: S603 — our own executables
            [
                *(BIN / "gunicorn", "boite.wsgi", "--bind", f"127.0.0.1:{self.port}"),
                *("--workers", "2", "--threads", "4"),
            ],
            cwd=ROOT,
            env=ENV,
            stderr=open(VAR / "gunicorn.log", "ab"),  # noqa: SIM115 — lives as long as gunicorn
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{self.base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not start")
            time.sleep(0.3)
        say(f"# gunicorn on {self.base} (2 workers × 4 threads), Huey worker pid {self.worker.pid}")

    def start_worker(self) -> None:
        self.worker = subprocess.Popen(  # noqa: S603 — our own manage.py
            [BIN / "python", "manage.py", "run_huey", "--quiet"],
            cwd=ROOT,
            env={**ENV, "PGAPPNAME": "faults-worker"},
            stdout=open(VAR / "huey.log", "ab"),  # noqa: SIM115 — lives as long as the worker
            stderr=subprocess.STDOUT,
        )

    def teardown(self) -> None:
        from django.db import connections

        connections.close_all()
        for process in (self.server, self.worker):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(timeout=30)
        self.smtp.stop()
        admin_sql(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


# -- drills ------------------------------------------------------------------------


def drill_requests(stack: Stack, verdict: Verdict) -> None:
    say("\n## 1. PostgreSQL connections killed while 6 visitors browse for 9 s")
    from django.db import connections

    connections.close_all()
    seen: list[tuple[float, str, int]] = []
    start = time.monotonic()
    stop = threading.Event()

    def visitor(paths: list[str]) -> None:
        with httpx.Client(base_url=stack.base, timeout=15) as client:
            while not stop.is_set():
                for path in paths:
                    try:
                        status = client.get(path).status_code
                    except httpx.HTTPError:
                        status = 0
                    seen.append((time.monotonic() - start, path, status))

    paths = ["/", "/bibliotheques/?q=caen", "/categories/cinema/", "/healthz"]
    threads = [
        threading.Thread(target=visitor, args=(paths[i % 4 :] + paths[: i % 4],)) for i in range(6)
    ]
    for thread in threads:
        thread.start()
    kills = []
    for at in (2.5, 4.5, 6.5):
        time.sleep(max(0, at - (time.monotonic() - start)))
        kills.append(kill_backends())
    time.sleep(max(0, 9 - (time.monotonic() - start)))
    stop.set()
    for thread in threads:
        thread.join()
    errors = [s for s in seen if s[2] != 200]
    after = [s for s in seen if s[0] > 7.5]
    say(
        f"   did: pg_terminate_backend on every connection of the portal at 2.5, 4.5, 6.5 s "
        f"({', '.join(map(str, kills))} connections)"
    )
    say(
        f"   saw: {len(seen)} requests, {len(errors)} not 200 "
        f"({', '.join(sorted({f'{p} {c}' for _t, p, c in errors})) or 'none'})"
    )
    verdict.check(
        bool(after) and all(s[2] == 200 for s in after),
        f"recovered by itself: the {len(after)} requests after the last kill all 200",
    )
    verdict.check(
        len(errors) <= len(kills) * 8,
        "errors only for requests in flight at the kill (at most one per thread)",
    )


def _import_csv(path: Path) -> None:
    lines = ["Carte;Nom;Prénom;Date de naissance;Courriel;Fin abonnement"]
    for n in range(IMPORT_ROWS):
        lines.append(f"FAULT{n:06d};Exercice;Camille;01/02/1980;drill{n}@faults.example;31/12/2030")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


IMPORT_SCRIPT = """
import time
from django.db import transaction
from boite.networks.models import Library
from boite.patrons import importer
text = open({path!r}, encoding="utf-8").read()
library = Library.objects.get(slug="mediatheque-de-bayeux")
start = time.monotonic()
with transaction.atomic():
    result = importer.apply(text, library, actor=None)
print("import", result.counts(), f"{{time.monotonic() - start:.1f}} s")
"""


def drill_long_write(stack: Stack, verdict: Verdict) -> None:
    say(
        f"\n## 2. PostgreSQL connection killed during a long write (ILS import, {IMPORT_ROWS} rows)"
    )
    from boite.patrons.models import Patron

    path = VAR / "import.csv"
    _import_csv(path)
    script = IMPORT_SCRIPT.format(path=str(path))
    env = {**ENV, "PGAPPNAME": "faults-import"}
    job = subprocess.Popen(  # noqa: S603 — our own manage.py
        [BIN / "python", "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    killed, started = 0, time.monotonic()
    while job.poll() is None and not killed:
        rows = admin_sql(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'faults-import' "
            "AND xact_start < now() - interval '1.5 seconds'"
        )
        if rows[0][0]:
            killed = kill_backends("faults-import")
        time.sleep(0.1)
    _out, err = job.communicate(timeout=60)
    written = Patron.objects.filter(card_number__startswith="FAULT").count()
    say(
        f"   did: killed the import's connection {time.monotonic() - started:.1f} s into its "
        f"transaction; the import {'failed' if job.returncode else 'finished'} "
        f"({([line for line in err.splitlines() if 'Error:' in line] or ['no error'])[-1][:120]})"
    )
    verdict.check(killed == 1 and job.returncode != 0, "the import was interrupted")
    verdict.check(
        written == 0, f"nothing half-written: {written} of {IMPORT_ROWS} patrons in the database"
    )
    done = subprocess.run(  # noqa: S603 — our own manage.py
        [BIN / "python", "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        check=False,
    )
    written = Patron.objects.filter(card_number__startswith="FAULT").count()
    say(f"   did: the same import again: {(done.stdout.strip().splitlines() or [''])[-1]}")
    verdict.check(written == IMPORT_ROWS, f"the second run wrote all {written} patrons")


def drill_smtp(stack: Stack, verdict: Verdict) -> None:
    say(f"\n## 3. SMTP server down when {MAILS} e-mails are due (retry every 1 s for 60 s)")
    from boite.lib.mail import deliver_mail

    stack.smtp.stop()
    before = len(stack.smtp.inbox.subjects)
    subjects = [f"Drill message {n:02d}" for n in range(MAILS)]
    for subject in subjects:
        deliver_mail(subject, "Fault drill.", ["patron@faults.example"], None)
    time.sleep(4)
    during = len(stack.smtp.inbox.subjects) - before
    say(
        f"   did: stopped the SMTP server, queued {MAILS} e-mails, waited 4 s "
        f"(saw {during} delivered)"
    )
    stack.smtp.start()
    started = time.monotonic()
    while time.monotonic() - started < 30:
        got = [s for s in stack.smtp.inbox.subjects if s and s.startswith("Drill message")]
        if len(got) >= MAILS:
            break
        time.sleep(0.2)
    got = [s for s in stack.smtp.inbox.subjects if s and s.startswith("Drill message")]
    say(f"   did: started it again; {len(got)} delivered {time.monotonic() - started:.1f} s later")
    verdict.check(
        sorted(got) == subjects, f"none lost, none twice: {len(set(got))} distinct of {MAILS}"
    )


def drill_sip2(stack: Stack, verdict: Verdict) -> None:
    say(
        f"\n## 4. A SIP2 server that never answers (timeout {SIP2_TIMEOUT:.0f} s), 6 logins at once"
    )
    import re

    from boite.networks.models import Network
    from boite.patrons.models import PatronRules
    from boite.patrons.tests.sip2_server import Sip2TestServer

    network = Network.objects.get(slug="caen-la-mer")
    with Sip2TestServer() as sip2:
        sip2.state.mode = "silent"
        rules, _new = PatronRules.objects.get_or_create(network=network)
        saved = (rules.identity_source, rules.sip2_host, rules.sip2_port, rules.sip2_timeout)
        rules.identity_source = PatronRules.IdentitySource.SIP2
        rules.sip2_host, rules.sip2_port, rules.sip2_timeout = "127.0.0.1", sip2.port, SIP2_TIMEOUT
        rules.save()
        results: list[tuple[float, int, bool]] = []
        others: list[tuple[float, int]] = []

        def login(n: int, results: list = results) -> None:
            with httpx.Client(
                base_url=stack.base, headers={"Host": "caen.localhost"}, timeout=30
            ) as c:
                form = c.get("/connexion/").text
                token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)
                t = time.monotonic()
                answer = c.post(
                    "/connexion/",
                    data={
                        "csrfmiddlewaretoken": token.group(1) if token else "",
                        "identifier": f"CAEN{n:04d}",
                        "secret": "1234",
                    },
                )
                results.append(
                    (
                        time.monotonic() - t,
                        answer.status_code,
                        "service indisponible" in answer.text,
                    )
                )

        def visitor() -> None:
            with httpx.Client(base_url=stack.base, timeout=30) as c:
                for _n in range(10):
                    t = time.monotonic()
                    status = c.get("/").status_code
                    others.append((time.monotonic() - t, status))
                    time.sleep(0.5)

        threads = [threading.Thread(target=login, args=(n,)) for n in range(6)]
        threads.append(threading.Thread(target=visitor))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        # The breaker is open now (PATRONS_SIP2_BREAKER_FAILURES failures in a row): a
        # second wave must be answered without calling the silent server.
        connections = sip2.state.connections
        second: list[tuple[float, int, bool]] = []
        threads = [threading.Thread(target=login, args=(n, second)) for n in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        second_connections = sip2.state.connections - connections
        rules.identity_source, rules.sip2_host, rules.sip2_port, rules.sip2_timeout = saved
        rules.save()
    slowest = max(r[0] for r in results)
    say(
        f"   saw: logins answered in {min(r[0] for r in results):.1f}–{slowest:.1f} s, "
        f"statuses {sorted({r[1] for r in results})}; the home page meanwhile: "
        f"max {max(o[0] for o in others) * 1000:.0f} ms, statuses {sorted({o[1] for o in others})}"
    )
    verdict.check(
        all(r[1] == 200 and r[2] for r in results),
        "every login got « service indisponible », none a server error",
    )
    verdict.check(
        slowest <= 2 * SIP2_TIMEOUT + 2, f"in bounded time (≤ {2 * SIP2_TIMEOUT + 2:.0f} s)"
    )
    verdict.check(all(o[1] == 200 for o in others), "the rest of the portal kept answering")
    say(
        f"   saw: a second wave of 6 logins answered in {min(r[0] for r in second):.2f}–"
        f"{max(r[0] for r in second):.2f} s; {second_connections} connections to the server"
    )
    verdict.check(
        all(r[1] == 200 and r[2] for r in second) and second_connections == 0,
        "circuit open: the second wave got « service indisponible » without calling the ILS",
    )


def drill_worker(stack: Stack, verdict: Verdict) -> None:
    say("\n## 5. The worker killed (SIGKILL) in the middle of the nightly patron job")
    from datetime import timedelta

    from django.utils import timezone

    from boite.patrons.models import Patron, PatronEvent
    from boite.patrons.tasks import daily_patron_jobs

    yesterday = timezone.localdate() - timedelta(days=1)
    drill = Patron.objects.filter(card_number__startswith="FAULT")
    drill.update(state=Patron.State.TRIAL, trial_ends_on=yesterday)
    total = drill.count()

    def tally() -> tuple[int, int, int]:
        ended = PatronEvent.objects.filter(patron__in=drill, kind=PatronEvent.Kind.TRIAL_ENDED)
        awaiting = drill.filter(state=Patron.State.AWAITING)
        return (
            awaiting.count(),
            awaiting.exclude(pk__in=ended.values("patron")).count()
            + drill.filter(state=Patron.State.TRIAL, pk__in=ended.values("patron")).count(),
            ended.count(),
        )

    daily_patron_jobs()
    started = time.monotonic()
    while tally()[0] < total // 5 and time.monotonic() - started < 60:
        time.sleep(0.05)
    stack.worker.send_signal(signal.SIGKILL)
    stack.worker.wait()
    awaiting, half, events = tally()
    say(
        f"   did: queued the nightly job for {total} ended trials, killed the worker "
        f"{time.monotonic() - started:.1f} s later; {awaiting} done, {total - awaiting} not"
    )
    verdict.check(
        half == 0 and events == awaiting,
        f"nothing half-written: {half} patrons with state and event log disagreeing",
    )
    stack.start_worker()
    daily_patron_jobs()  # what the next night's schedule does
    started = time.monotonic()
    while tally()[0] < total and time.monotonic() - started < 120:
        time.sleep(0.2)
    awaiting, half, events = tally()
    say(
        f"   did: restarted the worker and ran the job again: {awaiting} of {total} done "
        f"{time.monotonic() - started:.1f} s later"
    )
    verdict.check(
        awaiting == total and half == 0 and events == total,
        "the next run finished the work, one event per patron",
    )


# -- PostgreSQL restarted during a harvest --------------------------------------------


def _harvest_csv(path: Path, rows: int, edition: str, start: int = 0) -> Path:
    lines = ["id;titre;resume;type;annee"]
    for n in range(start, start + rows):
        lines.append(
            f"ex-{n:06d};Exercice n° {n} ({edition});Une notice de l'exercice de moisson, "
            f"édition {edition}.;magazine;{2000 + n % 25}"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _catalogue() -> tuple[int, str]:
    """Count and checksum of the whole catalogue, as the database has it."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), md5(coalesce(string_agg(id::text || ':' || resource_id::text "
            "|| ':' || provider_id || ':' || fingerprint || ':' || withdrawn::text || ':' "
            "|| title, ',' ORDER BY id), '')) FROM catalog_record"
        )
        return cursor.fetchone()


def _indexed(resource) -> int:
    from boite.catalog.search import SearchQuery, get_backend

    return get_backend().search(SearchQuery(resource_ids=[resource.pk], per_page=1)).count


def _drill_resource():
    from boite.catalog.categories import Category
    from boite.catalog.models import Provider, Resource
    from boite.networks.models import Network

    provider, _new = Provider.objects.get_or_create(slug="exercice", defaults={"name": "Exercice"})
    resource, _new = Resource.objects.get_or_create(
        slug="exercice-moisson",
        defaults={
            "provider": provider,
            "name": "Exercice de moisson",
            "category": Category.PRESS,
            "harvest_format": "csv",
        },
    )
    resource.networks.set(Network.objects.all())
    return resource


def _wait_for_run(run, seconds: float = 180):
    """The run once finished, read on a connection that survives the restarts."""
    from django.db import DatabaseError, connections

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            run.refresh_from_db()
            if run.is_finished:
                return run
        except DatabaseError:
            connections.close_all()
        time.sleep(0.2)
    return run


def _worker_query_running(pattern: str) -> bool:
    try:
        rows = admin_sql(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'faults-worker' "
            "AND state = 'active' AND query LIKE %s",
            pattern,
        )
    except Exception:  # the server may be restarting
        return False
    return bool(rows[0][0])


def drill_harvest_restart(stack: Stack, verdict: Verdict) -> None:
    say("\n## 6. PostgreSQL restarted while the worker applies a harvest")
    from django.db import connections

    from boite.catalog.harvest.runner import harvest, start_run
    from boite.catalog.models import HarvestRun, StagedRecord
    from boite.catalog.tasks import run_harvest

    resource = _drill_resource()
    first = harvest(resource, source=str(_harvest_csv(VAR / "harvest-a.csv", HARVEST_ROWS, "A")))
    source = _harvest_csv(DROP / "harvest-b.csv", 2 * HARVEST_ROWS, "B")
    before, indexed = _catalogue(), _indexed(resource)
    say(
        f"   did: harvested {first.created} records into « {resource.name} »; catalogue "
        f"{before[0]} records, checksum {before[1][:12]}…, {indexed} in the index"
    )
    run = start_run(resource, drop_file=source.name)
    run_harvest(run.pk)  # queued for the worker, as the back office does
    started = time.monotonic()
    while not _worker_query_running('INSERT INTO "catalog_record"%'):
        if time.monotonic() - started > 120:
            break
        time.sleep(0.05)
    caught = time.monotonic() - started < 120
    outage = restart_postgresql()
    connections.close_all()
    run = _wait_for_run(run)
    say(
        f"   did: queued a harvest of {2 * HARVEST_ROWS} records ({HARVEST_ROWS} changed, "
        f"{HARVEST_ROWS} new); restarted PostgreSQL {time.monotonic() - started - outage:.1f} s "
        f"in, while the worker wrote the records (back after {outage:.1f} s)"
    )
    say(f"   saw: the run « {run.get_status_display()} »: {run.error[:160]}")
    verdict.check(caught, "the restart struck while the run applied its records")
    verdict.check(
        run.status == HarvestRun.Status.FAILED and bool(run.error), "the run is recorded failed"
    )
    after = _catalogue()
    verdict.check(
        after == before and _indexed(resource) == indexed,
        f"the catalogue is as before: {after[0]} records, checksum {after[1][:12]}…, "
        f"{_indexed(resource)} in the index",
    )
    verdict.check(not StagedRecord.objects.filter(run=run).exists(), "no staging rows left behind")
    portal = httpx.get(f"{stack.base}/recherche/?q=exercice", timeout=15).status_code
    verdict.check(portal == 200, f"the portal answers without a restart ({portal})")
    again = start_run(resource, drop_file=source.name)
    run_harvest(again.pk)
    again = _wait_for_run(again)
    say(
        f"   did: the same harvest again: « {again.get_status_display()} », {again.created} "
        f"created, {again.updated} updated"
    )
    # The run is « succeeded » from its database commit; the index commits just after.
    deadline = time.monotonic() + 30
    while _indexed(resource) != 2 * HARVEST_ROWS and time.monotonic() < deadline:
        time.sleep(0.5)
    verdict.check(
        again.status == HarvestRun.Status.SUCCEEDED
        and (again.created, again.updated) == (HARVEST_ROWS, HARVEST_ROWS)
        and _catalogue()[0] == before[0] + HARVEST_ROWS
        and _indexed(resource) == 2 * HARVEST_ROWS,
        "the second run completes, and the index follows",
    )


# -- PostgreSQL restarted during checkouts ----------------------------------------------

_CSRF = r'name="csrfmiddlewaretoken" value="([^"]+)"'
_LOAN = r'action="/compte/prets/rendre/".*?name="loan" value="([0-9a-f-]{36})"'


class _Borrower:
    """A patron with a browser of its own (httpx) on the portal through gunicorn."""

    def __init__(self, base: str, address: str, password: str) -> None:
        import re

        self.re = re
        self.client = httpx.Client(
            base_url=base, headers={"Host": "localhost"}, timeout=30, follow_redirects=True
        )
        form = self.client.get("/connexion/").text
        token = re.search(_CSRF, form)
        answer = self.client.post(
            "/connexion/",
            data={"csrfmiddlewaretoken": token.group(1), "identifier": address, "secret": password},
        )
        if "/compte/" not in str(answer.url):
            raise RuntimeError(f"{address} could not log in")

    def borrow_and_return(self, record_id: int) -> list[tuple[str, int]]:
        """Each step and its status (0: no answer); a refusal is a status like any other."""
        steps = []
        try:
            form = self.client.get(f"/prets/emprunter/{record_id}/")
            token = self.re.search(_CSRF, form.text)
            if form.status_code != 200 or not token:
                return [("borrow form", form.status_code)]
            posted = self.client.post(
                f"/prets/emprunter/{record_id}/",
                data={
                    "csrfmiddlewaretoken": token.group(1),
                    "days": "14",
                    "passphrase": "exercice de panne",
                    "hint": "la phrase de l'exercice",
                },
            )
            if "/compte/prets/" not in str(posted.url):
                # refused (409: no copy left; 200: a limit), or the server failed
                steps.append(("borrow refused", posted.status_code))
                return steps
            steps.append(("borrow", posted.status_code))
            uuid = self.re.search(_LOAN, posted.text, self.re.DOTALL)
            token = self.re.search(_CSRF, posted.text)
            if uuid and token:
                back = self.client.post(
                    "/compte/prets/rendre/",
                    data={"csrfmiddlewaretoken": token.group(1), "loan": uuid.group(1)},
                )
                steps.append(("return", back.status_code))
        except httpx.HTTPError:
            steps.append(("no answer", 0))
        return steps


def _lendable_records() -> list[int]:
    from boite.lending.models import Licence

    return sorted(
        set(Licence.objects.filter(record__isnull=False).values_list("record_id", flat=True))
    )


def _loans_both_sides(fake, account) -> dict:
    from django.db.models import Q

    from boite.lending.models import Licence, Loan

    with fake.lock:
        fake._settle()
        there = {loan_id for loan_id, loan in fake.open_loans.items() if loan.is_open}
        in_use_there = sum(licence.in_use for licence in fake.licences.values())
    here = {
        str(u)
        for u in Loan.objects.filter(state__in=Loan.OPEN_STATES).values_list("uuid", flat=True)
    }
    active = Loan.objects.filter(state=Loan.State.ACTIVE)
    settled_later = {  # what the next sync asks the distributor about
        str(u)
        for u in Loan.objects.filter(
            Q(state__in=[Loan.State.PENDING, Loan.State.UNCERTAIN])
            | Q(state=Loan.State.ACTIVE, return_requested_at__isnull=False)
        ).values_list("uuid", flat=True)
    }
    in_use_here = sum(
        Licence.objects.filter(account=account).values_list("concurrent_in_use", flat=True)
    )
    return {
        "portal_open": here,
        "portal_active": {str(u) for u in active.values_list("uuid", flat=True)},
        "to_settle": settled_later,
        "distributor_open": there,
        "in_use_portal": in_use_here,
        "in_use_distributor": in_use_there,
    }


def drill_checkout_restart(stack: Stack, verdict: Verdict) -> None:
    say(f"\n## 7. PostgreSQL restarted while {CHECKOUT_PATRONS} patrons borrow and return")
    import random
    from collections import Counter

    from django.contrib.auth.hashers import make_password
    from django.db import connections
    from django.utils import timezone

    from boite.lending import loans as lending
    from boite.lending.demo import ACCOUNT_NAME
    from boite.lending.models import DistributorAccount, LendingRules, Licence, Loan
    from boite.lending.tests.fakes import GLN, FakeDilicom, mirror
    from boite.lending.tests.fakes import PASSWORD as GLN_PASSWORD
    from boite.networks.models import Library, User
    from boite.patrons.factories import make_patron

    password = "exercice-de-panne"  # noqa: S105 — a throw-away database
    library = Library.objects.get(slug="mediatheque-de-bayeux")
    emails = [f"emprunt{n:02d}@faults.example" for n in range(CHECKOUT_PATRONS)]
    for address in emails:
        make_patron(library, email=address)
    User.objects.filter(email__in=emails).update(password=make_password(password))
    fake = FakeDilicom().start()
    account = DistributorAccount.objects.get(name=ACCOUNT_NAME)
    DistributorAccount.objects.filter(pk=account.pk).update(
        base_url=fake.url, login=GLN, password=GLN_PASSWORD, timeout_seconds=10
    )
    # Copies and loans enough for everyone: the drill is about the restart, not the queue
    # or the limits (each patron here borrows dozens of times a minute).
    account.licences.update(concurrent_max=20, loans_total=1000, loans_left=1000)
    LendingRules.objects.update_or_create(
        network=library.network, defaults={"max_loans_per_month": 10_000}
    )
    mirror(fake, Licence.objects.filter(account=account))
    records = _lendable_records()
    borrowers = [_Borrower(stack.base, address, password) for address in emails]
    events: list[tuple[float, str, int]] = []
    stop = threading.Event()
    start = time.monotonic()

    def patron(borrower: _Borrower) -> None:
        while not stop.is_set():
            for step, status in borrower.borrow_and_return(random.choice(records)):
                events.append((time.monotonic() - start, step, status))

    threads = [threading.Thread(target=patron, args=(b,)) for b in borrowers]
    try:
        for thread in threads:
            thread.start()
        time.sleep(3)
        down_at = time.monotonic() - start
        outage = restart_postgresql()
        up_at = down_at + outage
        time.sleep(6)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    connections.close_all()
    during = Counter(f"{step} {status}" for t, step, status in events if down_at <= t <= up_at + 1)
    after = [(t, step, status) for t, step, status in events if t > up_at + 1]
    say(
        f"   did: {len(events)} borrow/return steps over {time.monotonic() - start:.0f} s; "
        f"PostgreSQL restarted {down_at:.1f} s in, back after {outage:.1f} s"
    )
    say(f"   saw: around the restart {dict(sorted(during.items()))}")
    verdict.check(
        bool(after) and all(status in (200, 409) for _t, _s, status in after),
        f"every step after the restart answered (200, or 409 « plus d'exemplaire »): "
        f"{len(after)} steps",
    )
    states = dict(Counter(Loan.objects.values_list("state", flat=True)))
    sides = _loans_both_sides(fake, account)
    say(
        f"   saw: loans in the portal {states}; open at the distributor "
        f"{len(sides['distributor_open'])}, in the portal {len(sides['portal_open'])}, of "
        f"which {len(sides['to_settle'])} cut by the restart (pending, or a return asked)"
    )
    verdict.check(
        sides["distributor_open"] <= sides["portal_open"]
        and sides["portal_open"] - sides["distributor_open"] <= sides["to_settle"],
        "no phantom loan: every loan open at the distributor is open in the portal; every "
        "other one the restart cut is marked for the next sync",
    )
    # What the next sync does with loans left pending by the restart (after 2 minutes).
    settled = lending.settle_uncertain_loans(now=timezone.now() + lending.SETTLE_AFTER)
    sides = _loans_both_sides(fake, account)
    verdict.check(
        sides["portal_open"] == sides["distributor_open"]
        and sides["in_use_portal"] == sides["in_use_distributor"],
        f"after the sync settled {settled} pending loan(s): open loans {len(sides['portal_open'])} "
        f"== {len(sides['distributor_open'])} at the distributor, copies in use "
        f"{sides['in_use_portal']} == {sides['in_use_distributor']}",
    )
    later = []
    for address, borrower in zip(emails, borrowers, strict=True):
        held = set(
            Loan.objects.filter(
                patron__user__email=address, state__in=Loan.OPEN_STATES
            ).values_list("record_id", flat=True)
        )  # a title still on loan from the drill is not borrowed twice
        later += borrower.borrow_and_return(next(r for r in records if r not in held))
    say(f"   did: one more loan per patron, gunicorn untouched: {dict(Counter(later))}")
    verdict.check(
        bool(later) and all(step in (("borrow", 200), ("return", 200)) for step in later),
        "later checkouts succeed without restarting gunicorn",
    )
    for borrower in borrowers:
        borrower.client.close()
    fake.stop()


# -- the worker killed during a harvest --------------------------------------------------


def drill_harvest_killed(stack: Stack, verdict: Verdict) -> None:
    say("\n## 8. The worker killed (SIGKILL) in the middle of a harvest")
    from boite.catalog.harvest.runner import INTERRUPTED, live_progress, start_run
    from boite.catalog.models import HarvestRun, StagedRecord
    from boite.catalog.tasks import run_harvest

    resource = _drill_resource()
    before = _catalogue()
    source = _harvest_csv(DROP / "harvest-c.csv", 3 * HARVEST_ROWS, "C")
    run = start_run(resource, drop_file=source.name)
    run_harvest(run.pk)
    started = time.monotonic()
    while time.monotonic() - started < 60:
        run.refresh_from_db()
        # The row says nothing until the run's transaction commits: its progress is in
        # the cache while it works.
        if live_progress(run).read > 0:
            break
        time.sleep(0.05)
    stack.worker.send_signal(signal.SIGKILL)
    stack.worker.wait()
    run.refresh_from_db()
    say(
        f"   did: killed the worker {time.monotonic() - started:.1f} s into the run "
        f"({live_progress(run).read} records read, « {run.get_status_display()} »); "
        "waited 11 s (ten beats), "
        "started a worker"
    )
    time.sleep(11)
    stack.start_worker()
    run = _wait_for_run(run, seconds=60)
    say(f"   saw: « {run.get_status_display()} »: {run.error[:120]}")
    verdict.check(
        run.status == HarvestRun.Status.FAILED and run.error == str(INTERRUPTED),
        "the new worker recorded the run as interrupted",
    )
    verdict.check(
        _catalogue() == before and not StagedRecord.objects.filter(run=run).exists(),
        "the catalogue is as before, no staging rows left",
    )


DRILLS = {
    "requests": drill_requests,
    "long_write": drill_long_write,
    "smtp": drill_smtp,
    "sip2": drill_sip2,
    "worker": drill_worker,
    "harvest_restart": drill_harvest_restart,
    "checkout_restart": drill_checkout_restart,
    "harvest_killed": drill_harvest_killed,
}


def main(only: list[str]) -> int:
    """Every drill, or only those named or numbered (`python -m bench.faults sip2 7`,
    or FAULTS_DRILLS=6,7)."""
    names = list(DRILLS)
    only = [*only, *(n.strip() for n in os.environ.get("FAULTS_DRILLS", "").split(","))]
    only = [names[int(n) - 1] if n.isdigit() and 0 < int(n) <= len(names) else n for n in only if n]
    unknown = set(only) - set(DRILLS)
    if unknown:
        say(f"unknown drill(s) {sorted(unknown)}: choose among {names} or their numbers")
        return 2
    os.environ.update(ENV)
    sys.path.insert(0, str(ROOT))
    stack = Stack()
    verdict = Verdict()
    try:
        stack.setup()
        import django

        django.setup()
        for name, drill in DRILLS.items():
            if not only or name in only:
                drill(stack, verdict)
    finally:
        ensure_postgresql_running()
        stack.teardown()
    if verdict.failures:
        say(f"\n# {len(verdict.failures)} drill check(s) failed: " + "; ".join(verdict.failures))
        return 1
    say("\n# every drill: nothing lost, the service recovered by itself")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
