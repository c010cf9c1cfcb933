"""Images staff upload to be shown on the portal (resource and network logos): raster
only, checked by decoding them, and stored as Pillow writes them again.

A logo lives under MEDIA_ROOT and is served as is by the reverse proxy, under the
portal's own origin. So what is kept must be an image and nothing else:

- the format is read from the content by Pillow, never from the name: PNG, JPEG, WebP
  or GIF; SVG (which may carry scripts) and everything else is refused;
- the size in bytes and in pixels is bounded *before* decoding (a 20 kB PNG may claim
  50 000 × 50 000 pixels: a decompression bomb), then the whole image is decoded;
- what is stored is a new file encoded by Pillow from the decoded pixels: no trailing
  bytes (a PNG followed by HTML or a zip), no metadata (EXIF, GPS), and a name whose
  extension says the real format.

Limits: `IMAGE_MAX_BYTES` (2 MB) and `IMAGE_MAX_PIXELS` (16 megapixels).
"""

from __future__ import annotations

import io
import logging
import warnings
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import models
from django.template.defaultfilters import filesizeformat
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

log = logging.getLogger("boite.security")

# Pillow's format name → the extension the stored file gets.
FORMATS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp", "GIF": "gif"}
EXTENSIONS = frozenset({"png", "jpg", "jpeg", "webp", "gif"})


def _limits() -> tuple[int, int]:
    return (
        getattr(settings, "IMAGE_MAX_BYTES", 2 * 1024 * 1024),
        getattr(settings, "IMAGE_MAX_PIXELS", 16_000_000),
    )


def _refuse_vector(head: bytes, name: str) -> None:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if Path(name).suffix.lower() in (".svg", ".svgz") or text.startswith((b"<?xml", b"<svg")):
        raise ValidationError(
            _(
                "SVG drawings are not accepted: they can carry scripts. "
                "Send the logo as a PNG, JPEG, WebP or GIF image."
            ),
            code="image_svg",
        )


def open_image(
    uploaded, *, max_bytes: int | None = None, max_pixels: int | None = None
) -> Image.Image:
    """The decoded image, or ValidationError (translated, with a code) when it is not an
    acceptable raster image within the limits (by default the settings' for logos)."""
    default_bytes, default_pixels = _limits()
    max_bytes = max_bytes or default_bytes
    max_pixels = max_pixels or default_pixels
    name = getattr(uploaded, "name", "") or ""
    uploaded.seek(0)
    head = uploaded.read(512)
    uploaded.seek(0)
    _refuse_vector(head, name)
    if uploaded.size is None or uploaded.size > max_bytes:
        raise ValidationError(
            _("This image is too large: the limit is %(limit)s.")
            % {"limit": filesizeformat(max_bytes)},
            code="file_size",
        )
    not_an_image = ValidationError(
        _("This file is not a PNG, JPEG, WebP or GIF image."), code="image_type"
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(uploaded)
            if image.format not in FORMATS:
                raise not_an_image
            width, height = image.size
            if width * height > max_pixels:
                raise ValidationError(
                    _(
                        "This image has too many pixels (%(width)d × %(height)d): "
                        "%(limit)d million at most."
                    )
                    % {"width": width, "height": height, "limit": max_pixels // 1_000_000},
                    code="image_pixels",
                )
            image.load()
    except ValidationError:
        raise
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        OSError,
        ValueError,
        SyntaxError,
    ):
        log.info("image refused: %s is not a raster image Pillow can decode", name)
        raise not_an_image from None
    finally:
        uploaded.seek(0)
    return image


def reencoded(
    uploaded, *, max_bytes: int | None = None, max_pixels: int | None = None
) -> ContentFile:
    """The image written again by Pillow from its pixels, named `<stem>.<format>`."""
    image = open_image(uploaded, max_bytes=max_bytes, max_pixels=max_pixels)
    kind = image.format
    if kind == "GIF":
        image.seek(0)  # the first frame of an animation: a logo stands still
        image = image.convert("RGBA")
        kind = "PNG"
    elif kind == "JPEG":
        image = image.convert("RGB")
    elif image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
        image = image.convert("RGBA")
    buffer = io.BytesIO()
    options = {"quality": 90} if kind in ("JPEG", "WEBP") else {"optimize": True}
    image.save(buffer, format=kind, **options)
    stem = Path(getattr(uploaded, "name", "") or "image").stem or "image"
    return ContentFile(buffer.getvalue(), name=f"{stem}.{FORMATS[kind]}")


@deconstructible(path="boite.lib.images.ImageCheck")
class ImageCheck:
    """`open_image()` as a validator; the limits are read from the settings each time."""

    def __call__(self, uploaded) -> None:
        if not getattr(uploaded, "_committed", False):
            open_image(uploaded)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ImageCheck)

    def __hash__(self) -> int:
        return hash(ImageCheck)


class RasterImageField(models.FileField):
    """A FileField for public images: checked (`ImageCheck`) when a form cleans it, and
    stored re-encoded (`reencoded()`) whenever a new file is saved, form or not."""

    def __init__(self, *args, **kwargs):
        validators = list(kwargs.pop("validators", []))
        if not any(isinstance(v, ImageCheck) for v in validators):
            validators.append(ImageCheck())
        super().__init__(*args, validators=validators, **kwargs)

    def pre_save(self, model_instance, add):
        file = getattr(model_instance, self.attname)
        if file and not file._committed:
            clean = reencoded(file)
            file.file, file.name = clean, clean.name
        return super().pre_save(model_instance, add)
