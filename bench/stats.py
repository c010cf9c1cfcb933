"""Statistics (issue « Statistics »): roll-up of many access events, and the dashboard
on top of the roll-ups.

BENCH_EVENTS (default 10 000 000) sets the number of events, spread over the year
2025, 40 000 patrons of the demo libraries, twelve resources. They are written by one
INSERT … SELECT per million rows (a recursive CTE on SQLite, generate_series on
PostgreSQL): the point is the roll-up, not the insert.
"""

from __future__ import annotations

import os
import resource
import time
import tracemalloc
from datetime import date

from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client

from bench.report import Report, time_calls
from boite.networks.models import Library, Network, StaffRole, User
from boite.stats.models import DailyCount, Event, MonthlyCount, MonthlyUnique
from boite.stats.rollup import rollup

EVENTS = int(os.environ.get("BENCH_EVENTS", "10000000"))
PATRONS = 40_000
CHUNK = 1_000_000
REQUESTS = 60
RESOURCES = [
    "mediatheque-numerique", "cafeyn", "philharmonie", "skilleos", "vodeclic",
    "toutapprendre", "digame", "ma-petite-mediatheque", "pnb-livres", "pnb-livres-audio",
    "europresse", "lecturio",
]  # fmt: skip


def _lookup_tables(cursor) -> int:
    libraries = list(Library.objects.values_list("pk", "network_id", "authority_id"))
    cursor.execute(
        "CREATE TEMPORARY TABLE bench_lib (idx INTEGER, lib INTEGER, net INTEGER, com INTEGER)"
    )
    cursor.executemany(
        "INSERT INTO bench_lib VALUES (%s, %s, %s, %s)",
        [(i, *row) for i, row in enumerate(libraries)],
    )
    cursor.execute("CREATE TEMPORARY TABLE bench_res (idx INTEGER, name VARCHAR(100))")
    cursor.executemany("INSERT INTO bench_res VALUES (%s, %s)", list(enumerate(RESOURCES)))
    return len(libraries)


# One row per i: patron p = i·2654435761 mod PATRONS belongs to library p mod L, is in
# age band p mod 5; the day is i mod 365; one event in 25 is a refusal, one in 50 a
# registration, the rest access grants.
_SELECT = """
SELECT
  CASE WHEN s.i % 50 = 0 THEN 'registration' WHEN s.i % 25 = 0 THEN 'access_refused'
       ELSE 'access_granted' END,
  {timestamp}, {day},
  {patron},
  l.net, l.lib, l.com,
  CASE (s.i * 2654435761 % {patrons}) % 5 WHEN 0 THEN '0-11' WHEN 1 THEN '12-17'
       WHEN 2 THEN '18-25' WHEN 3 THEN '26-64' ELSE '65+' END,
  r.name, '', 'signed_link', '',
  CASE WHEN s.i % 50 <> 0 AND s.i % 25 = 0 THEN
       CASE WHEN s.i % 3 = 0 THEN 'expired' ELSE 'quota' END ELSE '' END
FROM {series}
JOIN bench_lib l ON l.idx = (s.i * 2654435761 % {patrons}) % {libraries}
JOIN bench_res r ON r.idx = (s.i / 7) % 12
"""
_COLUMNS = (
    "kind, occurred_at, day, patron, network_id, library_id, commune_id, age_band, "
    "resource, record, connector, result, reason"
)


