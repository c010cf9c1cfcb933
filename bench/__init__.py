"""`make bench`: the performance figures the issues ask for.

Each module listed in BENCHES has `run(report)`; it measures one area on a fresh test
database (in memory with SQLite, `test_<name>` with PostgreSQL when DATABASE_URL says
so) and records figures with `report.figure(name, value, unit)`. Every figure is
printed as `name value unit` and all are saved, with the machine, in
var/bench/latest.json. A benchmark is not a test: nothing here asserts a target.
"""

BENCHES = [
    "bench.portal",
    "bench.pro",
    "bench.finance",
    "bench.patrons",
    "bench.access",
    "bench.lending",
    "bench.stats",
    "bench.catalog",
    "bench.outbound",
]
