"""Demo content of the professional space: posts, the professional days 2019–2021,
a training session, documents, contacts and news for both portals.

Idempotent (update_or_create on natural keys); documents are small generated PDFs.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.core.files.base import ContentFile
from django.utils import timezone

from boite.catalog.models import Record, Resource
from boite.networks.demo import figure
from boite.networks.models import Library, Network, User
from boite.pro.models import (
    Document,
    DocumentVersion,
    Event,
    NewsItem,
    OfferContact,
    Post,
    Selection,
    SelectionItem,
)

PARIS = ZoneInfo("Europe/Paris")


def _pdf(title: str) -> bytes:
    """A minimal valid one-page PDF carrying the title, for demo documents."""
    text = title.encode("latin-1", "replace").replace(b"(", b"[").replace(b")", b"]")
    stream = b"BT /F1 18 Tf 72 720 Td (" + text + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)


def _at(year, month, day, hour=9) -> datetime:
    return datetime(year, month, day, hour, 0, tzinfo=PARIS)


POSTS = [
    (
        "Bienvenue dans l'espace professionnel",
        Post.Category.NEWS,
        True,
        "Cet espace réunit les bibliothécaires des deux réseaux : **billets**, journées "
        "professionnelles, formations et documents de travail.\n\nAbonnez-vous au flux RSS ou à "
        "la lettre hebdomadaire (page « Mes courriels »).",
    ),
    (
        "PNB : prolonger un prêt depuis la liseuse",
        Post.Category.PNB,
        True,
        "Depuis la mise à jour de novembre, l'usager peut prolonger un prêt :\n\n"
        "1. ouvrir Thorium ou Aldiko ;\n2. choisir le livre ;\n3. « Prolonger ».\n\n"
        "Voir le [guide Dilicom](https://www.dilicom.net).",
    ),
    (
        "Cafeyn : accès direct depuis le portail",
        Post.Category.TECHNICAL,
        False,
        "Le lien signé est actif : plus besoin de second identifiant pour les usagers.",
    ),
    (
        "Atelier « Premiers pas sur liseuse »",
        Post.Category.MEDIATION,
        True,
        "Un déroulé d'atelier d'une heure trente, testé à Bayeux, pour 8 personnes.",
    ),
    (
        "Nouvelle ressource : Ma Petite Médiathèque",
        Post.Category.RESOURCES,
        False,
        "Pour les 3–12 ans : histoires, musique, jeux. Kit de communication dans *Documents*.",
    ),
]

EVENTS = [
    (
        Event.Kind.PROFESSIONAL_DAY,
        "C'est dans la Boîte ! 2019",
        "Nouveaux fournisseurs",
        _at(2019, 6, 13),
        "Bibliothèque Alexis de Tocqueville, Caen",
        120,
        "- 9 h 30 : accueil\n- 10 h : les nouveaux fournisseurs se présentent\n"
        "- 14 h : ateliers de prise en main",
    ),
    (
        Event.Kind.PROFESSIONAL_DAY,
        "C'est dans la Boîte ! 2020",
        "Prêt numérique",
        _at(2020, 10, 8),
        "En ligne",
        200,
        "- 9 h 30 : le prêt numérique en bibliothèque (PNB)\n- 11 h : retours d'expérience",
    ),
    (
        Event.Kind.PROFESSIONAL_DAY,
        "C'est dans la Boîte ! 2021",
        "Jeunes et écrans",
        _at(2021, 6, 17),
        "Abbaye aux Dames, Caen",
        100,
        "- 9 h 30 : conférence « Les jeunes et les écrans »\n- 14 h : ateliers jeux vidéo",
    ),
]

DOCUMENTS = [
    (Document.Kind.GUIDE, "Présenter Cafeyn aux usagers", "Cafeyn", Document.Audience.STAFF),
    (Document.Kind.GUIDE, "Présenter la Médiathèque Numérique", "Médiathèque Numérique",
     Document.Audience.STAFF),
    (Document.Kind.TRAINING, "Support de formation PNB", "PNB", Document.Audience.STAFF),
    (Document.Kind.WORKING_GROUP, "Groupe de travail Ressources en ligne — compte rendu", "",
     Document.Audience.WRITERS),
    (Document.Kind.COMMITTEE, "COPIL — relevé de décisions", "", Document.Audience.ADMINS),
]  # fmt: skip


def _posts(network: Network, author: User | None) -> None:
    now = timezone.now()
    for index, (title, category, shared, body) in enumerate(POSTS):
        Post.objects.update_or_create(
            network=network,
            title=title,
            defaults={
                "category": category,
                "body": body,
                "shared": shared,
                "author": author,
                "published_at": now - timedelta(days=3 * index + 1),
            },
        )


def load(stdout) -> None:
    calvados = Network.objects.get(slug="boite-numerique")
    caen = Network.objects.get(slug="caen-la-mer")
    editor = User.objects.filter(username="redaction").first()
    admin_caen = User.objects.filter(username="admin.caen").first()

    _posts(calvados, editor)
    Post.objects.update_or_create(
        network=caen,
        title="Caen la Mer : nouvelles tablettes dans les bibliothèques",
        defaults={
            "category": Post.Category.NEWS,
            "body": "Dix tablettes arrivent pour les ateliers de médiation.",
            "author": admin_caen,
            "published_at": timezone.now() - timedelta(days=2),
        },
    )

    for kind, title, theme, start, place, capacity, programme in EVENTS:
        Event.objects.update_or_create(
            network=calvados,
            title=title,
            defaults={
                "kind": kind,
                "theme": theme,
                "starts_at": start,
                "ends_at": start.replace(hour=17),
                "place": place,
                "capacity": capacity,
                "programme": programme,
                "shared": True,
            },
        )
    training_day = timezone.localtime() + timedelta(days=21)
    training_start = training_day.replace(hour=14, minute=0, second=0, microsecond=0)
    Event.objects.update_or_create(
        network=calvados,
        title="Formation : accompagner les usagers sur PNB",
        defaults={
            "kind": Event.Kind.TRAINING,
            "theme": "Médiation autour du prêt numérique",
            "starts_at": training_start,
            "ends_at": training_start + timedelta(hours=3),
            "place": "Médiathèque de Bayeux, salle de formation",
            "capacity": 12,
            "programme": "- Installer une application de lecture\n- Emprunter, rendre, prolonger",
            "shared": True,
        },
    )

    for kind, title, offer, audience in DOCUMENTS:
        document, _created = Document.objects.update_or_create(
            network=calvados,
            title=title,
            defaults={"kind": kind, "offer": offer, "audience": audience, "shared": True},
        )
        if not document.versions.exists():
            content = _pdf(title)
            DocumentVersion.objects.create(
                document=document,
                number=1,
                file=ContentFile(content, name="document.pdf"),
                original_name=f"{document.pk}-{kind}.pdf",
                size=len(content),
                uploaded_by=editor,
                note="Première version",
            )

    bayeux = Library.objects.filter(network=calvados, slug="mediatheque-de-bayeux").first()
    resources = {r.slug: r for r in Resource.objects.all()}
    for offer, slug, name, role, library in [
        ("PNB", "pnb-livres", "Sophie Hamel", "Référente PNB", bayeux),
        ("Cafeyn", "cafeyn", "Bibliothèque du Calvados", "Gestion des accès", None),
        ("Médiathèque Numérique", "mediatheque-numerique", "Bibliothèque du Calvados",
         "Gestion des accès", None),
    ]:  # fmt: skip
        OfferContact.objects.update_or_create(
            network=calvados,
            offer=offer,
            name=name,
            defaults={
                "resource": resources.get(slug),
                "role": role,
                "library": library,
                "email": "boitenumerique@calvados.example",
            },
        )

    now = timezone.now()
    for network in (calvados, caen):
        for slug, kind, title, summary, delay in [
            ("philharmonie", NewsItem.Kind.NEW_RESOURCE, "Nouveau : les concerts de la "
             "Philharmonie de Paris", "Des centaines de concerts filmés, à voir chez vous.", 1),
            ("pnb-noel", NewsItem.Kind.HIGHLIGHT, "Des livres numériques pour les fêtes",
             "Empruntez jusqu'à trois livres numériques à la fois.", 4),
            ("coups-de-coeur-ete", NewsItem.Kind.NEWS, "Nos coups de cœur de l'été",
             "La sélection des bibliothécaires pour les vacances.", -7),
        ]:  # fmt: skip
            NewsItem.objects.update_or_create(
                network=network,
                slug=slug,
                defaults={
                    "kind": kind,
                    "title": title,
                    "summary": summary,
                    "body": summary,
                    "publish_at": now - timedelta(days=delay),  # negative: scheduled
                },
            )
        selection, _created = Selection.objects.update_or_create(
            network=network,
            slug="coups-de-coeur",
            defaults={
                "title": "Coups de cœur des bibliothécaires",
                "introduction": "Nos films, livres et cours préférés du moment.",
                "publish_at": now - timedelta(days=2),
            },
        )
        selection.items.all().delete()
        for position, (record, description) in enumerate(_favourites(network)):
            SelectionItem.objects.create(
                selection=selection,
                record=record,
                title="" if record else "Le Monde",
                description=description,
                position=position,
            )
    stdout.write(
        f"{figure(Post.objects.count())} posts, {figure(Event.objects.count())} events, "
        f"{figure(Document.objects.count())} documents, {figure(NewsItem.objects.count())} news"
    )


# Resource, and why the librarians like its first title (the demo catalogue's records).
FAVOURITES = [
    ("mediatheque-numerique", "Un film qui fait du bien, sur la Médiathèque Numérique."),
    ("skilleos", "Un cours complet et clair, sur Skilleos."),
    ("pnb-livres", "À emprunter pour trois semaines sur liseuse ou tablette."),
    ("ma-petite-mediatheque", "Pour les 3–12 ans, à regarder en famille."),
]


def _favourites(network):
    """Real records of the demo catalogue (or a free-text item without a catalogue)."""
    picks = []
    for slug, description in FAVOURITES:
        records = Record.objects.visible_to(network).filter(resource__slug=slug)
        record = records.order_by("title").first()
        if record is not None:
            picks.append((record, description))
    return picks or [(None, "Chaque matin sur Cafeyn.")]
