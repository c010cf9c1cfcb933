"""The one upload checker, private storage and file response every app uses."""

import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from PIL import Image

from boite.finance.models import MeetingDocument
from boite.lib.uploads import (
    KINDS,
    PrivateStorage,
    UploadCheck,
    check_upload,
    kind_of,
    private_file_response,
)
from boite.pro.models import Attachment, DocumentVersion


def _raster(fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), (30, 90, 160)).save(buffer, format=fmt)
    return buffer.getvalue()


PDF = b"%PDF-1.4\n%%EOF\n"
PNG = _raster("PNG")  # a real image: images are decoded (boite.lib.images)
DOC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 40
EVERYTHING = sorted(KINDS)


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _check(name: str, content: bytes, extensions=EVERYTHING, max_bytes: int = 1000):
    return check_upload(
        SimpleUploadedFile(name, content), extensions=extensions, max_bytes=max_bytes
    )


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("convention.pdf", PDF, "application/pdf"),
        ("scan.PNG", PNG, "image/png"),
        ("ancien.doc", DOC, "application/msword"),
        (
            "bilan.odt",
            _zip({"content.xml": b"<office/>"}),
            "application/vnd.oasis.opendocument.text",
        ),
        ("notes.txt", b"Compte rendu du COPIL", "text/plain; charset=utf-8"),
    ],
)
def test_genuine_files_are_accepted_and_typed_by_their_extension(name, content, content_type):
    kind = _check(name, content)
    assert kind.content_type == content_type
    assert kind_of(name) is kind


def test_a_known_kind_the_caller_does_not_take_is_refused_with_the_list_it_takes():
    with pytest.raises(ValidationError) as error:
        _check("ancien.doc", DOC, extensions=["pdf", "odt"])
    assert error.value.code == "file_type"
    assert "odt, pdf" in error.value.messages[0]


@pytest.mark.parametrize("name", ["page.html", "dessin.svg", "script.js", "setup.exe"])
def test_web_pages_and_programs_are_never_accepted_even_if_a_caller_lists_them(name):
    with pytest.raises(ValidationError) as error:
        _check(name, b"<html></html>", extensions=[name.rsplit(".", 1)[1], "pdf"])
    assert error.value.code == "file_type"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("convention.pdf", b"<html><script>alert(1)</script></html>"),
        ("ancien.doc", PDF),
        ("scan.png", b"<svg onload=alert(1)>"),
        ("bilan.docx", _zip({"word/index.html": b"<script>alert(1)</script>"})),
        ("bilan.odt", b"PK\x03\x04 not a real archive"),
        ("notes.csv", b"\xef\xbb\xbf <SVG onload=alert(1)>"),
    ],
)
def test_disguised_content_is_refused(name, content):
    with pytest.raises(ValidationError) as error:
        _check(name, content)
    assert error.value.code == "file_content"
    assert name.rsplit(".", 1)[1] in error.value.messages[0]


def test_size_limits_and_empty_files():
    with pytest.raises(ValidationError) as error:
        _check("gros.pdf", PDF + b"0" * 1000, max_bytes=1000)
    assert error.value.code == "file_size"
    with pytest.raises(ValidationError) as error:
        _check("vide.pdf", b"")
    assert error.value.code == "file_empty"


def test_the_model_field_validator_checks_and_deconstructs():
    check = UploadCheck(["pdf", "doc"], 1000)
    check(SimpleUploadedFile("a.pdf", PDF))
    with pytest.raises(ValidationError):
        check(SimpleUploadedFile("a.pdf", b"MZ not a pdf"))
    assert check.deconstruct() == ("boite.lib.uploads.UploadCheck", (["pdf", "doc"], 1000), {})
    assert check == UploadCheck(["doc", "pdf"], 1000) != UploadCheck(["pdf"], 1000)


def test_private_storage_follows_its_setting_and_has_no_public_url(settings, tmp_path):
    storage = PrivateStorage("FINANCE_DOCUMENTS_ROOT")
    settings.FINANCE_DOCUMENTS_ROOT = tmp_path / "first"
    name = storage.save("a/convention.pdf", ContentFile(PDF))
    assert (tmp_path / "first" / name).read_bytes() == PDF
    settings.FINANCE_DOCUMENTS_ROOT = tmp_path / "second"
    assert storage.path("x.pdf") == str((tmp_path / "second" / "x.pdf").resolve())
    assert storage.url(name) == ""
    assert storage.deconstruct() == (
        "boite.lib.uploads.PrivateStorage",
        ("FINANCE_DOCUMENTS_ROOT",),
        {},
    )


def test_the_names_old_migrations_use_build_the_storage_the_models_use():
    from boite.finance.models import PrivateStorage as finance_storage
    from boite.pro.uploads import PrivateStorage as pro_storage

    for factory, field in [
        (pro_storage, Attachment._meta.get_field("file")),
        (pro_storage, DocumentVersion._meta.get_field("file")),
        (finance_storage, MeetingDocument._meta.get_field("file")),
    ]:
        assert factory().deconstruct() == field.storage.deconstruct()


def test_private_files_leave_as_sandboxed_attachments(settings, tmp_path):
    settings.PRO_FILES_ROOT = tmp_path
    storage = PrivateStorage("PRO_FILES_ROOT")
    name = storage.save("scan.png", ContentFile(PNG))
    stored = Attachment(file=name).file
    stored.storage = storage
    response = private_file_response(stored, "scan.png")
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content) == PNG
    response.close()
    inline = private_file_response(stored, "scan.png", inline_image=True)
    inline.close()
    assert inline["Content-Disposition"].startswith("inline")
    pdf = private_file_response(stored, "scan.pdf", inline_image=True)
    pdf.close()
    assert pdf["Content-Disposition"].startswith("attachment")  # only images inline
    missing = Attachment(file="missing.png").file
    missing.storage = storage
    with pytest.raises(Http404):
        private_file_response(missing, "missing.png")
