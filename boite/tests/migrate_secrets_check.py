"""Run by test_secrets.py in a fresh process on a scratch SQLite database (the suite
itself runs without migrations): rows with clear secrets written at the schema before
the encryption migrations, then migrated forwards and backwards. Prints a JSON report."""

from __future__ import annotations

import json
import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "boite.settings")
django.setup()

from django.db import connection  # noqa: E402
from django.db.migrations.executor import MigrationExecutor  # noqa: E402

BEFORE = {
    "catalog": "0002_staged_fingerprint",
    "lending": "0002_licence_record_lendingrules_hold_loan",
    "access": "0002_gate_quotas",
    "patrons": "0001_initial",
    # Keyed pseudonyms of the statistics need the patrons' later schema: held back too.
    "stats": "0005_titles_and_holds",
}
COLUMNS = {
    "catalog_resource": "harvest_secret",
    "lending_distributoraccount": "password",
    "access_connector": "secrets",
    "patrons_patronrules": "sip2_login_password",
    "stats_provideraccount": "api_key",
}


def _migrate(targets: list[tuple[str, str]]):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


def _raw() -> dict[str, str]:
    with connection.cursor() as cursor:
        found = {}
        for table, column in COLUMNS.items():
            cursor.execute(f"SELECT {column} FROM {table}")  # noqa: S608 — fixed names
            found[table] = cursor.fetchone()[0]
        return found


def main() -> None:
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    before = [(app, name) for app, name in leaves if app not in BEFORE] + list(BEFORE.items())
    old = _migrate(before)
    partner = old.get_model("networks", "Authority").objects.create(
        kind="department", code="14", name="Calvados"
    )
    network = old.get_model("networks", "Network").objects.create(
        slug="n", name="N", partner=partner
    )
    provider = old.get_model("catalog", "Provider").objects.create(name="P", slug="p")
    old.get_model("catalog", "Resource").objects.create(
        provider=provider, name="R", slug="r", category="presse", harvest_secret="clear-harvest"
    )
    old.get_model("lending", "DistributorAccount").objects.create(
        name="D", kind="odl", base_url="https://odl.example/", password="clear-odl"
    )
    old.get_model("access", "Connector").objects.create(
        network=network, name="C", kind="signed_link", secrets={"key": "clear-key"}
    )
    old.get_model("patrons", "PatronRules").objects.create(
        network=network, sip2_login_password="clear-sip2"
    )
    old.get_model("stats", "ProviderAccount").objects.create(
        network=network, name="S", sushi_url="https://sushi.example/", api_key="clear-sushi"
    )
    report = {"before": _raw()}
    _migrate(leaves)
    report["after"] = _raw()
    from boite.access.models import Connector
    from boite.catalog.models import Resource
    from boite.lending.models import DistributorAccount
    from boite.patrons.models import PatronRules
    from boite.stats.models import ProviderAccount

    report["read"] = [
        Resource.objects.get().harvest_secret,
        DistributorAccount.objects.get().password,
        Connector.objects.get().secret("key"),
        PatronRules.objects.get().sip2_login_password,
        ProviderAccount.objects.get().api_key,
    ]
    _migrate(before)
    report["rolled_back"] = _raw()
    json.dump(report, sys.stdout)


if __name__ == "__main__":
    main()
