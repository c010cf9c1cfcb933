"""Encrypt ProviderAccount.api_key (the SUSHI API key) at rest (boite.lib.crypto).

The clear column is copied into a new encrypted one, which then takes its place; the
migration also runs backwards (decrypting), for a rollback.
"""

from django.db import migrations

import boite.lib.crypto


class Migration(migrations.Migration):
    dependencies = [
        ("stats", "0006_events_keep_a_keyed_hash"),
    ]

    operations = [
        migrations.AddField(
            model_name="provideraccount",
            name="api_key_encrypted",
            field=boite.lib.crypto.EncryptedTextField(
                blank=True, max_length=200, verbose_name="API key"
            ),
        ),
        migrations.RunPython(
            boite.lib.crypto.copy_column("stats", "ProviderAccount", "api_key", "api_key_encrypted"),
            boite.lib.crypto.copy_column("stats", "ProviderAccount", "api_key_encrypted", "api_key"),
        ),
        migrations.RemoveField(model_name="provideraccount", name="api_key"),
        migrations.RenameField(
            model_name="provideraccount", old_name="api_key_encrypted", new_name="api_key"
        ),
    ]
