"""The icons a browser asks every site for (/favicon.ico, the touch icon), per network.

Drawn from the network's logo when it has one, otherwise from its main colour and
initial, so that two portals open in two tabs are told apart. Drawn once per look
and kept in memory: a network changing its colour or logo gets a new key.
"""

from __future__ import annotations

import io
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

DEFAULT_COLOUR = "#1d4f91"
FAVICON_SIZES = [(16, 16), (32, 32), (48, 48)]
TOUCH_SIZE = 180


def _initial(name: str) -> str:
    """The first letter that names the network (« La Boîte numérique » → B)."""
    words = [w for w in name.replace("’", " ").replace("'", " ").split() if w]
    skip = {"la", "le", "les", "l", "réseau", "des", "de", "du"}
    for word in words:
        if word.lower() not in skip:
            return word[0].upper()
    return (words[0][0] if words else "B").upper()


def _drawn(colour: str, initial: str, size: int) -> Image.Image:
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, size - 1, size - 1), radius=size // 6, fill=colour)
    font = ImageFont.load_default(size=int(size * 0.66))
    draw.text((size / 2, size / 2), initial, fill="white", font=font, anchor="mm")
    return image


def _from_logo(data: bytes, size: int) -> Image.Image:
    logo = Image.open(io.BytesIO(data))
    logo.load()
    logo = logo.convert("RGBA")
    logo.thumbnail((size, size))
    square = Image.new("RGBA", (size, size), (255, 255, 255, 0))
    square.paste(logo, ((size - logo.width) // 2, (size - logo.height) // 2), logo)
    return square


@lru_cache(maxsize=32)
def _image(colour: str, initial: str, logo: bytes | None, size: int) -> Image.Image:
    if logo:
        try:
            return _from_logo(logo, size)
        except (OSError, ValueError, Image.DecompressionBombError):
            pass  # a logo Pillow cannot read: the drawn icon instead
    return _drawn(colour, initial, size)


def _look(network) -> tuple[str, str, bytes | None]:
    if network is None:
        return DEFAULT_COLOUR, "B", None
    logo = None
    if network.logo:
        try:
            with network.logo.open("rb") as handle:
                logo = handle.read(2_000_000)
        except OSError:
            logo = None
    return network.primary_colour or DEFAULT_COLOUR, _initial(network.name), logo


@lru_cache(maxsize=32)
def _favicon(colour: str, initial: str, logo: bytes | None) -> bytes:
    out = io.BytesIO()
    _image(colour, initial, logo, 48).save(out, format="ICO", sizes=FAVICON_SIZES)
    return out.getvalue()


@lru_cache(maxsize=32)
def _touch(colour: str, initial: str, logo: bytes | None) -> bytes:
    out = io.BytesIO()
    _image(colour, initial, logo, TOUCH_SIZE).convert("RGB").save(out, format="PNG")
    return out.getvalue()


def favicon(network) -> bytes:
    return _favicon(*_look(network))


def touch_icon(network) -> bytes:
    return _touch(*_look(network))
