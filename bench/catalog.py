"""Catalogue (issue « Catalogue »): import throughput and memory, search latency.

A synthetic but realistic French catalogue (BENCH_RECORDS records, 200 000 by default)
is written as an ONIX 3.0 file (60 %) and a MARC 21 ISO 2709 file (40 %); each is
harvested by a child process — index included — which reports its time, CPU and peak
resident memory, and those of the process that reads the source for it (VmHWM).
`BENCH_BIG_FILE=1` adds a 2 GB ONIX file, imported whole, then cut short (it must fail
and change nothing). Then ≥ 50 varied queries with facets are timed through
the portal's search function, and through /api/search on a gunicorn started here on
127.0.0.1.

The children and gunicorn cannot see an in-memory SQLite database: with SQLite the
catalogue lives in a temporary SQLite file (WAL, as in production); with PostgreSQL in
the bench's own test database.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_RECORDS = 200_000
NETWORK_HOST = "bench-catalogue.localhost"

# -- a synthetic French catalogue ------------------------------------------------------


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_NOUNS = _words(
    "secret maison falaise nuit jardin mer forêt île ville rivière phare voyage "
    "enquête mémoire hiver été silence route cuisine musique histoire guerre amour "
    "cinéma théâtre montagne village école ferme marée tempête lumière ombre "
    "dragon sorcière princesse robot chat chien loup renard baleine étoile"
)
_ADJS = _words(
    "petit grand dernier premier noir blanc bleu rouge oublié perdu secret sauvage "
    "normand breton ancien nouveau étrange magique inconnu"
)
_PLACES = _words(
    "Caen Bayeux Lisieux Honfleur Cabourg Falaise Vire Deauville Cherbourg "
    "Rouen Étretat Granville Avranches Coutances Trouville"
)
_FIRST = _words(
    "Anne Marie Claire Julien Pierre Sophie Hélène Nicolas Camille Léa Hugo Emma "
    "Lucas Chloé Thomas Manon Antoine Inès Louis Zoé"
)
_LAST = _words(
    "Martin Bernard Lefèvre Moreau Laurent Simon Michel Garnier Roussel Fontaine "
    "Lemaire Duval Marchal Leroy Girard Bonnet Dupont Lambert Fauvel Hébert"
)
_SUBJECTS = _words(
    "Polar Roman Jeunesse Histoire Cuisine Voyage Sciences BD "
    "Anglais Espagnol Informatique Jardinage Musique Cinéma Santé Sport Art "
    "Philosophie Poésie Fantastique Science-fiction Biographie"
)
_TEMPLATES = ("Le {adj} {noun}", "La {noun} de {place}", "Les {noun}s de {place}",
              "{noun} à {place}", "Le {noun} du {noun2}", "Un {noun} {adj}",
              "Mystère à {place}", "Apprendre {subject}", "{subject} pour les nuls",
              "Les Enquêtes de {first}", "Le {noun} de {first}")  # fmt: skip


def _title(rng: random.Random) -> str:
    text = rng.choice(_TEMPLATES).format(
        adj=rng.choice(_ADJS), noun=rng.choice(_NOUNS), noun2=rng.choice(_NOUNS),
        place=rng.choice(_PLACES), subject=rng.choice(_SUBJECTS).lower(),
        first=rng.choice(_FIRST),
    )  # fmt: skip
    return text[0].upper() + text[1:]


def _description(rng: random.Random) -> str:
    words = [rng.choice(_NOUNS + _ADJS + _PLACES) for _ in range(rng.randint(15, 35))]
    return "Un récit où " + " ".join(words) + "."


def write_onix(path: Path, count: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n<ONIXMessage release="3.0" '
                  'xmlns="http://ns.editeur.org/onix/3.0/reference"><Header><Sender>'
                  "<SenderName>Bench</SenderName></Sender></Header>\n")  # fmt: skip
        for i in range(count):
            isbn = f"979{10_000_000_000 + i:010d}"[:13]
            subjects = "".join(
                "<Subject><SubjectSchemeIdentifier>20</SubjectSchemeIdentifier>"
                f"<SubjectHeadingText>{s}</SubjectHeadingText></Subject>"
                for s in rng.sample(_SUBJECTS, 2)
            )
            youth = "02" if rng.random() < 0.15 else "01"
            lang = "eng" if rng.random() < 0.08 else "fre"
            out.write(
                f"<Product><RecordReference>onix-{i}</RecordReference>"
                "<NotificationType>03</NotificationType><ProductIdentifier><ProductIDType>15"
                f"</ProductIDType><IDValue>{isbn}</IDValue></ProductIdentifier>"
                "<DescriptiveDetail><ProductComposition>00</ProductComposition>"
                f"<ProductForm>{'AJ' if rng.random() < 0.2 else 'ED'}</ProductForm>"
                "<TitleDetail><TitleType>01</TitleType><TitleElement><TitleElementLevel>01"
                f"</TitleElementLevel><TitleText>{escape(_title(rng))}</TitleText></TitleElement>"
                "</TitleDetail><Contributor><ContributorRole>A01</ContributorRole><PersonName>"
                f"{rng.choice(_FIRST)} {rng.choice(_LAST)}</PersonName></Contributor>"
                f"<Language><LanguageRole>01</LanguageRole><LanguageCode>{lang}</LanguageCode>"
                f"</Language>{subjects}<Audience><AudienceCodeType>01</AudienceCodeType>"
                f"<AudienceCodeValue>{youth}</AudienceCodeValue></Audience></DescriptiveDetail>"
                "<CollateralDetail><TextContent><TextType>03</TextType><Text>"
                f"{escape(_description(rng))}</Text></TextContent></CollateralDetail>"
                "<PublishingDetail><PublishingDate><PublishingDateRole>01</PublishingDateRole>"
                f"<Date>{rng.randint(1950, 2025)}0101</Date></PublishingDate></PublishingDetail>"
                "</Product>\n"
            )
        out.write("</ONIXMessage>\n")


def _iso2709(fields: list[tuple[str, str]], leader_type: str) -> bytes:
    directory, data, offset = [], [], 0
    for tag, body in fields:
        chunk = body.encode("utf-8") + b"\x1e"
        directory.append(f"{tag}{len(chunk):04d}{offset:05d}".encode())
        data.append(chunk)
        offset += len(chunk)
    base = 24 + 12 * len(fields) + 1
    length = base + offset + 1
    leader = f"{length:05d}n{leader_type}m a22{base:05d}   4500".encode()
    return leader + b"".join(directory) + b"\x1e" + b"".join(data) + b"\x1d"


def _audience(rng: random.Random) -> str:
    return "j" if rng.random() < 0.15 else " "


def write_marc(path: Path, count: int, seed: int = 2) -> None:
    rng = random.Random(seed)
    sf = "\x1f"
    with path.open("wb") as out:
        for i in range(count):
            year = rng.randint(1950, 2025)
            kind = rng.choice("aaaagij")
            fields = [
                ("001", f"marc-{i}"),
                (
                    "008",
                    f"250101s{year}    fr ---  {'j' if rng.random() < 0.15 else ' '}"
                    "          fre d",
                ),
                ("100", f"1 {sf}a{rng.choice(_LAST)}, {rng.choice(_FIRST)}"),
                ("245", f"10{sf}a{_title(rng)}"),
                ("264", f" 1{sf}aParis{sf}c{year}"),
                ("520", f"  {sf}a{_description(rng)}"),
                ("650", f" 7{sf}a{rng.choice(_SUBJECTS)}"),
                ("856", f"40{sf}uhttps://bench.example/notice/{i}"),
            ]
            out.write(_iso2709(fields, kind))


# -- the child process that harvests one file -------------------------------------------


def _child_import(fmt: str, source: str, slug: str) -> None:
    from boite.catalog.categories import Category
    from boite.catalog.harvest.reader import high_water_kib
    from boite.catalog.harvest.runner import harvest
    from boite.catalog.models import Provider, Record, Resource
    from boite.networks.models import Authority, Network, NetworkHost

    start_rss = high_water_kib()
    provider, _ = Provider.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
    resource, _ = Resource.objects.get_or_create(
        slug=slug,
        defaults={"provider": provider, "name": slug, "category": Category.BOOK,
                  "harvest_format": fmt},
    )  # fmt: skip
    host = NetworkHost.objects.filter(host=NETWORK_HOST).select_related("network").first()
    if host is None:
        partner, _ = Authority.objects.get_or_create(
            code="BENCH", defaults={"kind": "department", "name": "Bench"}
        )
        network = Network.objects.create(slug="bench", name="Bench", partner=partner)
        NetworkHost.objects.create(network=network, host=NETWORK_HOST)
    else:
        network = host.network
    resource.networks.add(network)
    began, cpu_began = time.perf_counter(), time.process_time()
    run = harvest(resource, source=source)  # the operator's file, read as given
    seconds = time.perf_counter() - began
    cpu_seconds = time.process_time() - cpu_began
    peak = high_water_kib()
    reader = getattr(run, "reader", None)
    records = Record.objects.filter(resource=resource, withdrawn=False)
    last_update = records.order_by("-updated_at").values_list("updated_at", flat=True).first()
    print(json.dumps({"status": run.status, "error": run.error, "created": run.created,
                      "updated": run.updated, "withdrawn": run.withdrawn,
                      "rejected": run.rejected, "seconds": seconds, "cpu_seconds": cpu_seconds,
                      "reader_cpu_seconds": reader.child_cpu_seconds if reader else 0,
                      "reader_peak_kib": reader.child_peak_kib if reader else 0,
                      "resource": resource.pk, "load": os.getloadavg()[0],
                      "active": records.count(), "last_update": str(last_update),
                      "peak_kib": peak, "start_kib": start_rss}))  # fmt: skip


# -- the measures -----------------------------------------------------------------------


def _import_figures(report, name: str, result: dict) -> None:
    report.figure(f"{name}.records", result["created"], "records")
    report.figure(f"{name}.seconds", result["seconds"], "s")
    report.figure(f"{name}.throughput_index_included", result["created"] / result["seconds"],
                  "records/s")  # fmt: skip
    # CPU seconds of the writing process (all its threads, tantivy's included) and of the
    # reading process: what the import costs, whatever else the machine runs meanwhile.
    cpu = result["cpu_seconds"] + result["reader_cpu_seconds"]
    report.figure(f"{name}.cpu_seconds_writer", result["cpu_seconds"], "s")
    report.figure(f"{name}.cpu_seconds_reader", result["reader_cpu_seconds"], "s")
    report.figure(f"{name}.throughput_per_cpu_second", result["created"] / cpu, "records/s")
    report.figure(f"{name}.peak_memory_writer", result["peak_kib"] / 1024, "MiB")
    report.figure(f"{name}.peak_memory_reader", result["reader_peak_kib"] / 1024, "MiB")
    report.figure(f"{name}.memory_growth_writer",
                  (result["peak_kib"] - result["start_kib"]) / 1024, "MiB")  # fmt: skip
    report.figure(f"{name}.load_average_1min", result["load"], "")


def _child(env: dict, fmt: str, path: Path, slug: str) -> dict:
    done = subprocess.run(  # noqa: S603 — our own interpreter and arguments
        [sys.executable, "-m", "bench.catalog", "import", fmt, str(path), slug],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def _big_file(report, tmp: Path, env: dict) -> None:
    """BENCH_BIG_FILE=1: a 2 GB ONIX file, imported whole; then the same file cut short
    before its end, which must fail and leave the catalogue exactly as it was."""
    path = tmp / "big.onix.xml"
    count = 1_340_000  # about 1.5 KiB a product: 2 GB
    write_onix(path, count, seed=7)
    size = path.stat().st_size
    report.figure("catalog.big_file.size", size / 1e9, "GB")
    result = _child(env, "onix", path, "bench-big")
    if result["status"] != "succeeded":
        raise RuntimeError(f"big import failed: {result['error']}")
    _import_figures(report, "catalog.big_file_import", result)
    before = result
    with path.open("r+b") as cut:
        cut.truncate(size - 700)  # the last product and the closing tag are gone
    result = _child(env, "onix", path, "bench-big")
    report.figure("catalog.big_file_truncated.failed", int(result["status"] == "failed"), "")
    same = (result["active"], result["last_update"]) == (before["active"], before["last_update"])
    report.figure("catalog.big_file_truncated.catalogue_unchanged", int(same), "")
    report.figure("catalog.big_file_truncated.seconds_to_fail", result["seconds"], "s")
    report.figure("catalog.big_file_truncated.peak_memory_writer", result["peak_kib"] / 1024,
                  "MiB")  # fmt: skip
    report.figure("catalog.big_file_truncated.peak_memory_reader",
                  result["reader_peak_kib"] / 1024, "MiB")  # fmt: skip
    print(f"# truncated 2 GB file: {result['status']}: {result['error'][:200]}", flush=True)
    path.unlink()


QUERIES = [
    "cinema", "cinéma", "cinma", "polar", "polar normand", "anglais", "apprendre anglais",
    "jeunesse", "histoire", "histoire de caen", "la maison", "maison de bayeux", "secret",
    "le secret de la falaise", "jardin", "cuisine", "musique", "voyage", "enquête",
    "enquete", "mystère à honfleur", "mystere", "mer", "forêt", "ile", "phare",
    "dragon", "sorcière", "sorciere", "princesse", "robot", "chat", "baleine", "étoile",
    "tempete", "lumiere", "ombre", "martin", "claire", "hugo", "roman", "sciences",
    "informatique", "jardinage", "poésie", "fantastique", "science fiction", "biographie",
    "espagnol", "les enquêtes de léa", "montagne", "village normand", "ecole", "ferme",
    "marée", "silence", "route", "guerre", "amour", "théâtre", "", "",
]  # fmt: skip


def _queries(resource_ids: list[int]):
    from boite.catalog.search import SearchQuery

    rng = random.Random(3)
    for i, text in enumerate(QUERIES):
        query = SearchQuery(text=text, resource_ids=resource_ids)
        if i % 5 == 1:
            query.category = ["livre"]
        if i % 7 == 2:
            query.year_min, query.year_max = 1990, 2020
        if i % 6 == 3:
            query.sort = rng.choice(["newest", "title"])
        if i % 9 == 4:
            query.audience = ["youth"]
        yield query


def _api_params(query) -> dict:
    params = {"q": query.text, "sort": query.sort}
    if query.category:
        params["category"] = query.category
    if query.audience:
        params["audience"] = query.audience
    if query.year_min:
        params["year_min"], params["year_max"] = query.year_min, query.year_max
    return params


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_url(tmp: Path) -> str:
    from django.db import connection

    if connection.vendor == "postgresql":
        s = connection.settings_dict
        auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
        return f"postgres://{auth}@{s['HOST'] or 'localhost'}:{s['PORT'] or 5432}/{s['NAME']}"
    return f"sqlite:///{tmp / 'bench.sqlite3'}"


def run(report) -> None:
    import logging

    import httpx
    from django.conf import settings

    from bench.report import percentile
    from boite.catalog import search as search_module

    logging.getLogger("httpx").setLevel(logging.WARNING)
    count = int(os.environ.get("BENCH_RECORDS", DEFAULT_RECORDS))
    onix_count = count * 6 // 10
    marc_count = count - onix_count
    tmp = Path(tempfile.mkdtemp(prefix="boite-bench-catalog-"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "boite.settings",
        "DATABASE_URL": _database_url(tmp),
        "CATALOG_INDEX_DIR": str(tmp / "index"),
        "BOITE_VAR_DIR": str(tmp / "var"),
        "HUEY_IMMEDIATE": "true",
        "LOG_LEVEL": "WARNING",
        # One client asks every query: the per-address limit of the public API is not
        # what is measured here.
        "API_RATE_ANONYMOUS": "100000/m",
    }
    env.pop("TEST_DATABASE_NAME", None)
    server = None
    try:
        if env["DATABASE_URL"].startswith("sqlite"):
            subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v0"],
                           cwd=ROOT, env=env, check=True)  # fmt: skip
        began = time.perf_counter()
        write_onix(tmp / "bench.onix.xml", onix_count)
        write_marc(tmp / "bench.mrc", marc_count)
        report.figure("catalog.synthetic_files_written", time.perf_counter() - began, "s")
        report.figure(
            "catalog.onix_file_size", (tmp / "bench.onix.xml").stat().st_size / 2**20, "MiB"
        )

        resource_ids = []
        for fmt, name, slug in (("onix", "bench.onix.xml", "bench-onix"),
                                   ("marc", "bench.mrc", "bench-marc")):  # fmt: skip
            result = _child(env, fmt, tmp / name, slug)
            if result["status"] != "succeeded":
                raise RuntimeError(f"{fmt} import failed: {result['error']}")
            resource_ids.append(result["resource"])
            _import_figures(report, f"catalog.{fmt}_import", result)

        if os.environ.get("BENCH_BIG_FILE"):
            _big_file(report, tmp, env)

        # The portal's search function, in this process, on the index just built.
        settings.CATALOG_INDEX_DIR = tmp / "index"
        search_module._instances.clear()
        queries = list(_queries(resource_ids))
        report.figure("catalog.search.queries", len(queries), "queries")
        for query in queries[:10]:
            search_module.search(query)  # warm up
        samples, counts = [], []
        for _round in range(3):
            for query in queries:
                start = time.perf_counter()
                results = search_module.search(query)
                samples.append((time.perf_counter() - start) * 1000)
                counts.append(results.count)
        report.figure("catalog.search.median_hits", percentile(counts, 0.5), "records")
        report.timings("catalog.search_function_with_facets", samples)

        # The same queries through /api/search on gunicorn.
        port = _free_port()
        server = subprocess.Popen(  # noqa: S603 — our own gunicorn
            [str(Path(sys.executable).parent / "gunicorn"), "boite.wsgi", "--bind",
             f"127.0.0.1:{port}", "--workers", "2", "--log-level", "warning"],
            cwd=ROOT, env=env,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, headers={"Host": NETWORK_HOST}, timeout=30) as http:
            for _ in range(100):
                try:
                    if http.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.2)
            for query in queries[:10]:
                http.get("/api/search", params=_api_params(query))
            samples = []
            for _round in range(3):
                for query in queries:
                    start = time.perf_counter()
                    response = http.get("/api/search", params=_api_params(query))
                    samples.append((time.perf_counter() - start) * 1000)
                    response.raise_for_status()
            total = http.get("/api/search").json()["count"]
        report.figure("catalog.api.records_visible", total, "records")
        report.timings("catalog.api_search_with_facets", samples)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["import"]:
        import django

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "boite.settings")
        django.setup()
        _child_import(*sys.argv[2:5])
