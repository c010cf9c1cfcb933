"""Run by test_shared_owner_migration.py in a fresh process on a scratch SQLite database
(the suite runs without migrations; run it by hand with DATABASE_URL for PostgreSQL):
shared rows written at the schema before owners existed, migrated forwards, then back.
Prints a JSON report."""

from __future__ import annotations

import json
import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "boite.settings")
django.setup()

from django.db import connection  # noqa: E402
from django.db.migrations.executor import MigrationExecutor  # noqa: E402

BEFORE = {"catalog": "0005_harvest_heartbeat", "lending": "0004_loan_return_requested"}
AFTER = {
    "catalog": "0007_resource_networks_through_settings",
    "lending": "0005_distributoraccount_owner",
}


def _migrate(targets: list[tuple[str, str]]):
    MigrationExecutor(connection).migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


def main() -> None:
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    # Everything else at its newest, except what depends on the migrations under test.
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan([(app, name) for app, name in BEFORE.items()], clean_start=True)
    wanted = {(m.app_label, m.name) for m, _backwards in plan}
    before = [(app, name) for app, name in BEFORE.items()]
    before += [(a, n) for a, n in leaves if a not in BEFORE and (a, n) in wanted]
    old = _migrate(before)
    authority = old.get_model("networks", "Authority")
    network = old.get_model("networks", "Network")
    calvados = network.objects.create(
        slug="boite-numerique",
        name="Boîte",
        partner=authority.objects.create(kind="department", code="14", name="Calvados"),
    )
    caen = network.objects.create(
        slug="caen-la-mer",
        name="Caen",
        partner=authority.objects.create(kind="intercommunality", code="200065597", name="CU"),
    )
    provider = old.get_model("catalog", "Provider")
    resource = old.get_model("catalog", "Resource")
    account = old.get_model("lending", "DistributorAccount")
    cafeyn = provider.objects.create(name="Cafeyn", slug="cafeyn")
    provider.objects.create(name="Seul", slug="seul")
    shared = resource.objects.create(provider=cafeyn, name="S", slug="shared", category="presse")
    shared.networks.add(caen, calvados)
    resource.objects.create(provider=cafeyn, name="C", slug="caen", category="presse").networks.add(
        caen
    )
    resource.objects.create(
        provider=provider.objects.get(slug="seul"), name="O", slug="orphan", category="presse"
    )
    account.objects.create(name="PNB", kind="dilicom", base_url="https://p.example/").networks.add(
        caen, calvados
    )
    account.objects.create(name="ODL", kind="odl", base_url="https://o.example/")

    new = _migrate(list(AFTER.items()))
    slug = {calvados.pk: "boite-numerique", caen.pk: "caen-la-mer", None: None}
    report = {
        "resources": {
            r.slug: slug[r.owner_id] for r in new.get_model("catalog", "Resource").objects.all()
        },
        "providers": {
            p.slug: slug[p.owner_id] for p in new.get_model("catalog", "Provider").objects.all()
        },
        "accounts": {
            a.name: slug[a.owner_id]
            for a in new.get_model("lending", "DistributorAccount").objects.all()
        },
        "settings": sorted(
            [r.resource.slug, slug[r.network_id], r.shown, r.position]
            for r in new.get_model("catalog", "NetworkResource").objects.select_related("resource")
        ),
    }
    old = _migrate(before)
    report["rolled_back"] = sorted(
        [r.slug, slug[n]]
        for r in old.get_model("catalog", "Resource").objects.all()
        for n in r.networks.values_list("pk", flat=True)
    )
    _migrate(leaves)
    json.dump(report, sys.stdout)


if __name__ == "__main__":
    main()
