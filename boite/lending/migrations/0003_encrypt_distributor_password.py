"""Encrypt DistributorAccount.password at rest (boite.lib.crypto).

The clear column is copied into a new encrypted one, which then takes its place; the
migration also runs backwards (decrypting), for a rollback.
"""

from django.db import migrations

import boite.lib.crypto


class Migration(migrations.Migration):
    dependencies = [
        ("lending", "0002_licence_record_lendingrules_hold_loan"),
    ]

    operations = [
        migrations.AddField(
            model_name="distributoraccount",
            name="password_encrypted",
            field=boite.lib.crypto.EncryptedTextField(
                blank=True, max_length=200, verbose_name="password"
            ),
        ),
        migrations.RunPython(
            boite.lib.crypto.copy_column("lending", "DistributorAccount", "password", "password_encrypted"),
            boite.lib.crypto.copy_column("lending", "DistributorAccount", "password_encrypted", "password"),
        ),
        migrations.RemoveField(model_name="distributoraccount", name="password"),
        migrations.RenameField(
            model_name="distributoraccount", old_name="password_encrypted", new_name="password"
        ),
    ]
