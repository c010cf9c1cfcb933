"""`manage.py reindex`: rebuild the catalogue's search index from the database."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand

from boite.catalog.models import Record
from boite.catalog.search import get_backend


class Command(BaseCommand):
    help = "Rebuild the search index of the catalogue from the database."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--changed",
            action="store_true",
            help="only the resources harvested since this replica was last refreshed",
        )

    def handle(self, *args, **options) -> None:
        if options["changed"]:
            ids = get_backend().refresh()
            self.stdout.write(f"{len(ids)} resources re-indexed")
            return
        bar = None
        if sys.stderr.isatty():
            from tqdm import tqdm

            bar = tqdm(total=Record.objects.filter(withdrawn=False).count(), unit=" records")
        count = get_backend().rebuild(progress=(lambda n: bar.update(n - bar.n)) if bar else None)
        if bar is not None:
            bar.update(count - bar.n)
            bar.close()
        self.stdout.write(f"{count} records indexed")
