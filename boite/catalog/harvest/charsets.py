"""Character sets of MARC records: what a record declares, what its bytes are, and text.

A MARC 21 record declares its character set in leader/09 (`a` = UTF-8, blank = MARC-8);
a UNIMARC record in field 100 $a, positions 26–29 (`50` = UTF-8, `01`/`03` = ISO 646 and
ISO 5426…), and leaves leader/09 blank. Real files often say one thing and hold another:
UTF-8 under a MARC-8 or ISO 5426 flag, MARC-8 under a UTF-8 flag, UTF-8 encoded twice,
DOS code pages from old systems. The bytes decide: `choose()` looks at the whole record
once and names the decoder to use, and the warning to count when the declaration was
wrong. A record whose bytes no decoder explains is decoded with a fallback that keeps
every letter it can (Windows-1252 for the bytes that are not UTF-8) and says so: the
replacement character U+FFFD is never stored.

An ASCII record — most of a large file — costs one `bytes.isascii()`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from pymarc import marc8_mapping
from pymarc.marc8 import MARC8ToUnicode

# The kinds of warning a record can carry (counted by kind in the run's report).
DECLARED_WRONG = "charset-declared-wrong"  # the bytes are another character set
DOUBLE_ENCODED = "charset-double-encoded"  # UTF-8 encoded twice, repaired once
FALLBACK = "charset-fallback"  # bytes no character set explains, decoded as best we can
GUESSED = "charset-guessed"  # no declaration the bytes agree with: a code page guessed

UTF8, MARC8, ISO5426, LATIN1 = "utf-8", "marc-8", "iso-5426", "iso-8859-1"

# -- ISO 5426 (extended Latin for bibliographic interchange) ----------------------------
# Written from the standard's code table: 0xC0–0xDF are non-spacing diacritics written
# *before* their base letter (like MARC-8's), the rest of the right half are spacing
# characters and letters.
_ISO5426_COMBINING = {
    0xC0: "\u0309", 0xC1: "\u0300", 0xC2: "\u0301", 0xC3: "\u0302", 0xC4: "\u0303",
    0xC5: "\u0304", 0xC6: "\u0306", 0xC7: "\u0307", 0xC8: "\u0308", 0xC9: "\u0308",
    0xCA: "\u030a", 0xCB: "\u0315", 0xCC: "\u0312", 0xCD: "\u030b", 0xCE: "\u031b",
    0xCF: "\u030c", 0xD0: "\u0327", 0xD1: "\u031c", 0xD2: "\u0326", 0xD3: "\u0328",
    0xD4: "\u0325", 0xD5: "\u032e", 0xD6: "\u0323", 0xD7: "\u0324", 0xD8: "\u0332",
    0xD9: "\u0333", 0xDA: "\u0329", 0xDB: "\u032d", 0xDD: "\ufe20", 0xDE: "\ufe21",
}  # fmt: skip
_ISO5426_SPACING = {
    0xA1: "¡", 0xA2: "„", 0xA3: "£", 0xA4: "$", 0xA5: "¥", 0xA6: "†", 0xA7: "§",
    0xA8: "′", 0xA9: "‘", 0xAA: "“", 0xAB: "«", 0xAC: "♭", 0xAD: "©", 0xAE: "℗",
    0xAF: "®", 0xB0: "ʻ", 0xB1: "ʼ", 0xB2: "‚", 0xB6: "‡", 0xB7: "·", 0xB8: "″",
    0xB9: "’", 0xBA: "”", 0xBB: "»", 0xBC: "♯", 0xBD: "ʹ", 0xBE: "ʺ", 0xBF: "¿",
    0xE1: "Æ", 0xE2: "Đ", 0xE6: "Ĳ", 0xE8: "Ł", 0xE9: "Ø", 0xEA: "Œ", 0xEC: "Þ",
    0xF1: "æ", 0xF2: "đ", 0xF3: "ð", 0xF5: "ı", 0xF6: "ĳ", 0xF8: "ł", 0xF9: "ø",
    0xFA: "œ", 0xFB: "ß", 0xFC: "þ",
    # C1 controls of ISO 6630 used by UNIMARC: non-sort begin / end.
    0x88: "\x98", 0x89: "\x9c",
}  # fmt: skip
_ISO5426_KNOWN = frozenset(_ISO5426_COMBINING) | frozenset(_ISO5426_SPACING)


def iso5426_to_unicode(data: bytes) -> str:
    out: list[str] = []
    pending: list[str] = []
    for byte in data:
        if byte < 0x80:
            out.append(chr(byte))
            if pending:
                out.extend(pending)
                pending = []
        elif byte in _ISO5426_COMBINING:
            pending.append(_ISO5426_COMBINING[byte])
        else:
            out.append(_ISO5426_SPACING.get(byte, ""))
    return unicodedata.normalize("NFC", "".join(out))


# -- MARC-8 -------------------------------------------------------------------------
_ANSEL = marc8_mapping.CODESETS[0x45]  # the extended Latin set MARC-8 uses in G1
_MARC8_ESCAPES = re.compile(rb"\x1b[(,$)\-]?[\x21-\x7e]")


def marc8_to_unicode(data: bytes) -> str:
    return MARC8ToUnicode(quiet=True).translate(data)


def _looks_marc8(data: bytes) -> bool:
    """Every high byte is an ANSEL character, and a combining one precedes a letter."""
    if _MARC8_ESCAPES.search(data):
        return True  # escapes switch to other sets (CJK, Arabic…), whose bytes vary
    high = [i for i, b in enumerate(data) if b >= 0x80]
    return all(data[i] in _ANSEL for i in high)


def _looks_iso5426(data: bytes) -> bool:
    return all(b in _ISO5426_KNOWN for b in data if b >= 0x80)


# -- UTF-8, twice or with holes ------------------------------------------------------
# « Ã© » for « é »: a UTF-8 lead byte read as Windows-1252, followed by a continuation.
_DOUBLE = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013-\u203a\u20ac\u2122]"
)


def looks_double_encoded(text: str) -> bool:
    return not text.isascii() and _DOUBLE.search(text) is not None


def undo_double_utf8(text: str) -> tuple[str, bool]:
    """Text whose UTF-8 was encoded again, repaired once (False when it was not)."""
    if text.isascii() or not _DOUBLE.search(text):
        return text, False
    for codec in ("cp1252", "latin-1"):
        try:
            repaired = text.encode(codec).decode("utf-8")
        except UnicodeError:
            continue
        return repaired, True
    return text, False


def utf8_with_fallback(data: bytes) -> str:
    """UTF-8 where the bytes are UTF-8, Windows-1252 (then Latin-1) for the others."""
    return data.decode("utf-8", "cp1252_fallback")


def _cp1252_fallback(error: UnicodeDecodeError):
    chunk = error.object[error.start : error.end]
    return chunk.decode("cp1252", "replace").replace("\ufffd", ""), error.end


import codecs  # noqa: E402 — the handler is registered once, beside its definition

codecs.register_error("cp1252_fallback", _cp1252_fallback)


# -- code pages of old systems: guessed, never declared ------------------------------
_CODE_PAGES = ("cp1252", "cp850", "cp866", "cp1251", "iso-8859-1")


def guess_code_page(data: bytes) -> str:
    """The code page under which the high bytes read most like letters of one script."""
    best, best_score = "cp1252", -1.0
    high = bytes(b for b in data if b >= 0x80)
    for codec in _CODE_PAGES:
        try:
            text = high.decode(codec)
        except UnicodeError:
            continue
        letters = [c for c in text if c.isalpha()]
        scripts: dict[str, int] = {}
        for c in letters:
            script = unicodedata.name(c, "X").split(" ")[0]
            scripts[script] = scripts.get(script, 0) + 1
        main = max(scripts.values()) if scripts else 0
        score = main / len(text) if text else 0
        if score > best_score:
            best, best_score = codec, score
    return best


# -- the choice -----------------------------------------------------------------------


def choose(declared: str, data: bytes) -> tuple[Callable[[bytes], str], str]:
    """The decoder for a record's subfields, and the warning to count ("" when none).

    `declared` is what the record says (UTF8, MARC8, ISO5426, LATIN1 or "" when it says
    nothing usable); `data` is the record's fields, all of them."""
    if data.isascii():
        if declared == MARC8 or (declared != UTF8 and b"\x1b" in data):
            return marc8_to_unicode, ("" if declared == MARC8 else DECLARED_WRONG)
        if declared == UTF8 and _MARC8_ESCAPES.search(data):
            return marc8_to_unicode, DECLARED_WRONG
        return _ascii, ""
    try:
        data.decode("utf-8")
        utf8 = True
    except UnicodeDecodeError:
        utf8 = False
    if utf8:
        return utf8_decoder, ("" if declared == UTF8 else DECLARED_WRONG)
    if declared in (MARC8, UTF8, "") and _looks_marc8(data):
        return marc8_to_unicode, ("" if declared == MARC8 else DECLARED_WRONG)
    if declared in (ISO5426, "") and _looks_iso5426(data):
        return iso5426_to_unicode, ("" if declared == ISO5426 else DECLARED_WRONG)
    if declared == LATIN1:
        return _latin1, ""
    if declared == UTF8 and _mostly_utf8(data):
        return utf8_with_fallback, FALLBACK
    codec = guess_code_page(data)
    return (lambda chunk: chunk.decode(codec, "replace").replace("\ufffd", "")), GUESSED


def _mostly_utf8(data: bytes) -> bool:
    """UTF-8 with a few bad bytes: most high bytes form valid sequences."""
    good = len(data.decode("utf-8", "ignore").encode("utf-8"))
    bad = len(data) - good
    return bad * 4 < sum(1 for b in data if b >= 0x80)


def _ascii(data: bytes) -> str:
    return data.decode("ascii")


def utf8_decoder(data: bytes) -> str:
    return data.decode("utf-8")


def _latin1(data: bytes) -> str:
    return data.decode("latin-1")


# -- UNIMARC's declaration ---------------------------------------------------------------
def unimarc_declared(field100a: bytes) -> str:
    """The character set of 100 $a positions 26–29 (two sets of two digits)."""
    codes = field100a[26:30].decode("ascii", "replace")
    sets = {codes[0:2], codes[2:4]}
    if "50" in sets:
        return UTF8
    if "03" in sets:
        return ISO5426
    if "01" in sets:
        return ISO5426  # ISO 646 alone: ASCII, which ISO 5426 decodes as it is
    return ""
