"""Encrypt Connector.secrets at rest (boite.lib.crypto).

The clear column is copied into a new encrypted one, which then takes its place; the
migration also runs backwards (decrypting), for a rollback.
"""

from django.db import migrations

import boite.lib.crypto


class Migration(migrations.Migration):
    dependencies = [
        ("access", "0002_gate_quotas"),
    ]

    operations = [
        migrations.AddField(
            model_name="connector",
            name="secrets_encrypted",
            field=boite.lib.crypto.EncryptedJSONField(
                blank=True, default=dict, editable=False, verbose_name="secrets"
            ),
        ),
        migrations.RunPython(
            boite.lib.crypto.copy_column("access", "Connector", "secrets", "secrets_encrypted"),
            boite.lib.crypto.copy_column("access", "Connector", "secrets_encrypted", "secrets"),
        ),
        migrations.RemoveField(model_name="connector", name="secrets"),
        migrations.RenameField(
            model_name="connector", old_name="secrets_encrypted", new_name="secrets"
        ),
    ]
