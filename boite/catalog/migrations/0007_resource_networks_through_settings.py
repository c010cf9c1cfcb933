"""The networks a resource serves are now its `NetworkResource` rows (copied by 0006);
the old plain many-to-many table goes. A migration of its own so that PostgreSQL drops
the table in another transaction than the one that wrote the copied rows."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0006_shared_owner_and_portal_settings"),
    ]

    operations = [
        migrations.RemoveField(model_name="resource", name="networks"),
        migrations.AddField(
            model_name="resource",
            name="networks",
            field=models.ManyToManyField(
                blank=True,
                help_text="The portals whose patrons may use this resource.",
                related_name="resources",
                through="catalog.NetworkResource",
                to="networks.network",
                verbose_name="networks",
            ),
        ),
    ]
