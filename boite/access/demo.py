"""Demo connectors: every seed resource of the catalogue demo has one in each network.

Most are signed links from the presets (each network has its own key, as each has its
own contract); Skilleos uses CAS, diGame OpenID Connect, and the Philharmonie's free
concerts and the PNB resources (opened by loans, not by a provider login) open links.
The addresses are the providers' sites the harvested records point at, so that
« Accéder » on a record leads to that title. `point_at(origin)` moves every demo
connector onto another site (the tests' fake providers).

Quotas: 4 films a month on Médiathèque Numérique, 10 magazines a day on Cafeyn.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from boite.access.connectors.signed_link import preset
from boite.access.models import Connector, Quota
from boite.catalog.models import Resource
from boite.networks.demo import figure
from boite.networks.models import Network

OIDC_DEMO_SECRET = "demo-oidc-secret"  # noqa: S105 — demo data, not a secret

# resource slug → (kind, signed-link preset or None, provider address)
CONNECTORS = {
    "mediatheque-numerique": (
        "signed_link",
        "mediatheque_numerique",
        "https://www.mediatheque-numerique.com/sso_login",
    ),
    "cafeyn": ("signed_link", "cafeyn", "https://www.cafeyn.co/fr/sso/bibliotheque"),
    "philharmonie": ("open_link", None, "https://philharmoniedeparis.fr/fr/live"),
    "skilleos": ("cas", None, "https://www.skilleos.com/cas/start"),
    "vodeclic": ("signed_link", "vodeclic", "https://www.vodeclic.com/auth/biblio/sso"),
    "toutapprendre": (
        "signed_link",
        "toutapprendre",
        "https://www.toutapprendre.com/bibliotheque/sso",
    ),
    "digame": ("oidc", None, "https://www.digame.fr/oidc/start"),
    "ma-petite-mediatheque": (
        "signed_link",
        "ma_petite_mediatheque",
        "https://www.mapetitemediatheque.fr/sso_login",
    ),
    "pnb-livres": ("open_link", None, "https://pnb.example/"),
    "pnb-livres-audio": ("open_link", None, "https://pnb.example/"),
}

QUOTAS = {
    "mediatheque-numerique": (4, Quota.Period.MONTH, "film", "films"),
    "cafeyn": (10, Quota.Period.DAY, "magazine", "magazines"),
}


def settings_for(kind: str, preset_name: str | None, url: str) -> dict:
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(url))
    if kind == "signed_link":
        return preset(preset_name, url)
    if kind == "cas":
        return {
            "url": url,
            "services": [origin + "/cas/callback"],
            "attributes": ["card_number", "first_name", "last_name", "library_code"],
        }
    if kind == "oidc":
        return {
            "url": url,
            "redirect_uris": [origin + "/oidc/callback"],
            "claims": ["card_number", "first_name", "network"],
        }
    return {"url": url}


def demo_key(network: Network, slug: str) -> str:
    return f"demo-key-{network.slug}-{slug}"


def _connector(network: Network, resource: Resource) -> bool:
    kind, preset_name, url = CONNECTORS[resource.slug]
    connector = Connector.objects.filter(network=network, resource=resource).first()
    if connector is None:
        # A connector of the first demo (no resource yet) is taken over by its name.
        connector = Connector.objects.filter(
            network=network, resource__isnull=True, name=resource.provider.name
        ).first() or Connector(network=network)
    new = connector.pk is None or connector.resource_id is None
    connector.resource = resource
    connector.name = resource.name
    connector.kind = kind
    connector.settings = settings_for(kind, preset_name, url)
    connector.is_active = True
    connector.full_clean()
    if kind == "signed_link":
        connector.set_secret("key", demo_key(network, resource.slug))
    if kind == "oidc":
        connector.set_secret("client_secret", OIDC_DEMO_SECRET)
    connector.save()
    return new


def load(stdout) -> None:
    linked = quotas = 0
    resources = {r.slug: r for r in Resource.objects.filter(slug__in=CONNECTORS)}
    for network in Network.objects.all():
        for slug, resource in resources.items():
            linked += _connector(network, resource)
            if slug in QUOTAS:
                limit, period, one, many = QUOTAS[slug]
                quotas += 1
                Quota.objects.update_or_create(
                    network=network,
                    resource=resource,
                    defaults={
                        "limit": limit,
                        "period": period,
                        "unit_singular": one,
                        "unit_plural": many,
                    },
                )
    stdout.write(
        f"{figure(linked)} connectors linked to their resources (signed links, CAS, OpenID "
        f"Connect, open links), {figure(quotas)} quotas"
    )


def point_at(origin: str, cas_origin: str | None = None, oidc_origin: str | None = None) -> None:
    """Move every demo connector's addresses onto `origin` (scheme://host:port), keeping
    their paths; CAS and OIDC connectors onto their own origins when given."""

    def moved(url: str, to: str) -> str:
        new = urlsplit(to)
        return urlunsplit(urlsplit(url)._replace(scheme=new.scheme, netloc=new.netloc))

    for connector in Connector.objects.filter(resource__slug__in=CONNECTORS):
        to = {"cas": cas_origin, "oidc": oidc_origin}.get(connector.kind) or origin
        settings = dict(connector.settings)
        settings["url"] = moved(settings["url"], to)
        for name in ("services", "redirect_uris"):
            if name in settings:
                settings[name] = [moved(u, to) for u in settings[name]]
        connector.settings = settings
        connector.save()
