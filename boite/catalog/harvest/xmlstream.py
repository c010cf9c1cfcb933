"""An XML source as the parser can take it, whatever its producer did.

Real ONIX and MARCXML files break XML 1.0 in three common ways; each is mended here,
in the stream, before lxml sees it (lxml would otherwise refuse the whole file):

- control characters XML forbids (a vertical tab inside a title): dropped;
- HTML entities defined only by a DTD the parser must not fetch (`&ndash;`, `&eacute;`):
  written as the characters they stand for, when the file has a DOCTYPE;
- no declared encoding (or a declared UTF-8) over bytes that are not UTF-8: read as
  the code page its bytes read best in (Windows-1252, CP850…), and a warning counted
  on each record.

The first megabyte is looked at once; the rest costs one `bytes.translate` per chunk.
"""

from __future__ import annotations

import re
from html.entities import name2codepoint

from boite.catalog.harvest import charsets

_CONTROLS = bytes(b for b in range(32) if b not in (9, 10, 13))
_DECLARATION = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_ENTITY = re.compile(rb"&([A-Za-z][A-Za-z0-9]{1,31});")
_XML_ENTITIES = {b"amp", b"lt", b"gt", b"quot", b"apos"}
SNIFF = 1 << 20


def _entity(match: re.Match) -> bytes:
    name = match.group(1)
    if name in _XML_ENTITIES:
        return match.group(0)
    code = name2codepoint.get(name.decode("ascii"))
    return b"&#%d;" % code if code else match.group(0)


def _valid_utf8(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # A character cut by the end of the sniffed part is not an error.
        return error.start >= len(head) - 3 and "end of data" in error.reason
    return True


class Cleaned:
    """A binary stream's bytes, mended; `encoding` overrides the declared one (or is
    None), `warning` is the kind to count on every record ("" when none)."""

    def __init__(self, stream) -> None:
        self._stream = stream
        self._pending = stream.read(SNIFF)
        self._carry = b""
        head = self._pending.lstrip(b"\xef\xbb\xbf")
        declared = _DECLARATION.match(head)
        encoding = declared.group(1).decode("ascii").lower() if declared else None
        self.entities = b"<!DOCTYPE" in head[:8192] or b"<!doctype" in head[:8192]
        self.encoding: str | None = None
        self.warning = ""
        if encoding in (None, "utf-8", "utf8") and not _valid_utf8(self._pending):
            self.encoding = charsets.guess_code_page(self._pending[:65536])
            self.warning = charsets.GUESSED if encoding is None else charsets.DECLARED_WRONG

    def read(self, size: int = -1) -> bytes:
        while True:
            if self._pending:
                chunk, self._pending = self._pending, b""
            else:
                chunk = self._stream.read(size if size and size > 0 else SNIFF)
            eof = not chunk
            chunk = self._carry + chunk
            self._carry = b""
            if self.entities and not eof:
                # An entity cut by the end of the chunk waits for the next one.
                amp = chunk.rfind(b"&")
                if amp >= 0 and b";" not in chunk[amp:] and len(chunk) - amp < 40:
                    chunk, self._carry = chunk[:amp], chunk[amp:]
            chunk = chunk.translate(None, _CONTROLS)
            if self.entities and b"&" in chunk:
                chunk = _ENTITY.sub(_entity, chunk)
            if chunk or eof:
                return chunk
