"""Demo connectors: one per seed provider of each network, from the presets.

The keys are placeholders and the addresses are the providers' public ones: the demo
shows how connectors are configured; the gate wave links them to the demo resources.
"""

from __future__ import annotations

from boite.access.connectors.signed_link import PRESETS, preset
from boite.access.models import Connector
from boite.networks.models import Network


def load(stdout) -> None:
    created = 0
    for network in Network.objects.all():
        for name, (label, _scheme, _recipe) in PRESETS.items():
            connector, new = Connector.objects.get_or_create(
                network=network,
                name=label,
                defaults={"kind": "signed_link", "settings": preset(name)},
            )
            if new:
                connector.full_clean()
                connector.set_secret("key", f"demo-key-{name}")
                connector.save()
                created += 1
    stdout.write(f"access: {created} demo connectors created")
