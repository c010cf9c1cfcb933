"""`manage.py harvest RESOURCE [--source PATH_OR_URL] [--format NAME]
[--full|--incremental] [--force]`, with a progress bar on a terminal.

The command line is the server's operator's: a `--source` path is read as given (the
web never offers that; see `runner.start_run`)."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError

from boite.catalog.harvest import FORMATS
from boite.catalog.harvest.runner import execute, start_run
from boite.catalog.harvest.sources import is_url
from boite.catalog.models import HarvestRun, Resource


class Command(BaseCommand):
    help = "Harvest the catalogue of a resource from its source (or the one given)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("resource", help="short name (slug) of the resource")
        parser.add_argument("--source", default="", help="file path or http(s) URL")
        parser.add_argument("--format", default="", choices=["", *FORMATS], help="source format")
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--full", action="store_const", dest="mode", const="full")
        mode.add_argument("--incremental", action="store_const", dest="mode", const="incremental")
        parser.add_argument(
            "--force", action="store_true", help="withdraw more than 30 %% of the catalogue"
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **options) -> None:
        try:
            resource = Resource.objects.get(slug=options["resource"])
        except Resource.DoesNotExist:
            raise CommandError(f"no resource {options['resource']!r}") from None
        run = start_run(
            resource,
            source=options["source"],
            format_name=options["format"],
            mode=options["mode"] or HarvestRun.Mode.FULL,
            force=options["force"],
        )
        bar = None
        if not options["no_progress"] and sys.stderr.isatty():
            from tqdm import tqdm

            bar = tqdm(desc=resource.slug, unit=" records", file=sys.stderr)

        def progress(current: HarvestRun) -> None:
            if bar is not None:
                if current.total and bar.total != current.total:
                    bar.total = current.total
                bar.update(current.read - bar.n)

        source = options["source"]
        execute(run, progress, local_path=source if source and not is_url(source) else None)
        if bar is not None:
            bar.close()
        summary = (
            f"{run.get_status_display()}: {run.created} created, {run.updated} updated, "
            f"{run.unchanged} unchanged, {run.withdrawn} withdrawn, {run.rejected} rejected"
        )
        if run.status != HarvestRun.Status.SUCCEEDED:
            raise CommandError(f"{summary}. {run.error}")
        self.stdout.write(summary)
