from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from boite.networks import outlines


class Command(BaseCommand):
    help = (
        "Store the outlines of communes for the territory map, from a GeoJSON collection "
        "(feature id or properties.insee = INSEE code), simplified to about 100 m."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="GeoJSON FeatureCollection of communes")

    def handle(self, *args, file: str, **options):
        try:
            raw = Path(file).read_bytes()
        except OSError:
            raise CommandError(_("No such file: %(file)s") % {"file": file}) from None
        try:
            report = outlines.import_outlines(outlines.read_geojson(raw))
        except outlines.OutlineFileError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            _("%(updated)d communes drawn, %(unknown)d codes of the file are not in the database.")
            % {"updated": report.updated, "unknown": report.unknown}
        )
