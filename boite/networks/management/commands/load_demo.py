"""Load the demo networks, then the demo data of every app that has a `demo` module.

`make run` calls it as `load_demo --migrate --if-empty`: one process applies the
migrations, then loads the demo on an empty database, each stage saying in one line what
it does and how long it took, and prints the demo accounts when the demo is first loaded.
"""

import os
import signal
import time
from importlib import import_module
from importlib.util import find_spec
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import translation

from boite.networks.demo import DEMO_PASSWORD, figure
from boite.networks.models import Network


class _Indented:
    """The loaders' lines, indented under their app's name."""

    def __init__(self, stdout):
        self._stdout = stdout

    def write(self, text: str = "", *args, **kwargs) -> None:
        self._stdout.write(f"     {text}", *args, **kwargs)


def _database() -> str:
    """The database in words: its file for SQLite, its name and host otherwise."""
    db = connections[DEFAULT_DB_ALIAS].settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        path = Path(db["NAME"])
        return (
            str(path.relative_to(settings.BASE_DIR))
            if path.is_relative_to(settings.BASE_DIR)
            else str(path)
        )
    return f"{connections[DEFAULT_DB_ALIAS].display_name} « {db['NAME']} » on {db['HOST']}"


def _seconds(start: float) -> str:
    return f"{time.perf_counter() - start:.1f} s"


class Command(BaseCommand):
    help = "Load the demo networks, libraries, staff and each app's demo data."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when a network already exists."
        )
        parser.add_argument(
            "--migrate", action="store_true", help="Apply the migrations first (one line)."
        )

    def handle(self, *args, **options):
        # Ctrl-C during `make run`: one line instead of a traceback, then die of the signal
        # at once, as make expects (it says « Interrupt »). Dying is safe: the database
        # rolls back the open transaction (the demo's, or the migration's).
        previous = signal.signal(signal.SIGINT, self._interrupted)
        try:
            self._handle(**options)
        finally:
            signal.signal(signal.SIGINT, previous)

    def _interrupted(self, signum, _frame) -> None:
        self.stdout.write("\n== Interrupted: the next `make run` carries on from here")
        self.stdout.flush()
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)

    def _handle(self, *, if_empty: bool, migrate: bool, **options):
        if migrate:
            self._migrate()
        if if_empty and Network.objects.exists():
            self.stdout.write("== Demo already loaded (a network exists): nothing to do")
            return
        start = time.perf_counter()
        self.stdout.write("== Loading the demo networks (first run only)")
        out = _Indented(self.stdout)
        # Apps load in INSTALLED_APPS order, so each finds what it builds on.
        with transaction.atomic():
            for config in apps.get_app_configs():
                if config.name.startswith("boite.") and find_spec(f"{config.name}.demo"):
                    with translation.override("en"):  # the console speaks English
                        self.stdout.write(f"   {config.verbose_name}")
                    import_module(f"{config.name}.demo").load(out)
        self.stdout.write(self.style.SUCCESS(f"   Demo data loaded in {_seconds(start)}."))
        self._accounts()

    def _migrate(self) -> None:
        executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if not plan:
            self.stdout.write(f"== Database {_database()} up to date")
            return
        start = time.perf_counter()
        self.stdout.write(
            f"== Migrating {_database()}: {figure(len(plan))} migrations … ", ending=""
        )
        self.stdout.flush()
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write(_seconds(start))

    def _accounts(self) -> None:
        """Every app's demo accounts (a module-level ACCOUNTS in its demo module)."""
        self.stdout.write(f"   Demo accounts, all with the password « {DEMO_PASSWORD} »:")
        for config in apps.get_app_configs():
            if config.name.startswith("boite.") and find_spec(f"{config.name}.demo"):
                for login, what in getattr(import_module(f"{config.name}.demo"), "ACCOUNTS", []):
                    self.stdout.write(f"     {login:<28} {what}")
