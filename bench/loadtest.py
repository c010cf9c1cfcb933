"""`make loadtest`: the portal under gunicorn on PostgreSQL + Redis, loaded by locust.

Steps, each printed: a fresh database `boite_loadtest` on LOADTEST_PG (PostgreSQL), Redis
database 14 emptied, migrate, load_demo, a CAS connector on each network for the CAS
round trips, collectstatic; gunicorn on a free loopback port; locust headless
(bench/locustfile.py) with LOADTEST_USERS users for LOADTEST_SECONDS seconds, which stops
by itself. Then throughput, p50/p95/p99 and errors per request type and overall are
printed and saved to var/bench/loadtest.json; gunicorn is stopped and the database
dropped. Nothing here asserts a target: the figures are the result.
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
VAR = ROOT / "var" / "loadtest"
OUT = ROOT / "var" / "bench"
CAS_SERVICE = "https://provider.example/cas/callback"

SETUP_CAS = f"""
from boite.access.models import Connector
from boite.networks.models import Network
for network in Network.objects.all():
    connector, _new = Connector.objects.get_or_create(
        network=network, name="Load test (CAS)", kind="cas",
        defaults={{"settings": {{"url": "https://provider.example/",
                               "services": ["{CAS_SERVICE}"],
                               "attributes": ["card_number", "email"]}}}},
    )
    connector.full_clean()
    connector.save()
"""


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
    try:
        step("migrate, load_demo, CAS connectors, collectstatic")
        manage(env, "migrate", "--no-input", "-v0")
        manage(env, "load_demo")
        manage(env, "shell", "-c", SETUP_CAS)
        manage(env, "compilemessages", "--ignore=.venv", "-v0")
        manage(env, "collectstatic", "--no-input", "-v0")
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
            env={**env, "LOADTEST_CAS_SERVICE": CAS_SERVICE},
            timeout=SECONDS + 120,
            check=False,  # locust exits 1 when a request failed: the figures say which
        )
        elapsed = time.monotonic() - started
        server_cpu = cpu_seconds(server.pid) - server_before
        busy = machine_busy_seconds() - busy_before
        rows = read_stats(prefix)
        load = os.getloadavg()
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        drop_database()
    print_table(rows)
    print(f"# load average over the last minute: {load[0]:.2f} on {os.cpu_count()} cores")
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
    overall = next(row for row in rows if row["name"] == "overall")
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        # Other work on the same cores (load average over the last minute, at the end of
        # the run, the load test itself included) weighs on the figures: keep it with them.
        "machine": {"cores": os.cpu_count(), "load_average_1min": round(load[0], 2)},
        "setup": {
            "users": USERS,
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
        "requests": [row for row in rows if row["name"] != "overall"],
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
