from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from boite.networks.communes import CommuneFileError, import_communes


class Command(BaseCommand):
    help = "Import communes and their legal population from an INSEE-style CSV file."

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV: insee_code, name, postal_codes, population_YYYY")

    def handle(self, *args, file: str, **options):
        try:
            report = import_communes(file)
        except FileNotFoundError:
            raise CommandError(_("No such file: %(file)s") % {"file": file}) from None
        except CommuneFileError as error:
            raise CommandError(str(error)) from None
        for line, reason in report.rejected:
            self.stderr.write(
                _("Line %(line)d rejected: %(reason)s") % {"line": line, "reason": reason}
            )
        self.stdout.write(
            _(
                "%(created)d created, %(updated)d updated, %(unchanged)d unchanged, "
                "%(rejected)d rejected."
            )
            % {
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "rejected": len(report.rejected),
            }
        )
