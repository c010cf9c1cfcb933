"""Hostile Markdown and uploads: nothing runs, nothing disguised gets in."""

import io
import zipfile
from html.parser import HTMLParser

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from boite.pro.forms import check_file as check_upload
from boite.pro.models import Attachment, Document, DocumentVersion, Post
from boite.pro.rendering import render_markdown
from boite.pro.tests.conftest import JPEG, PDF, PNG

HOSTILE_MARKDOWN = [
    "<script>alert('x')</script>",
    "[clic](javascript:alert(1))",
    "[clic](JaVaScRiPt:alert(1))",
    "[clic](  javascript:alert(1))",
    '<a href="javascript&#58;alert(1)">clic</a>',
    "<img src=x onerror=alert(1)>",
    '<p onclick="alert(1)">texte</p>',
    "![image](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "[lien](data:text/html,<script>alert(1)</script>)",
    '<svg onload="alert(1)"><circle/></svg>',
    '<iframe src="https://evil.example"></iframe>',
    "<style>body{display:none}</style>",
    '<a href="vbscript:msgbox(1)">x</a>',
    '<form action="https://evil.example"><input name="p"></form>',
    '<object data="x.swf"></object>',
]
DANGEROUS = ["<script", "javascript:", "onerror", "onclick", "onload", "data:", "<svg",
             "<iframe", "<style", "vbscript:", "<form", "<input", "<object"]  # fmt: skip


@pytest.mark.parametrize("source", HOSTILE_MARKDOWN)
def test_hostile_markdown_is_defused(source):
    html = render_markdown(source).lower()
    for marker in DANGEROUS:
        assert marker not in html


TOKENS = [*"<>\"'=/ :;&#()[]!*_`\n", "script", "javascript", "onerror", "img", "src",
          "a href", "data", "svg", "x", "&#58;", "\t"]  # fmt: skip


@given(st.lists(st.sampled_from(TOKENS), max_size=80).map("".join))
@settings(max_examples=300, deadline=None)
def test_no_markdown_at_all_yields_script_or_handlers(source):
    tags = _Tags()
    tags.feed(render_markdown(source))
    assert not {"script", "style", "svg", "iframe", "object"} & tags.names
    for name, value in tags.attributes:
        assert not name.startswith("on")
        if name in {"href", "src"}:
            scheme = value.split(":", 1)[0].strip().lower() if ":" in value else ""
            assert scheme in {"", "http", "https", "mailto"} or "/" in scheme or "?" in scheme


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.names: set[str] = set()
        self.attributes: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        self.names.add(tag)
        self.attributes += [(name, value or "") for name, value in attrs]


def test_safe_markdown_keeps_its_shape():
    html = render_markdown("## Titre\n\n- [Cafeyn](https://www.cafeyn.co)\n- `code`")
    assert "<h2>Titre</h2>" in html
    assert 'href="https://www.cafeyn.co"' in html
    assert "<code>code</code>" in html
    image = render_markdown("![La salle](/pro/fichiers/3/?voir=1)")
    assert '<img alt="La salle" src="/pro/fichiers/3/?voir=1">' in image


def test_a_hostile_post_is_served_harmless(client, login, editor, librarian_bayeux):
    login(client, editor)
    client.post(
        reverse("pro:post_new"),
        {
            "title": "Piège",
            "category": "technique",
            "publish": "on",
            "body": "<script>alert(1)</script>\n\n[x](javascript:alert(2)) <img onerror=alert(3)>",
        },
    )
    post = Post.objects.get()
    login(client, librarian_bayeux)
    for url in [reverse("pro:post", args=[post.pk]), reverse("pro:feed_rss")]:
        body = client.get(url).content.decode()
        assert "<script>alert(1)" not in body
        assert "javascript:alert(2)" not in body
        assert "onerror" not in body


