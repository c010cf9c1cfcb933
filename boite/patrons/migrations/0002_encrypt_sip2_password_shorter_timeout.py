"""Encrypt PatronRules.sip2_login_password at rest (boite.lib.crypto).

The clear column is copied into a new encrypted one, which then takes its place; the
migration also runs backwards (decrypting), for a rollback.
"""

import django.core.validators
from django.db import migrations, models


import boite.lib.crypto


class Migration(migrations.Migration):
    dependencies = [
        ("patrons", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="patronrules",
            name="sip2_login_password_encrypted",
            field=boite.lib.crypto.EncryptedTextField(
                blank=True, max_length=60, verbose_name="SIP2 login password"
            ),
        ),
        migrations.RunPython(
            boite.lib.crypto.copy_column("patrons", "PatronRules", "sip2_login_password", "sip2_login_password_encrypted"),
            boite.lib.crypto.copy_column("patrons", "PatronRules", "sip2_login_password_encrypted", "sip2_login_password"),
        ),
        migrations.RemoveField(model_name="patronrules", name="sip2_login_password"),
        migrations.RenameField(
            model_name="patronrules",
            old_name="sip2_login_password_encrypted",
            new_name="sip2_login_password",
        ),
        migrations.AlterField(
            model_name="patronrules",
            name="sip2_timeout",
            field=models.FloatField(
                default=3.0,
                help_text="Each login waits this long at most for a silent library system: keep it short (2–3 s).",
                validators=[
                    django.core.validators.MinValueValidator(0.5),
                    django.core.validators.MaxValueValidator(30),
                ],
                verbose_name="SIP2 timeout (seconds)",
            ),
        ),
    ]
