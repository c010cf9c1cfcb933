"""Files staff upload: what is accepted, where it is kept, how it is sent back.

One checker for every app that takes files (the professional space's attachments and
documents, the signed documents of finance). A file is accepted only when

- its extension is one the caller accepts *and* a kind known here (`KINDS`);
- it is not empty and not larger than the caller's limit;
- its first bytes match what the extension promises (content sniffing), and an office
  file (a zip archive) is readable and carries no web page or program.

HTML, SVG, scripts and executables are never accepted, whatever they call themselves:
they are not in `KINDS`. Messages are translated and carry a code (`file_type`,
`file_size`, `file_empty`, `file_content`) for the tests and the forms.

Accepted files live outside MEDIA_ROOT (`PrivateStorage`, one setting per app), are
never served by the web server, and leave only through `private_file_response()`: as
an attachment (or an inline raster image), with the content type of their checked
extension, `nosniff`, a sandboxing Content-Security-Policy and no caching.

The public files of MEDIA_ROOT (logos, re-encoded by `boite.lib.images`) carry the same
headers (`UPLOADED_FILE_HEADERS`): from the reverse proxy in production (its lines are
in docs/deployment.md), from `serve_media()` when Django serves them (DEBUG, tests).
Anything there that is not a raster image is sent as an attachment.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.template.defaultfilters import filesizeformat
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

SNIFF_BYTES = 2048
# Every uploaded file goes out with these: the browser never guesses another type, and
# a file opened on its own is a sandboxed document that may load nothing.
UPLOADED_FILE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "sandbox; default-src 'none'",
}


@dataclass(frozen=True)
class FileKind:
    content_type: str
    looks_right: Callable[[bytes], bool]
    image: bool = False
    archive: bool = False  # a zip container whose members are checked too


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


def _is_ole2(head: bytes) -> bool:
    # The compound file of Word 97–2003 (.doc).
    return head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")


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


def _is_json(head: bytes) -> bool:
    return _is_plain_text(head) and head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"[")


_NOT_DATA = (b"<html", b"<!doctype html", b"<svg", b"<script", b"<body", b"<iframe")


def _is_xml_data(head: bytes) -> bool:
    # A catalogue in XML (ONIX, MARCXML), not a web page or an image in disguise.
    if b"\x00" in head:
        return False
    folded = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return folded[:1] == b"<" and not any(marker in folded for marker in _NOT_DATA)


def _is_iso2709(head: bytes) -> bool:
    # A MARC record (ISO 2709) opens with its five-digit length, and its leader's entry
    # map starts « 45 » (UNIMARC leaves the last position blank).
    return len(head) >= 24 and head[:5].isdigit() and head[20:22] == b"45"


def _office(content_type: str) -> FileKind:
    return FileKind(content_type, _is_zip, archive=True)


# Every kind of file any app may accept, by extension. An app names the subset it takes.
KINDS: dict[str, FileKind] = {
    "pdf": FileKind("application/pdf", _is_pdf),
    "png": FileKind("image/png", _is_png, image=True),
    "jpg": FileKind("image/jpeg", _is_jpeg, image=True),
    "jpeg": FileKind("image/jpeg", _is_jpeg, image=True),
    "gif": FileKind("image/gif", _is_gif, image=True),
    "webp": FileKind("image/webp", _is_webp, image=True),
    "odt": _office("application/vnd.oasis.opendocument.text"),
    "ods": _office("application/vnd.oasis.opendocument.spreadsheet"),
    "odp": _office("application/vnd.oasis.opendocument.presentation"),
    "docx": _office("application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "xlsx": _office("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "pptx": _office("application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    "doc": FileKind("application/msword", _is_ole2),
    "txt": FileKind("text/plain; charset=utf-8", _is_plain_text),
    "csv": FileKind("text/csv; charset=utf-8", _is_plain_text),
    # Catalogue files (harvest sources uploaded with a resource).
    "tsv": FileKind("text/tab-separated-values; charset=utf-8", _is_plain_text),
    "json": FileKind("application/json", _is_json),
    "xml": FileKind("application/xml", _is_xml_data),
    "mrc": FileKind("application/marc", _is_iso2709),
}
_UNKNOWN = FileKind("application/octet-stream", lambda head: False)


def extension(name: str) -> str:
    return Path(name).suffix.lower().lstrip(".")


def kind_of(name: str) -> FileKind:
    """What a stored file is, from its (already checked) extension."""
    return KINDS.get(extension(name), _UNKNOWN)


def _archive_is_harmless(uploaded) -> bool:
    """An office file is a zip archive; refuse archives that are not readable or that
    carry HTML/SVG/script/program members (a disguised web page)."""
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


def check_upload(uploaded, *, extensions: Iterable[str], max_bytes: int) -> FileKind:
    """Raise ValidationError (with a translated message) unless the file is acceptable;
    return what it is. `extensions` are those the caller accepts, among `KINDS`."""
    accepted = sorted(set(extensions) & KINDS.keys())
    ext = extension(getattr(uploaded, "name", "") or "")
    if ext not in accepted:
        raise ValidationError(
            _("Files of this type are not accepted. Accepted types: %(types)s.")
            % {"types": ", ".join(accepted)},
            code="file_type",
        )
    if uploaded.size is None or uploaded.size > max_bytes:
        raise ValidationError(
            _("This file is too large: the limit is %(limit)s.")
            % {"limit": filesizeformat(max_bytes)},
            code="file_size",
        )
    if uploaded.size == 0:
        raise ValidationError(_("This file is empty."), code="file_empty")
    uploaded.seek(0)
    head = uploaded.read(SNIFF_BYTES)
    uploaded.seek(0)
    kind = KINDS[ext]
    if (
        not kind.looks_right(head)
        or (kind.archive and not _archive_is_harmless(uploaded))
        or (kind.image and not _image_is_whole(uploaded))
    ):
        raise ValidationError(
            _("The content of this file does not match its extension « .%(ext)s ».") % {"ext": ext},
            code="file_content",
        )
    return kind


def _image_is_whole(uploaded) -> bool:
    """A raster image Pillow reads as the format its first bytes promise, within
    `UPLOAD_IMAGE_MAX_PIXELS` (a decompression bomb is refused before decoding)."""
    from boite.lib.images import open_image

    try:
        open_image(
            uploaded,
            max_bytes=uploaded.size,
            max_pixels=getattr(settings, "UPLOAD_IMAGE_MAX_PIXELS", 50_000_000),
        )
    except ValidationError:
        return False
    return True


@deconstructible(path="boite.lib.uploads.UploadCheck")
class UploadCheck:
    """`check_upload()` as a model field validator: `validators=[UploadCheck([...], n)]`."""

    def __init__(self, extensions: Iterable[str], max_bytes: int) -> None:
        self.extensions = sorted(extensions)
        self.max_bytes = max_bytes

    def __call__(self, uploaded) -> None:
        check_upload(uploaded, extensions=self.extensions, max_bytes=self.max_bytes)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, UploadCheck)
            and self.extensions == other.extensions
            and self.max_bytes == other.max_bytes
        )

    def __hash__(self) -> int:
        return hash((tuple(self.extensions), self.max_bytes))


@deconstructible(path="boite.lib.uploads.PrivateStorage")
class PrivateStorage(FileSystemStorage):
    """Files kept out of MEDIA_ROOT, under the directory a setting names (read at each
    use, so tests and deployments may move it): never served by the web server, only by
    views that check access first. They have no public URL (`url()` is empty)."""

    def __init__(self, root_setting: str) -> None:
        self.root_setting = root_setting
        # Readable by the portal's own user only, whatever FILE_UPLOAD_PERMISSIONS says.
        super().__init__(file_permissions_mode=0o600, directory_permissions_mode=0o700)

    @property
    def base_location(self) -> str:
        return str(getattr(settings, self.root_setting))

    @property
    def location(self) -> str:
        return str(Path(self.base_location).resolve())

    def url(self, name: str | None) -> str:
        return ""


def private_file_response(field_file, name: str, *, inline_image: bool = False) -> FileResponse:
    """Send a stored file so that the browser never runs or renders it as a page: an
    attachment (a raster image may be shown inline), typed by its extension, with
    `nosniff`, a sandbox and no caching. A file missing from the disk is a 404."""
    kind = kind_of(name)
    inline = inline_image and kind.image
    try:
        handle = field_file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle, as_attachment=not inline, filename=name, content_type=kind.content_type
    )
    for header, value in UPLOADED_FILE_HEADERS.items():
        response[header] = value
    response["Cache-Control"] = "private, no-store"
    return response


def serve_media(request: HttpRequest, path: str) -> HttpResponse:
    """A file of MEDIA_ROOT when Django serves them (DEBUG, tests), with the headers the
    reverse proxy adds in production: a raster image inline, anything else attached."""
    from django.views.static import serve

    response = serve(request, path, document_root=settings.MEDIA_ROOT)
    for header, value in UPLOADED_FILE_HEADERS.items():
        response[header] = value
    if not kind_of(path).image:
        response["Content-Disposition"] = "attachment"
    return response
