"""Fixtures of the professional space: files in a temporary folder, posts, events."""

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from PIL import Image

from boite.networks.models import User
from boite.pro.models import Document, DocumentVersion, Event, NewsItem, Post


def _raster(fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), (30, 90, 160)).save(buffer, format=fmt)
    return buffer.getvalue()


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
JPEG = _raster("JPEG")
PNG = _raster("PNG")  # a real image: images are decoded (boite.lib.images)


@pytest.fixture(autouse=True)
def _private_files(settings, tmp_path):
    settings.PRO_FILES_ROOT = tmp_path / "pro-files"
    settings.PRO_MAX_UPLOAD_BYTES = 64 * 1024


@pytest.fixture
def patron(db) -> User:
    """A patron-like account: logged in, no staff role (the patrons app comes later)."""
    return User.objects.create_user("usager", "usager@example.org", "pw-usager-123")


@pytest.fixture
def post(calvados, editor) -> Post:
    return Post.objects.create(
        network=calvados,
        title="Nouveautés Cafeyn",
        category=Post.Category.RESOURCES,
        body="La **presse** arrive.",
        author=editor,
        published_at=timezone.now() - timedelta(hours=1),
    )


@pytest.fixture
def shared_post(calvados, editor) -> Post:
    return Post.objects.create(
        network=calvados,
        title="Médiation PNB : le guide",
        category=Post.Category.PNB,
        body="Pour tous les réseaux.",
        author=editor,
        shared=True,
        published_at=timezone.now() - timedelta(hours=2),
    )


@pytest.fixture
def event(calvados) -> Event:
    start = timezone.now() + timedelta(days=30)
    return Event.objects.create(
        network=calvados,
        kind=Event.Kind.TRAINING,
        title="Formation PNB",
        place="Bibliothèque du Calvados, Caen",
        starts_at=start,
        ends_at=start + timedelta(hours=3),
        capacity=1,
    )


@pytest.fixture
def document(calvados, editor) -> Document:
    from django.core.files.base import ContentFile

    document = Document.objects.create(
        network=calvados, kind=Document.Kind.GUIDE, title="Présenter Cafeyn", offer="Cafeyn"
    )
    DocumentVersion.objects.create(
        document=document,
        number=1,
        file=ContentFile(PDF, name="cafeyn.pdf"),
        original_name="cafeyn.pdf",
        size=len(PDF),
        uploaded_by=editor,
    )
    return document


@pytest.fixture
def news(calvados) -> NewsItem:
    return NewsItem.objects.create(
        network=calvados,
        kind=NewsItem.Kind.NEW_RESOURCE,
        title="Nouveau : les concerts de la Philharmonie",
        slug="concerts-philharmonie",
        summary="Des centaines de concerts en ligne.",
        publish_at=timezone.now() - timedelta(minutes=5),
    )