def _generate(cursor, libraries: int, first: int, count: int) -> None:
    if connection.vendor == "postgresql":
        select = _SELECT.format(
            series=f"generate_series({first}, {first + count - 1}) AS s(i)",
            timestamp="(DATE '2025-01-01' + (s.i % 365)::int) + TIME '12:00' AT TIME ZONE 'UTC'",
            day="DATE '2025-01-01' + (s.i % 365)::int",
            patron=f"lpad(to_hex(s.i * 2654435761 % {PATRONS}), 32, '0')",
            patrons=PATRONS,
            libraries=libraries,
        )
        cursor.execute(f"INSERT INTO stats_event ({_COLUMNS}) {select}")
        return
    select = _SELECT.format(
        series="seq s",
        timestamp="date('2025-01-01', '+' || (s.i % 365) || ' days') || ' 11:00:00'",
        day="date('2025-01-01', '+' || (s.i % 365) || ' days')",
        patron=f"printf('%032x', s.i * 2654435761 % {PATRONS})",
        patrons=PATRONS,
        libraries=libraries,
    )
    cte = f"WITH RECURSIVE seq(i) AS (SELECT {first} UNION ALL SELECT i + 1 FROM seq "  # noqa: S608
    cte += f"WHERE i < {first + count - 1}) "
    # Only numbers and constants of this module go into the statement.
    cursor.execute(cte + f"INSERT INTO stats_event ({_COLUMNS}) {select}")


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(report: Report) -> None:
    start = time.perf_counter()
    with connection.cursor() as cursor:
        libraries = _lookup_tables(cursor)
        for first in range(0, EVENTS, CHUNK):
            with transaction.atomic():
                _generate(cursor, libraries, first, min(CHUNK, EVENTS - first))
    report.figure("stats.events", Event.objects.count(), "events")
    report.figure("stats.generate.time", time.perf_counter() - start, "s")

    rss_before = _rss_mib()
    tracemalloc.start()
    start = time.perf_counter()
    run_ = rollup(date(2025, 1, 1), date(2025, 12, 31))
    elapsed = time.perf_counter() - start
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    report.figure("stats.rollup.time", elapsed, "s")
    report.figure("stats.rollup.events_per_second", run_.events / elapsed, "events/s")
    report.figure("stats.rollup.python_peak_memory", peak / 2**20, "MiB")
    report.figure("stats.rollup.process_rss_growth", _rss_mib() - rss_before, "MiB")
    report.figure("stats.daily_count_rows", DailyCount.objects.count(), "rows")
    report.figure("stats.monthly_count_rows", MonthlyCount.objects.count(), "rows")
    report.figure("stats.monthly_unique_rows", MonthlyUnique.objects.count(), "rows")

    start = time.perf_counter()
    rollup(date(2025, 12, 31), date(2025, 12, 31))
    report.figure("stats.nightly_rollup_one_day.time", time.perf_counter() - start, "s")

    calvados = Network.objects.get(slug="boite-numerique")
    admin = User.objects.create_user("bench.stats.admin")
    StaffRole.objects.create(user=admin, kind=StaffRole.Kind.NETWORK_ADMIN, network=calvados)
    librarian = User.objects.create_user("bench.stats.librarian")
    library = calvados.libraries.first()
    StaffRole.objects.create(
        user=librarian, kind=StaffRole.Kind.LIBRARY_STAFF, network=calvados, library=library
    )
    root = User.objects.create_superuser("bench.stats.root", "root@example.org", None)
    year = "/gestion/statistiques/?start=2025-01&end=2025-12"
    for name, user in (("consortium", root), ("network_admin", admin), ("library", librarian)):
        client = Client(HTTP_HOST="localhost")
        client.force_login(user)
        assert client.get(year).status_code == 200
        # Cold: the figures computed from the roll-ups (first view after a roll-up).
        report.timings(
            f"stats.dashboard_year.{name}.server_time_cold",
            time_calls(lambda c=client: (cache.clear(), c.get(year)), REQUESTS, warmup=3),
        )
        # Warm: the figures cached until the next roll-up or import.
        report.timings(
            f"stats.dashboard_year.{name}.server_time",
            time_calls(lambda c=client: c.get(year), REQUESTS, warmup=3),
        )
    client = Client(HTTP_HOST="localhost")
    client.force_login(admin)
    export = "/gestion/statistiques/export/resources.xlsx?start=2025-01&end=2025-12"
    report.timings(
        "stats.export_xlsx.server_time", time_calls(lambda: client.get(export), 20, warmup=2)
    )
