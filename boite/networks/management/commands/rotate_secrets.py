"""`manage.py rotate_secrets`: encrypt every secret of the database again with the newest
key of BOITE_SECRET_KEYS; `--new-key` prints a fresh key to put in front of the list."""

from __future__ import annotations

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError

from boite.lib import crypto


class Command(BaseCommand):
    help = (
        "Encrypt the secrets kept in the database again with the first key of "
        "BOITE_SECRET_KEYS (after a new key was put in front)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--new-key",
            action="store_true",
            help="print a new random key for BOITE_SECRET_KEYS and change nothing",
        )

    def handle(self, *args, new_key: bool = False, **options) -> None:
        if new_key:
            self.stdout.write(crypto.new_key())
            return
        for model in apps.get_models():
            fields = crypto.secret_fields(model)
            if not fields:
                continue
            label = f"{model._meta.label} ({', '.join(f.name for f in fields)})"
            try:
                count = crypto.re_encrypt(model)
            except crypto.UnknownKey as error:
                raise CommandError(f"{label}: {error} Nothing of this model was changed.") from None
            self.stdout.write(f"{label}: {count} rows encrypted with the newest key")
        self.stdout.write(self.style.SUCCESS("Every secret now uses the newest key."))
