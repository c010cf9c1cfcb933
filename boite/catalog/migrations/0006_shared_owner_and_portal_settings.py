"""Every provider and resource gets an owner network, and each network its own settings of
a resource (shown on its portal, order).

Existing rows: a resource belongs to the first network it serves (lowest id: the first
network created, the departmental one on a site set up by `make demo`), a provider to the
first network serving one of its resources; a row serving no network is the consortium's
(no owner: superusers only). Every network already serving a resource keeps it, shown,
at position 0 (the portal's order stays by name)."""

import django.db.models.deletion
from django.db import migrations, models

OWNER_HELP = (
    "Only the administrators of this network and the consortium's technical "
    "administrators change it. Empty: the consortium's."
)


def _owner_field():
    return models.ForeignKey(
        blank=True,
        help_text=OWNER_HELP,
        null=True,
        on_delete=django.db.models.deletion.SET_NULL,
        related_name="+",
        to="networks.network",
        verbose_name="owner network",
    )


def assign_owners_and_copy_settings(apps, schema_editor):
    Resource = apps.get_model("catalog", "Resource")
    Provider = apps.get_model("catalog", "Provider")
    NetworkResource = apps.get_model("catalog", "NetworkResource")
    Served = Resource.networks.through
    rows = list(Served.objects.order_by("resource_id", "network_id").values_list(
        "resource_id", "network_id"
    ))
    NetworkResource.objects.bulk_create(
        [NetworkResource(resource_id=r, network_id=n) for r, n in rows], batch_size=500
    )
    first: dict[int, int] = {}
    for resource_id, network_id in rows:
        first.setdefault(resource_id, network_id)
    for resource in Resource.objects.filter(pk__in=first):
        resource.owner_id = first[resource.pk]
        resource.save(update_fields=["owner"])
    for provider in Provider.objects.all():
        served = sorted(
            first[pk]
            for pk in Resource.objects.filter(provider=provider).values_list("pk", flat=True)
            if pk in first
        )
        if served:
            provider.owner_id = served[0]
            provider.save(update_fields=["owner"])


def copy_settings_back(apps, schema_editor):
    """Backwards: the plain many-to-many gets the networks each resource serves."""
    Resource = apps.get_model("catalog", "Resource")
    NetworkResource = apps.get_model("catalog", "NetworkResource")
    Served = Resource.networks.through
    Served.objects.bulk_create(
        [
            Served(resource_id=r, network_id=n)
            for r, n in NetworkResource.objects.values_list("resource_id", "network_id")
        ],
        batch_size=500,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0005_harvest_heartbeat"),
        ("networks", "0001_initial"),
    ]

    operations = [
        migrations.AddField(model_name="provider", name="owner", field=_owner_field()),
        migrations.AddField(model_name="resource", name="owner", field=_owner_field()),
        migrations.CreateModel(
            name="NetworkResource",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "shown",
                    models.BooleanField(
                        default=True,
                        help_text="Untick to hide the resource from this network's portal "
                        "and search.",
                        verbose_name="shown on the portal",
                    ),
                ),
                (
                    "position",
                    models.PositiveSmallIntegerField(
                        default=0,
                        help_text="Smaller numbers come first; equal numbers are sorted by "
                        "name.",
                        verbose_name="order on the portal",
                    ),
                ),
                (
                    "network",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="resource_settings",
                        to="networks.network",
                        verbose_name="network",
                    ),
                ),
                (
                    "resource",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="portal_settings",
                        to="catalog.resource",
                        verbose_name="resource",
                    ),
                ),
            ],
            options={
                "verbose_name": "resource on a portal",
                "verbose_name_plural": "resources on the portals",
                "ordering": ["network", "position"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("network", "resource"),
                        name="one_setting_per_network_and_resource",
                    )
                ],
            },
        ),
        migrations.RunPython(assign_owners_and_copy_settings, copy_settings_back),
    ]
