"""`make loadtest`: the portal under gunicorn on PostgreSQL + Redis, loaded by locust.

Steps, each printed: a fresh database `boite_loadtest` on LOADTEST_PG (PostgreSQL), Redis
database 14 emptied, migrate, load_demo (networks, patrons, the demo catalogue harvested
from its fixtures, licences), `reindex` (the search index from the database), then in
this process: a CAS connector on each network for the CAS round trips, an account for
each patron of the load (LOADTEST_PATRONS per portal), the fake provider of the access
tests (boite/access/tests/fake_provider.py) behind the signed- and open-link
connectors, the fake PNB distributor of the lending tests (boite/lending/tests/fakes.py)
behind the demo's PNB account — both on 127.0.0.1, in threads of this process.
Then gunicorn on a free loopback port; locust headless (bench/locustfile.py) with
LOADTEST_USERS users for LOADTEST_SECONDS seconds, which stops by itself. Throughput,
p50/p95/p99 and errors per request type and overall are printed and saved to
var/bench/loadtest.json with the load average; the loans the portal and the distributor
each count are compared; gunicorn is stopped and the database dropped. Nothing here
asserts a target: the figures are the result.
"""

from __future__ import annotations

import csv
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
PG = os.environ.get("LOADTEST_PG", "postgres://postgres@127.0.0.1:5432")
DB_NAME = os.environ.get("LOADTEST_DB", "boite_loadtest")
REDIS = os.environ.get("LOADTEST_REDIS", "redis://127.0.0.1:6379/14")
USERS = int(os.environ.get("LOADTEST_USERS", "200"))
SECONDS = int(os.environ.get("LOADTEST_SECONDS", "60"))
SPAWN_RATE = int(os.environ.get("LOADTEST_SPAWN_RATE", "50"))
WORKERS = int(os.environ.get("LOADTEST_WORKERS", "2"))
THREADS = int(os.environ.get("LOADTEST_THREADS", "4"))
PROFILE = os.environ.get("LOADTEST_PROFILE", "1") != "0"
# Accounts per portal for the patrons of the load (a quarter of the users, in two portals).
PATRONS = int(os.environ.get("LOADTEST_PATRONS", str(max(10, USERS // 2))))
PASSWORD = "demo-boite-2026"  # noqa: S105 — the demo's, not a secret
VAR = ROOT / "var" / "loadtest"
OUT = ROOT / "var" / "bench"
CAS_SERVICE = "https://provider.example/cas/callback"
# Host header → network (boite/networks/demo.py); the e-mail as in bench/locustfile.py.
PORTALS = {"localhost": "boite-numerique", "caen.localhost": "caen-la-mer"}
PATRON_EMAIL = "charge{n:03d}@{host}.example"


class Fakes:
    """What the portal talks to during the load, on 127.0.0.1 in this process."""

    def __init__(self) -> None:
        self.provider = None
        self.distributor = None

    def stop(self) -> None:
        if self.provider is not None:
            self.provider.__exit__(None, None, None)
        if self.distributor is not None:
            self.distributor.stop()


def prepare(env: dict, fakes: Fakes) -> None:
    """The connectors, accounts and fakes of the load, written with the ORM of this process."""
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth.hashers import make_password

    from boite.access.models import Connector
    from boite.access.tests.fake_provider import FakeProvider
    from boite.lending.demo import ACCOUNT_NAME
    from boite.lending.models import DistributorAccount
    from boite.lending.tests.fakes import GLN, FakeDilicom, mirror
    from boite.lending.tests.fakes import PASSWORD as GLN_PASSWORD
    from boite.networks.models import Library, Network, User
    from boite.patrons.factories import make_patron

    networks = list(Network.objects.all())
    for network in networks:
        connector, _new = Connector.objects.get_or_create(
            network=network,
            name="Load test (CAS)",
            kind="cas",
            defaults={
                "settings": {
                    "url": "https://provider.example/",
                    "services": [CAS_SERVICE],
                    "attributes": ["card_number", "email"],
                }
            },
        )
        connector.full_clean()
        connector.save()
    emails = []
    for host, slug in PORTALS.items():
        library = Library.objects.members().filter(network__slug=slug).order_by("pk").first()
        for n in range(PATRONS):
            email = PATRON_EMAIL.format(n=n, host=host)
            make_patron(library, email=email, card_number=f"CHARGE-{slug[:4]}-{n:04d}")
            emails.append(email)
    # One hash for all: argon2 takes its time by design, once is enough here.
    User.objects.filter(email__in=emails).update(password=make_password(PASSWORD))
    fakes.provider = FakeProvider().__enter__()
    fakes.provider.serve_demo_connectors(networks)
    fakes.distributor = FakeDilicom().start()
    account = DistributorAccount.objects.get(name=ACCOUNT_NAME)
    DistributorAccount.objects.filter(pk=account.pk).update(
        base_url=fakes.distributor.url, login=GLN, password=GLN_PASSWORD, timeout_seconds=10
    )
    mirror(fakes.distributor, account.licences.all())


def loans_tally(fakes: Fakes) -> dict:
    """Loans as the portal and the distributor each count them, once the load has stopped."""
    from django.db.models import Count

    from boite.lending.models import Loan

    states = dict(Loan.objects.values_list("state").annotate(n=Count("pk")))
    fake = fakes.distributor
    with fake.lock:
        fake._settle()
        at_distributor = sum(
            1 for licence in fake.licences.values() for loan in licence.loans.values()
        )
        open_there = sum(1 for loan in fake.open_loans.values() if loan.is_open)
    open_here = sum(states.get(state, 0) for state in Loan.OPEN_STATES)
    return {
        "by_state": states,
        "made_at_distributor": at_distributor,
        "open_portal": open_here,
        "open_distributor": open_there,
        "agree": open_here == open_there
        and at_distributor == sum(n for s, n in states.items() if s != Loan.State.FAILED),
    }


def profile_requests(rounds: int = 10) -> list[dict]:
    """What each request type of the load costs the portal alone: Django's test client in
    this process, on the prepared database, one request at a time (nothing else queued),
    after one warm-up (so an anonymous page is the kept one, boite.lib.pagecache).
    Queries per request and CPU time per request (this process's CPU, the fakes'
    threads included when a request calls them)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from boite.catalog.models import Record
    from boite.lending.models import Loan
    from boite.patrons.models import Patron

    rounds = max(1, min(rounds, PATRONS - 2))  # one patron per loan, one for the pages
    host = "localhost"
    patron = Patron.objects.get(user__email=PATRON_EMAIL.format(n=PATRONS - 1, host=host))
    anonymous, client = Client(HTTP_HOST=host), Client(HTTP_HOST=host)
    client.force_login(patron.user)
    record = Record.objects.filter(resource__slug="mediatheque-numerique").first()
    ebook = Record.objects.filter(resource__slug="pnb-livres", licences__isnull=False).first()
    search = "/recherche/?q=polar&category=livre&category=cinema&sort=newest"
    gets = [
        ("home (both networks)", anonymous, "/"),
        ("library directory search", anonymous, "/bibliotheques/?q=caen"),
        ("category page", anonymous, "/categories/cinema/"),
        ("search page", anonymous, search),
        ("API search (filters)", anonymous, "/api/search?q=anglais&category=formation"),
        ("API record", anonymous, f"/api/records/{record.pk}"),
        ("record page", anonymous, f"/notices/{record.pk}/"),
        ("record page (patron, e-book)", client, f"/notices/{ebook.pk}/"),
        ("resource page", client, "/ressources/cafeyn/"),
        ("access click (gate)", client, "/acces/vodeclic/"),
        ("login form", anonymous, "/connexion/"),
        ("account page", client, "/compte/"),
        ("my loans", client, "/compte/prets/"),
    ]
    rows = []

    def measure(name: str, call) -> None:
        call()  # warm-up: caches, templates, connections
        queries, cpu, wall = 0, 0.0, 0.0
        for _n in range(rounds):
            with CaptureQueriesContext(connection) as captured:
                cpu_start, wall_start = time.process_time(), time.perf_counter()
                status = call()
                cpu += time.process_time() - cpu_start
                wall += time.perf_counter() - wall_start
            queries += len(captured)
        rows.append(
            {
                "name": name,
                "status": status,
                "queries": round(queries / rounds, 1),
                "cpu_ms": round(cpu / rounds * 1000, 1),
                "wall_ms": round(wall / rounds * 1000, 1),
            }
        )

    for name, who, path in gets:
        measure(name, lambda who=who, path=path: who.get(path).status_code)
    visitor = Client(HTTP_HOST=host)  # one client: a new one loads the middleware again

    def log_in() -> int:
        visitor.cookies.clear()
        answer = visitor.post("/connexion/", {"identifier": patron.user.email, "secret": PASSWORD})
        return answer.status_code

    measure("login (POST)", log_in)
    # One patron per loan: the network's monthly limit (6) would refuse the seventh.
    borrowers = []
    for n in range(rounds + 1):
        user = Patron.objects.get(user__email=PATRON_EMAIL.format(n=n, host=host)).user
        borrower = Client(HTTP_HOST=host)
        borrower.force_login(user)
        borrowers.append(borrower)

    def borrow_and_return() -> int:
        borrower = borrowers.pop()
        answer = borrower.post(
            f"/prets/emprunter/{ebook.pk}/",
            {"days": "14", "passphrase": "lecture au calme", "hint": "la phrase habituelle"},
        )
        loan = Loan.objects.filter(record=ebook, state=Loan.State.ACTIVE).first()
        if loan is not None:
            borrower.post("/compte/prets/rendre/", {"loan": str(loan.uuid)})
        return answer.status_code

    measure("borrow (POST) + return (POST)", borrow_and_return)
    return rows


def step(message: str) -> None:
    print(f"# {message}", flush=True)


def environment() -> dict:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"{PG}/{DB_NAME}",
        REDIS_URL=REDIS,
        BOITE_VAR_DIR=str(VAR),
        DJANGO_SETTINGS_MODULE="boite.settings",
        DEBUG="false",
        LOG_LEVEL="WARNING",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        # locust plays the reverse proxy: it tells each visitor's address (locustfile.py).
        TRUSTED_PROXIES="1",
    )
    env.pop("BOITE_TESTING", None)
    return env


def manage(env: dict, *args: str) -> None:
    subprocess.run([BIN / "python", "manage.py", *args], cwd=ROOT, env=env, check=True)  # noqa: S603


def fresh_database() -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{DB_NAME}"')


def drop_database() -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


def flush_redis() -> None:
    import redis

    redis.Redis.from_url(REDIS).flushdb()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 — loopback
                if response.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.3)


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of gunicorn: its master and every worker."""
    import psutil

    master = psutil.Process(pid)
    total = 0.0
    for process in [master, *master.children(recursive=True)]:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def others_cpu_seconds() -> dict[str, float]:
    """CPU time of the other parts of the load test: PostgreSQL (every backend, other
    users' included), locust (a waited-for child), this process (the fakes' threads)."""
    import resource

    import psutil

    postgres = 0.0
    for process in psutil.process_iter(["name"]):
        if process.info["name"] in ("postgres", "postmaster"):
            try:
                times = process.cpu_times()
            except psutil.Error:
                continue
            postgres += times.user + times.system
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    me = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "postgresql": postgres,
        "locust": children.ru_utime + children.ru_stime,
        "fakes": me.ru_utime + me.ru_stime,
    }


def machine_busy_seconds() -> float:
    import psutil

    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


def read_stats(prefix: Path) -> list[dict]:
    rows = []
    with open(f"{prefix}_stats.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            count = int(row["Request Count"])
            rows.append(
                {
                    "name": "overall" if row["Name"] == "Aggregated" else row["Name"],
                    "method": row["Type"],
                    "requests": count,
                    "errors": int(row["Failure Count"]),
                    "throughput_rps": round(float(row["Requests/s"]), 1),
                    "p50_ms": _ms(row["50%"]),
                    "p95_ms": _ms(row["95%"]),
                    "p99_ms": _ms(row["99%"]),
                    "max_ms": _ms(row["Max Response Time"]),
                }
            )
    return rows


def _ms(value: str) -> float | None:
    return None if value in ("", "N/A") else round(float(value), 1)


def print_table(rows: list[dict]) -> None:
    header = f"{'request type':<30} {'method':<6} {'requests':>8} {'req/s':>7} "
    header += f"{'p50':>6} {'p95':>6} {'p99':>6} {'max':>7} {'errors':>6}"
    print(header)
    for row in rows:
        print(
            f"{row['name']:<30} {row['method']:<6} {row['requests']:>8} "
            f"{row['throughput_rps']:>7} {row['p50_ms']:>6} {row['p95_ms']:>6} "
            f"{row['p99_ms']:>6} {row['max_ms']:>7} {row['errors']:>6}"
        )


def main() -> int:
    env = environment()
    VAR.mkdir(parents=True, exist_ok=True)
    OUT.mkdir(parents=True, exist_ok=True)
    step(f"fresh database {DB_NAME}, Redis {REDIS} emptied")
    fresh_database()
    flush_redis()
    server = None
    fakes = Fakes()
    costs: list[dict] = []
    try:
        step("migrate, load_demo (the catalogue harvested from its fixtures), reindex")
        manage(env, "migrate", "--no-input", "-v0")
        manage(env, "load_demo")
        manage(env, "reindex")
        manage(env, "compilemessages", "--ignore=.venv", "-v0")
        manage(env, "collectstatic", "--no-input", "-v0")
        step(
            f"CAS connectors, {PATRONS} patron accounts per portal, fake provider and fake "
            "PNB distributor on 127.0.0.1"
        )
        prepare(env, fakes)
        if PROFILE:
            step("each request type alone, in this process (queries, CPU)")
            costs = profile_requests()
            print(f"{'request type':<32} {'status':>6} {'queries':>7} {'CPU ms':>7} {'wall ms':>7}")
            for row in costs:
                print(
                    f"{row['name']:<32} {row['status']:>6} {row['queries']:>7} "
                    f"{row['cpu_ms']:>7} {row['wall_ms']:>7}"
                )
        port = free_port()
        step(f"gunicorn on 127.0.0.1:{port}: {WORKERS} workers × {THREADS} threads")
        server = subprocess.Popen(  # noqa: S603 — our own executables
            [
                BIN / "gunicorn",
                "boite.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(WORKERS),
                "--threads",
                str(THREADS),
                "--backlog",
                "2048",
                "--error-logfile",
                str(VAR / "gunicorn.log"),
            ],
            cwd=ROOT,
            env=env,
        )
        wait_until_up(f"http://127.0.0.1:{port}/healthz")
        step(f"locust: {USERS} users (spawn {SPAWN_RATE}/s) for {SECONDS} s")
        prefix = VAR / "locust"
        load_before = os.getloadavg()
        others_before = others_cpu_seconds()
        server_before, busy_before, started = (
            cpu_seconds(server.pid),
            machine_busy_seconds(),
            time.monotonic(),
        )
        subprocess.run(  # noqa: S603 — our own executables
            [
                BIN / "locust",
                "-f",
                str(ROOT / "bench" / "locustfile.py"),
                "--headless",
                "--users",
                str(USERS),
                "--spawn-rate",
                str(SPAWN_RATE),
                "--run-time",
                f"{SECONDS}s",
                "--stop-timeout",
                "10",
                "--host",
                f"http://127.0.0.1:{port}",
                "--csv",
                str(prefix),
                "--only-summary",
                "--loglevel",
                "WARNING",
            ],
            cwd=ROOT,
            env={
                **env,
                "LOADTEST_CAS_SERVICE": CAS_SERVICE,
                "LOADTEST_PROVIDER": fakes.provider.origin,
                "LOADTEST_PATRONS": str(PATRONS),
                "LOADTEST_PASSWORD": PASSWORD,
            },
            timeout=SECONDS + 120,
            check=False,  # locust exits 1 when a request failed: the figures say which
        )
        elapsed = time.monotonic() - started
        server_cpu = cpu_seconds(server.pid) - server_before
        busy = machine_busy_seconds() - busy_before
        others = {
            name: round(seconds - others_before[name], 1)
            for name, seconds in others_cpu_seconds().items()
        }
        rows = read_stats(prefix)
        load = os.getloadavg()
        loans = loans_tally(fakes)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        fakes.stop()
        if "django" in sys.modules:
            from django.db import connections

            connections.close_all()
        drop_database()
    print_table(rows)
    print(
        f"# load average (1 min) on {os.cpu_count()} cores: {load_before[0]:.2f} before the run "
        f"(the neighbours), {load[0]:.2f} at its end (the load test included)"
    )
    # What the portal itself costs, whatever else shares the cores: gunicorn's CPU time per
    # request, and the throughput two cores would give at that cost alone.
    requests_done = max(1, next(r["requests"] for r in rows if r["name"] == "overall"))
    cost_ms = server_cpu / requests_done * 1000
    cores = os.cpu_count() or 1
    capacity = cores / (cost_ms / 1000) if cost_ms else 0
    share = server_cpu / busy if busy else 0
    print(
        f"# gunicorn CPU: {server_cpu:.1f} s for {requests_done} requests = {cost_ms:.1f} ms each "
        f"(≈ {capacity:.0f} req/s if it had the {cores} cores alone); gunicorn used "
        f"{share:.0%} of the {busy:.0f} CPU-seconds the machine spent during the run "
        f"({elapsed:.0f} s)"
    )
    print(
        f"# the rest of the load test: PostgreSQL {others['postgresql']} s (all its users), "
        f"locust {others['locust']} s, the fakes {others['fakes']} s; the neighbours "
        f"≈ {busy - server_cpu - sum(others.values()):.0f} s"
    )
    print(
        f"# loans: {loans['by_state']}; made at the distributor {loans['made_at_distributor']}; "
        f"open: portal {loans['open_portal']}, distributor {loans['open_distributor']} — "
        f"{'they agree' if loans['agree'] else 'THEY DISAGREE'}"
    )
    overall = next(row for row in rows if row["name"] == "overall")
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        # Other work on the same cores (load average over the last minute, at the end of
        # the run, the load test itself included) weighs on the figures: keep it with them.
        "machine": {
            "cores": os.cpu_count(),
            "load_average_1min_before": round(load_before[0], 2),
            "load_average_1min": round(load[0], 2),
        },
        "setup": {
            "users": USERS,
            "patron_accounts_per_portal": PATRONS,
            "seconds": SECONDS,
            "spawn_rate": SPAWN_RATE,
            "gunicorn_workers": WORKERS,
            "gunicorn_threads": THREADS,
            "database": "postgresql",
            "cache_and_queue": "redis",
        },
        "overall": overall,
        "gunicorn_cpu": {
            "seconds": round(server_cpu, 1),
            "ms_per_request": round(cost_ms, 1),
            "capacity_rps_alone": round(capacity),
            "share_of_machine_cpu": round(share, 2),
            "machine_busy_cpu_seconds": round(busy),
        },
        "other_cpu_seconds": others,
        "requests": [row for row in rows if row["name"] != "overall"],
        "loans": loans,
        "alone_in_process": costs,
        "target": {"errors": 0, "p95_ms": 200},
        "target_met": overall["errors"] == 0 and (overall["p95_ms"] or 0) <= 200,
    }
    path = OUT / "loadtest.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(f"# target (0 errors, p95 ≤ 200 ms): {'met' if result['target_met'] else 'NOT met'}")
    print(f"# saved {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
