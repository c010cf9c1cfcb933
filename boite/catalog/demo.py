"""Demo catalogue: the providers the field names, one resource each (two for PNB), open
to both demo networks, and their records harvested from the files in fixtures/.

Loaded by `manage.py load_demo` after the networks (the apps load in INSTALLED_APPS
order, networks last is fine: the resources are opened to whatever networks exist).
Each fixture becomes the resource's uploaded source file, as a network administrator
would upload it, so that the scheduled harvests of `make run` read it again.
"""

from __future__ import annotations

from pathlib import Path

from django.core.files import File

from boite.catalog.categories import Category
from boite.catalog.harvest.runner import harvest
from boite.catalog.models import Audience, HarvestRun, Provider, Resource
from boite.networks.demo import figure, shared_owner
from boite.networks.models import Network

FIXTURES = Path(__file__).parent / "fixtures"

PROVIDERS = [
    ("mediatheque-numerique", "Médiathèque Numérique", "https://www.mediatheque-numerique.com"),
    ("cafeyn", "Cafeyn", "https://www.cafeyn.co"),
    ("philharmonie", "Philharmonie de Paris / Muniki", "https://philharmoniedeparis.fr"),
    ("skilleos", "Skilleos", "https://www.skilleos.com"),
    ("vodeclic", "Vodeclic", "https://www.vodeclic.com"),
    ("toutapprendre", "Toutapprendre", "https://www.toutapprendre.com"),
    ("digame", "diGame", "https://www.digame.fr"),
    ("ma-petite-mediatheque", "Ma Petite Médiathèque", "https://www.mapetitemediatheque.fr"),
    ("dilicom-pnb", "Dilicom PNB", "https://www.dilicom.net"),
]

_WEB = "Cliquez sur « Accéder » : vous êtes connecté avec votre compte de la bibliothèque."
_APP = "Installez l'application du fournisseur, puis ouvrez la ressource depuis ce portail."
_TV = (
    "Ouvrez le portail sur l'ordinateur et diffusez l'écran sur la télévision "
    "(câble HDMI ou Chromecast)."
)

# slug, provider, name, category, audience, description, format, fixture, options
RESOURCES = [
    ("mediatheque-numerique", "mediatheque-numerique", "Médiathèque Numérique",
     Category.CINEMA, Audience.ALL,
     "Films de cinéma, documentaires et séries d'ARTE et d'UniversCiné, en streaming.",
     "json", "mediatheque-numerique.json", {}),
    ("cafeyn", "cafeyn", "Cafeyn — la presse en ligne", Category.PRESS, Audience.ALL,
     "Plus de 1 000 journaux et magazines à lire sur ordinateur, tablette et téléphone.",
     "csv", "cafeyn.csv", {}),
    ("philharmonie", "philharmonie", "Philharmonie à la demande", Category.MUSIC, Audience.ALL,
     "Concerts filmés, guides d'écoute et ateliers de la Philharmonie de Paris.",
     "marc", "philharmonie.marcxml.xml", {"flavour": "marc21"}),
    ("skilleos", "skilleos", "Skilleos", Category.TRAINING, Audience.ALL,
     "Cours vidéo de loisirs : musique, bien-être, cuisine, dessin.",
     "csv", "skilleos.csv", {"kind": "cours"}),
    ("vodeclic", "vodeclic", "Vodeclic", Category.TRAINING, Audience.ADULT,
     "Formations à l'informatique, à internet et aux logiciels.",
     "csv", "vodeclic.csv", {"kind": "cours"}),
    ("toutapprendre", "toutapprendre", "Toutapprendre", Category.TRAINING, Audience.ALL,
     "Langues, code de la route, bureautique, soutien scolaire et loisirs.",
     "csv", "toutapprendre.tsv",
     {"kind": "cours", "mapping": {"provider_id": "ref", "title": "intitule",
      "description": "description", "languages": "langue", "duration_minutes": "duree",
      "subjects": "themes", "deep_link": "url", "audience": "niveau"}}),
    ("digame", "digame", "diGame", Category.VIDEO_GAME, Audience.ALL,
     "Jeux vidéo en ligne pour tous les âges, sans installation.",
     "csv", "digame.csv", {"kind": "jeu"}),
    ("ma-petite-mediatheque", "ma-petite-mediatheque", "Ma Petite Médiathèque",
     Category.YOUTH, Audience.YOUTH,
     "Histoires animées, comptines, documentaires et jeux pour les enfants de 3 à 12 ans.",
     "marc", "ma-petite-mediatheque.unimarc.mrc", {"flavour": "unimarc"}),
    ("pnb-livres", "dilicom-pnb", "Livres numériques (PNB)", Category.BOOK, Audience.ALL,
     "Romans, polars, guides et albums à emprunter pour 21 jours sur liseuse ou tablette.",
     "onix", "pnb-livres.onix.xml", {}),
    ("pnb-livres-audio", "dilicom-pnb", "Livres audio (PNB)", Category.AUDIOBOOK, Audience.ALL,
     "Livres audio à emprunter et à écouter sur téléphone ou ordinateur.",
     "opds", "pnb-livres-audio.opds.json", {}),
]  # fmt: skip


def load(stdout) -> None:
    providers = {}
    owner = shared_owner()
    for slug, name, website in PROVIDERS:
        providers[slug], _ = Provider.objects.update_or_create(
            slug=slug, defaults={"name": name, "website": website, "owner": owner}
        )
    networks = list(Network.objects.all())
    created = updated = rejected = 0
    for slug, provider, name, category, audience, text, fmt, fixture, options in RESOURCES:
        resource, _ = Resource.objects.update_or_create(
            slug=slug,
            defaults={
                "provider": providers[provider],
                "owner": owner,
                "name": name,
                "category": category,
                "audience": audience,
                "age_min": 3 if audience == Audience.YOUTH else None,
                "age_max": 12 if audience == Audience.YOUTH else None,
                "description": text,
                "how_to_computer": _WEB,
                "how_to_phone": _APP,
                "how_to_tv": _TV,
                "harvest_format": fmt,
                "harvest_source": "",
                "harvest_drop_file": "",
                "harvest_options": options,
            },
        )
        resource.networks.add(*networks)
        _upload(resource, FIXTURES / fixture)
        run = harvest(resource, mode=HarvestRun.Mode.FULL)
        created, updated, rejected = (
            created + run.created,
            updated + run.updated,
            rejected + run.rejected,
        )
        if run.status != HarvestRun.Status.SUCCEEDED:
            stdout.write(f"harvest of {slug}: {run.status}")
    stdout.write(
        f"{len(PROVIDERS)} providers, {len(RESOURCES)} resources, {figure(created + updated)} "
        f"records harvested from fixtures/ ({figure(rejected)} rejected)"
    )


def _upload(resource: Resource, fixture: Path) -> None:
    """The fixture as the resource's source file, stored once under demo/ in the private
    storage and shared by every load of the demo."""
    storage = resource.harvest_file.storage
    name = f"demo/{fixture.name}"
    if not (storage.exists(name) and storage.size(name) == fixture.stat().st_size):
        if storage.exists(name):
            storage.delete(name)
        with fixture.open("rb") as handle:
            name = storage.save(name, File(handle))
    if resource.harvest_file.name != name:
        resource.harvest_file.name = name
        resource.save(update_fields=["harvest_file"])
