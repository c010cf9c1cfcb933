"""Checks and storage for the files staff upload to the professional space.

A file is accepted only when its extension is in `ALLOWED` *and* its first bytes
match what that extension promises (content sniffing), and when it is not larger
than `settings.PRO_MAX_UPLOAD_BYTES`. HTML, SVG, scripts and executables are never
accepted, whatever they call themselves. Files live outside MEDIA_ROOT, in
`settings.PRO_FILES_ROOT`, and are only ever sent by the views of this app, as
attachments (or inline raster images), with `X-Content-Type-Options: nosniff`.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.template.defaultfilters import filesizeformat
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

SNIFF_BYTES = 2048


@dataclass(frozen=True)
class FileKind:
    content_type: str
    image: bool = False


def _is_pdf(head: bytes) -> bool:
    return head.startswith(b"%PDF-")


def _is_png(head: bytes) -> bool:
    return head.startswith(b"\x89PNG\r\n\x1a\n")


def _is_jpeg(head: bytes) -> bool:
    return head.startswith(b"\xff\xd8\xff")


def _is_gif(head: bytes) -> bool:
    return head[:6] in (b"GIF87a", b"GIF89a")


def _is_webp(head: bytes) -> bool:
    return head[:4] == b"RIFF" and head[8:12] == b"WEBP"


def _is_zip(head: bytes) -> bool:
    return head.startswith(b"PK\x03\x04")


_MARKUP = (b"<html", b"<!doctype", b"<svg", b"<script", b"<?xml", b"<body", b"<iframe", b"<head")


def _is_plain_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        # A multi-byte character cut at the end of the sniffed block is still text.
        try:
            text = head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            return False
    folded = text.lstrip("\ufeff \t\r\n").lower().encode()
    return not any(marker in folded for marker in _MARKUP)


# extension → (what it is, how its first bytes must look)
ALLOWED: dict[str, tuple[FileKind, object]] = {
    "pdf": (FileKind("application/pdf"), _is_pdf),
    "png": (FileKind("image/png", image=True), _is_png),
    "jpg": (FileKind("image/jpeg", image=True), _is_jpeg),
    "jpeg": (FileKind("image/jpeg", image=True), _is_jpeg),
    "gif": (FileKind("image/gif", image=True), _is_gif),
    "webp": (FileKind("image/webp", image=True), _is_webp),
    "odt": (FileKind("application/vnd.oasis.opendocument.text"), _is_zip),
    "ods": (FileKind("application/vnd.oasis.opendocument.spreadsheet"), _is_zip),
    "odp": (FileKind("application/vnd.oasis.opendocument.presentation"), _is_zip),
    "docx": (
        FileKind("application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        _is_zip,
    ),
    "xlsx": (
        FileKind("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        _is_zip,
    ),
    "pptx": (
        FileKind("application/vnd.openxmlformats-officedocument.presentationml.presentation"),
        _is_zip,
    ),
    "txt": (FileKind("text/plain; charset=utf-8"), _is_plain_text),
    "csv": (FileKind("text/csv; charset=utf-8"), _is_plain_text),
}
IMAGE_EXTENSIONS = frozenset(ext for ext, (kind, _check) in ALLOWED.items() if kind.image)


def extension(name: str) -> str:
    return Path(name).suffix.lower().lstrip(".")


def kind_of(name: str) -> FileKind:
    """What a stored file is, from its (already checked) extension."""
    entry = ALLOWED.get(extension(name))
    return entry[0] if entry else FileKind("application/octet-stream")


def _zip_is_harmless(uploaded) -> bool:
    """An office file is a zip archive; refuse archives that are not readable or that
    carry HTML/SVG/script members at their top (a disguised web page)."""
    uploaded.seek(0)
    try:
        with zipfile.ZipFile(uploaded) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    finally:
        uploaded.seek(0)
    dangerous = (".html", ".htm", ".svg", ".js", ".exe", ".bat", ".sh")
    return bool(names) and not any(n.lower().endswith(dangerous) for n in names)


def check_upload(uploaded, *, images_only: bool = False) -> FileKind:
    """Raise ValidationError (with a translated message) unless the file is acceptable."""
    name = getattr(uploaded, "name", "") or ""
    ext = extension(name)
    allowed = IMAGE_EXTENSIONS if images_only else ALLOWED.keys()
    if ext not in allowed:
        raise ValidationError(
            _("Files of this type are not accepted. Accepted types: %(types)s.")
            % {"types": ", ".join(sorted(allowed))},
            code="file_type",
        )
    limit = settings.PRO_MAX_UPLOAD_BYTES
    if uploaded.size is None or uploaded.size > limit:
        raise ValidationError(
            _("This file is too large: the limit is %(limit)s.") % {"limit": filesizeformat(limit)},
            code="file_size",
        )
    if uploaded.size == 0:
        raise ValidationError(_("This file is empty."), code="file_empty")
    uploaded.seek(0)
    head = uploaded.read(SNIFF_BYTES)
    uploaded.seek(0)
    kind, matches = ALLOWED[ext]
    if not matches(head) or (matches is _is_zip and not _zip_is_harmless(uploaded)):
        raise ValidationError(
            _("The content of this file does not match its extension « .%(ext)s ».") % {"ext": ext},
            code="file_content",
        )
    return kind


@deconstructible
class PrivateStorage(FileSystemStorage):
    """Files kept out of MEDIA_ROOT: never served by the web server, only by views."""

    def __init__(self):
        super().__init__()

    @property
    def base_location(self):
        return str(settings.PRO_FILES_ROOT)

    @property
    def location(self):
        return str(Path(settings.PRO_FILES_ROOT).resolve())

    @property
    def base_url(self):
        return None


private_storage = PrivateStorage()
