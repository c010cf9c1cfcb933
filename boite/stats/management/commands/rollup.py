"""`manage.py rollup [--since DAY] [--until DAY]`: build the statistics roll-ups."""

from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from boite.stats.rollup import first_event_day, rollup


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{text!r} is not a day (YYYY-MM-DD).") from None


class Command(BaseCommand):
    help = (
        "Roll the statistics events up into daily counts and monthly unique patrons. "
        "Without --since: yesterday only. Running it again on the same days replaces them."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--since", help="first day (YYYY-MM-DD), or « start » for all")
        parser.add_argument("--until", help="last day (YYYY-MM-DD), yesterday by default")

    def handle(self, *args, since=None, until=None, **options) -> None:
        yesterday = timezone.localdate() - timedelta(days=1)
        last = _day(until) if until else yesterday
        if since == "start":
            first = first_event_day() or last
        else:
            first = _day(since) if since else yesterday
        if first > last:
            raise CommandError("--since is after --until.")
        days = (last - first).days + 1
        with tqdm(total=days, unit="day", disable=options["verbosity"] < 1) as bar:
            run = rollup(first, last, progress=lambda _day: bar.update())
        self.stdout.write(f"{run.events} events rolled up, {first} – {last}.")
