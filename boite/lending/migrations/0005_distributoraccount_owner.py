"""Every distributor account gets an owner network: existing accounts belong to the first
network they serve (lowest id: the departmental network on a site set up by `make demo`);
an account serving no network is the consortium's (no owner: superusers only)."""

import django.db.models.deletion
from django.db import migrations, models


def assign_owners(apps, schema_editor):
    Account = apps.get_model("lending", "DistributorAccount")
    for account in Account.objects.all():
        first = account.networks.order_by("pk").values_list("pk", flat=True).first()
        if first is not None:
            account.owner_id = first
            account.save(update_fields=["owner"])


class Migration(migrations.Migration):
    dependencies = [
        ("lending", "0004_loan_return_requested"),
        ("networks", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="distributoraccount",
            name="owner",
            field=models.ForeignKey(
                blank=True,
                help_text="Only the administrators of this network and the consortium's "
                "technical administrators change it. Empty: the consortium's.",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="networks.network",
                verbose_name="owner network",
            ),
        ),
        migrations.RunPython(assign_owners, migrations.RunPython.noop),
    ]
