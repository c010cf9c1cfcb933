"""Encrypt Resource.harvest_secret at rest (boite.lib.crypto).

The clear column is copied into a new encrypted one, which then takes its place; the
migration also runs backwards (decrypting), for a rollback.
"""

from django.db import migrations

import boite.lib.crypto


def encrypt(apps, schema_editor):
    model = apps.get_model("catalog", "Resource")
    rows = model.objects.using(schema_editor.connection.alias)
    for pk, clear in rows.values_list("pk", "harvest_secret"):
        if clear:
            rows.filter(pk=pk).update(harvest_secret_encrypted=clear)


def decrypt(apps, schema_editor):
    model = apps.get_model("catalog", "Resource")
    rows = model.objects.using(schema_editor.connection.alias)
    for pk, clear in rows.values_list("pk", "harvest_secret_encrypted"):
        if clear:
            rows.filter(pk=pk).update(harvest_secret=clear)


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
        migrations.RunPython(encrypt, decrypt),
        migrations.RemoveField(model_name="resource", name="harvest_secret"),
        migrations.RenameField(
            model_name="resource", old_name="harvest_secret_encrypted", new_name="harvest_secret"
        ),
    ]
