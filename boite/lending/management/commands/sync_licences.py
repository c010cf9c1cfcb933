"""`manage.py sync_licences`: apply offer files and refresh counters, with progress."""

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from boite.lending import sync
from boite.lending.models import DistributorAccount, SyncRun


class Command(BaseCommand):
    help = "Apply offer files and refresh licence counters from the distributors."

    def add_arguments(self, parser):
        parser.add_argument("--account", type=int, help="Only this distributor account (id).")
        parser.add_argument("--offers", help="Apply this offer file instead of the inbox.")
        parser.add_argument(
            "--full", action="store_true", help="The offer file lists every licence."
        )
        parser.add_argument("--no-counters", action="store_true", help="Offers only.")

    def handle(self, *args, account=None, offers=None, full=False, no_counters=False, **opts):
        accounts = DistributorAccount.objects.filter(is_active=True)
        if account is not None:
            accounts = accounts.filter(pk=account)
        if not accounts.exists():
            raise CommandError("No active distributor account matches.")
        if offers and accounts.count() != 1:
            raise CommandError("--offers needs --account: an offer file belongs to one account.")
        failed = False
        for acc in accounts:
            runs = [sync.import_offers(acc, offers, full=full)] if offers else sync.apply_inbox(acc)
            if not no_counters:
                total = acc.licences.count()
                with tqdm(total=total, desc=acc.name, unit="licence", disable=not total) as bar:
                    runs.append(sync.refresh_counters(acc, progress=bar.update))
            for run in runs:
                failed |= run.outcome == SyncRun.Outcome.FAILED
                self.stdout.write(self._line(run))
                for problem in run.problems[:20]:
                    self.stdout.write(f"  - {problem['where']}: {problem['message']}")
        if failed:
            raise CommandError("At least one step failed; see the lines above.")

    @staticmethod
    def _line(run: SyncRun) -> str:
        return (
            f"{run.account}: {run.get_kind_display()} — {run.get_outcome_display()} "
            f"(seen {run.seen}, created {run.created}, updated {run.updated}, "
            f"ended {run.ended}, problems {run.problem_count})"
        )
