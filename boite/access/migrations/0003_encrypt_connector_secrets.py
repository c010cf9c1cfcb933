"""Encrypt Connector.secrets at rest (boite.lib.crypto).

The clear column is copied into a new encrypted one, which then takes its place; the
migration also runs backwards (decrypting), for a rollback.
"""

from django.db import migrations

import boite.lib.crypto


def encrypt(apps, schema_editor):
    model = apps.get_model("access", "Connector")
    rows = model.objects.using(schema_editor.connection.alias)
    for pk, clear in rows.values_list("pk", "secrets"):
        if clear:
            rows.filter(pk=pk).update(secrets_encrypted=clear)


def decrypt(apps, schema_editor):
    model = apps.get_model("access", "Connector")
    rows = model.objects.using(schema_editor.connection.alias)
    for pk, clear in rows.values_list("pk", "secrets_encrypted"):
        if clear:
            rows.filter(pk=pk).update(secrets=clear)


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
        migrations.RunPython(encrypt, decrypt),
        migrations.RemoveField(model_name="connector", name="secrets"),
        migrations.RenameField(
            model_name="connector", old_name="secrets_encrypted", new_name="secrets"
        ),
    ]
