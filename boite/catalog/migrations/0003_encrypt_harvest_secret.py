"""Encrypt Resource.harvest_secret at rest (boite.lib.crypto).

The clear column is copied into a new encrypted one, which then takes its place; the
migration also runs backwards (decrypting), for a rollback.
"""

from django.db import migrations

import boite.lib.crypto


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0002_staged_fingerprint"),
    ]

    operations = [
        migrations.AddField(
            model_name="resource",
            name="harvest_secret_encrypted",
            field=boite.lib.crypto.EncryptedTextField(
                blank=True, max_length=500, verbose_name="password or token"
            ),
        ),
        migrations.RunPython(
            boite.lib.crypto.copy_column("catalog", "Resource", "harvest_secret", "harvest_secret_encrypted"),
            boite.lib.crypto.copy_column("catalog", "Resource", "harvest_secret_encrypted", "harvest_secret"),
        ),
        migrations.RemoveField(model_name="resource", name="harvest_secret"),
        migrations.RenameField(
            model_name="resource", old_name="harvest_secret_encrypted", new_name="harvest_secret"
        ),
    ]