def _upload(name, content, content_type="application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


DISGUISED = [
    ("guide.pdf", b"<!DOCTYPE html><html><script>alert(1)</script></html>", "file_content"),
    ("guide.pdf", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "file_content"),
    ("guide.pdf", b"\n\n  <html><body>hello</body></html>", "file_content"),
    ("photo.png", b"<svg onload=alert(1)></svg>", "file_content"),
    ("photo.jpg", PDF, "file_content"),
    ("notes.txt", b"<html><script>alert(1)</script></html>", "file_content"),
    ("notes.csv", b"\xef\xbb\xbf  <SVG onload=alert(1)>", "file_content"),
    ("notes.txt", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00", "file_content"),
    ("guide.odt", b"PK\x03\x04 not really a zip", "file_content"),
    ("guide.docx", _zip({"index.html": b"<script>alert(1)</script>"}), "file_content"),
    ("page.html", b"<html></html>", "file_type"),
    ("image.svg", b"<svg/>", "file_type"),
    ("script.js", b"alert(1)", "file_type"),
    ("setup.exe", b"MZ\x90\x00", "file_type"),
    ("guide.pdf.html", PDF, "file_type"),
    ("sans-extension", PDF, "file_type"),
    ("vide.pdf", b"", "file_empty"),
]


@pytest.mark.parametrize(("name", "content", "code"), DISGUISED)
def test_disguised_and_forbidden_files_are_refused(name, content, code):
    with pytest.raises(ValidationError) as error:
        check_upload(_upload(name, content))
    assert error.value.code == code


def test_oversized_files_are_refused(settings):
    settings.PRO_MAX_UPLOAD_BYTES = 1000
    with pytest.raises(ValidationError) as error:
        check_upload(_upload("gros.pdf", PDF + b"0" * 1000))
    assert error.value.code == "file_size"
    assert "1000" in str(error.value.messages[0]) or "octets" in error.value.messages[0]


@pytest.mark.parametrize(
    ("name", "content"),
    [("guide.pdf", PDF), ("photo.png", PNG), ("photo.JPG", JPEG),
     ("notes.txt", "Résumé du groupe de travail".encode()), ("table.csv", b"a;b\n1;2\n"),
     ("guide.odt", _zip({"mimetype": b"application/vnd.oasis.opendocument.text",
                         "content.xml": b"<office/>"}))],
)  # fmt: skip
def test_genuine_files_are_accepted(name, content):
    assert check_upload(_upload(name, content)).content_type


def test_a_disguised_document_upload_changes_nothing(client, login, editor, document):
    login(client, editor)
    response = client.post(
        reverse("pro:document_version", args=[document.pk]),
        {"file": _upload("v2.pdf", b"<html><script>alert(1)</script></html>"), "note": "v2"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "ne correspond pas à son extension" in page
    assert 'aria-invalid="true"' in page
    assert DocumentVersion.objects.count() == 1


def test_an_oversized_attachment_is_refused_with_a_message(client, login, editor, post, settings):
    settings.PRO_MAX_UPLOAD_BYTES = 100
    login(client, editor)
    response = client.post(
        reverse("pro:attachment_add", args=[post.pk]),
        {"file": _upload("gros.pdf", PDF + b"0" * 200), "description": ""},
    )
    assert response.status_code == 400
    assert "trop volumineux" in response.content.decode()
    assert not Attachment.objects.exists()


def test_an_image_needs_a_text_alternative(client, login, editor, post):
    login(client, editor)
    response = client.post(
        reverse("pro:attachment_add", args=[post.pk]),
        {"file": _upload("photo.png", PNG, "image/png"), "description": ""},
    )
    assert response.status_code == 400
    assert not Attachment.objects.exists()


def test_files_are_sent_as_attachments_that_never_render(
    client, login, editor, post, librarian_bayeux
):
    login(client, editor)
    client.post(
        reverse("pro:attachment_add", args=[post.pk]),
        {"file": _upload("programme.pdf", PDF, "text/html"), "description": "Programme"},
    )
    client.post(
        reverse("pro:attachment_add", args=[post.pk]),
        {"file": _upload("salle.png", PNG, "image/svg+xml"), "description": "La salle"},
    )
    pdf, png = Attachment.objects.order_by("pk")
    login(client, librarian_bayeux)
    response = client.get(reverse("pro:attachment", args=[pdf.pk]) + "?voir=1")
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == PDF
    image = client.get(reverse("pro:attachment", args=[png.pk]) + "?voir=1")
    assert image["Content-Type"] == "image/png"
    assert image["Content-Disposition"].startswith("inline;")
    assert image["X-Content-Type-Options"] == "nosniff"


def test_uploaded_files_live_outside_the_public_media_folder(client, document, settings):
    version = document.versions.get()
    assert str(settings.PRO_FILES_ROOT) in version.file.path
    assert not version.file.path.startswith(str(settings.MEDIA_ROOT))
    assert Document.objects.count() == 1


def test_an_attached_image_is_kept_re_encoded(client, login, editor, post):
    login(client, editor)
    garbage = b"<html><script>alert(1)</script></html>"
    response = client.post(
        reverse("pro:attachment_add", args=[post.pk]),
        {"file": _upload("salle.png", PNG + garbage, "image/png"), "description": "La salle"},
    )
    assert response.status_code == 302
    stored = Attachment.objects.get().file.read()
    assert stored.startswith(b"\x89PNG") and b"<script>" not in stored


def test_an_image_bomb_is_refused_before_it_is_decoded(settings):
    settings.UPLOAD_IMAGE_MAX_PIXELS = 10
    with pytest.raises(ValidationError) as refused:
        check_upload(_upload("photo.png", PNG))
    assert refused.value.code == "file_content"
