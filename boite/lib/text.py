"""Text helpers shared by the apps."""

import re
import unicodedata

_SPACES = re.compile(r"[^\w]+")


def fold(text: str) -> str:
    """Lower-case the text, drop accents and punctuation: « Évrecy » → « evrecy »."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACES.sub(" ", bare.casefold()).strip()
