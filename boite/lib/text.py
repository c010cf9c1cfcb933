"""Text helpers shared by the apps."""

import re
import unicodedata

_SPACES = re.compile(r"[^\w]+")


def _bare(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# Accented letters whose bare form is plain ASCII (« é » → « e », « ﬁ » → « fi »): most
# French text is folded by one `str.translate`, and only the rest is decomposed.
_TO_ASCII = {
    code: bare
    for code in range(0x80, 0x2000)
    if (bare := _bare(chr(code))) != chr(code) and bare.isascii()
} | {code: _bare(chr(code)) for code in range(0xFB00, 0xFB07)}


def fold(text: str) -> str:
    """Lower-case the text, drop accents and punctuation: « Évrecy » → « evrecy »."""
    text = text or ""
    quick = text.translate(_TO_ASCII)
    bare = quick if quick.isascii() else _bare(text)
    return _SPACES.sub(" ", bare.casefold()).strip()
