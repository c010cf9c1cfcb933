"""Load the demo networks, then the demo data of every app that has a `demo` module."""

from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from boite.networks.models import Network


class Command(BaseCommand):
    help = "Load the demo networks, libraries, staff and each app's demo data."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when a network already exists."
        )

    def handle(self, *args, if_empty: bool, **options):
        if if_empty and Network.objects.exists():
            self.stdout.write("Demo data already loaded (a network exists): nothing to do.")
            return
        # Apps load in INSTALLED_APPS order, so each finds what it builds on.
        with transaction.atomic():
            for config in apps.get_app_configs():
                if config.name.startswith("boite.") and find_spec(f"{config.name}.demo"):
                    self.stdout.write(f"— {config.verbose_name}")
                    import_module(f"{config.name}.demo").load(self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
