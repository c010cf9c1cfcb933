"""Reading a source in a second process, so that parsing and writing share two cores.

A harvest spends about half its time parsing (XML, ISO 2709, JSON) and turning each item
into the row the database stores, and half writing rows and index documents. The parsing
half runs here, in a child process forked from the run: it reads the source with its
format, prepares each item (JSON columns serialised, fingerprint computed, fields of the
search document gathered) and sends batches through a pipe. The pipe is small, so the
reader never gets far ahead of the writer: memory stays bounded whatever the file size.

The child never touches the database. A source error travels back as a message and is
raised in the run as `SourceError`; a child that dies without a word is one too.
`CATALOG_HARVEST_PROCESS = False` (or a platform without fork) reads in the run's own
process, with the same messages.
"""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing
import time
from collections.abc import Iterator
from dataclasses import replace

from django.conf import settings
from django.db import connection
from django.utils.translation import gettext as _

from boite.catalog.harvest import get_format
from boite.catalog.harvest.base import (
    Deletion,
    Item,
    Notice,
    Options,
    Rejection,
    SourceError,
)
from boite.catalog.models import Audience
from boite.lib.text import fold

logger = logging.getLogger(__name__)

BATCH = 1000
# The record columns a prepared item fills, in this order (after resource and provider id).
COLUMNS = (
    "title", "subtitle", "contributors", "description", "cover_url", "kind", "audience",
    "languages", "year", "duration_minutes", "subjects", "isbn", "identifiers", "deep_link",
    "available_from", "available_until", "sort_title",
)  # fmt: skip
JSON_COLUMNS = frozenset({"contributors", "languages", "subjects", "identifiers"})


# A prepared item is a plain tuple (it crosses the pipe a thousand at a time, and plain
# tuples are the cheapest to pickle): (provider id, fingerprint, values of COLUMNS as the
# database takes them, source payload, fields of its search document — kind, audience,
# title, subtitle, contributors, subjects, description, languages, year, sort key).
Prepared = tuple


_encode = json.JSONEncoder(ensure_ascii=False).encode


def prepare(item: Item, youth: bool, adapt_date) -> Prepared:
    audience = item.audience
    if youth and audience == Audience.ALL:
        audience = Audience.YOUTH  # a youth resource holds youth titles
    dumps = _encode
    contributors = dumps(item.contributors) if item.contributors else "[]"
    languages = dumps(item.languages) if item.languages else "[]"
    subjects = dumps(item.subjects) if item.subjects else "[]"
    identifiers = dumps(item.identifiers) if item.identifiers else "{}"
    values = (
        item.title, item.subtitle or "", contributors, item.description or "",
        item.cover_url or "", item.kind, audience, languages, item.year,
        item.duration_minutes, subjects, item.isbn or "", identifiers, item.deep_link or "",
        adapt_date(item.available_from), adapt_date(item.available_until), item.sort_title,
    )  # fmt: skip
    # The payload is left out: a provider that re-serialises the same record
    # differently has not changed it.
    fingerprint = hashlib.sha256("\x1f".join(map(str, values)).encode()).hexdigest()
    document = (
        item.kind, audience, item.title, item.subtitle or "", item.contributors,
        item.subjects, item.description or "", item.languages, item.year,
        fold(item.sort_title or item.title)[:100],
    )  # fmt: skip
    return (item.provider_id, fingerprint, values, item.source_payload, document)


def _messages(format_name: str, source: str, options: Options, youth: bool) -> Iterator:
    """Batches of prepared items, deletions and rejections, and ("total", n) when the
    source announces its size. Raises SourceError when the source cannot be read."""
    adapt_date = connection.ops.adapt_datefield_value  # pure: no connection is opened
    totals: list[int] = []
    fmt = get_format(format_name)
    options = replace(options, on_total=totals.append)
    batch: list = []
    for found in fmt.read(source, options):
        if totals:
            yield ("total", totals.pop())
        if isinstance(found, Item):
            batch.append(prepare(found, youth, adapt_date))
            if found.warnings:
                batch.append(Notice(found.provider_id, found.warnings))
        elif isinstance(found, Deletion | Rejection):
            batch.append(found)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if totals:
        yield ("total", totals.pop())
    if batch:
        yield batch


def _produce(
    send, format_name: str, source: str, options: Options, youth: bool, receive=None
) -> None:
    """What the reading process does: send every message, then ("done", peak memory)."""
    if receive is not None:
        # The reading end, inherited from the fork, must not stay open here: if the run
        # dies (its worker killed), the next send must fail at once (broken pipe) and
        # end this process, instead of waiting for ever on a pipe it holds itself.
        receive.close()
    try:
        for message in _messages(format_name, source, options, youth):
            send.send(message)
        send.send(("done", high_water_kib(), time.process_time()))
    except SourceError as error:
        send.send(("source-error", str(error)))
    except Exception as error:
        logger.exception("reading %s failed", source)
        send.send(("error", f"{type(error).__name__}: {error}"))
    finally:
        send.close()


def high_water_kib() -> int:
    """Peak resident memory of this process, in KiB (VmHWM: unlike ru_maxrss, it does
    not inherit the parent's figure across fork and exec); 0 where /proc is missing."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class Reader:
    """Iterate over batches (lists of `Prepared`, `Deletion`, `Rejection`) of one source.

    `total` is set when the source announces its size; `child_peak_kib` and
    `child_cpu_seconds` are the reading process's peak memory and CPU time once it is
    done (0 when reading inline)."""

    def __init__(self, format_name: str, source: str, options: Options, youth: bool) -> None:
        self.format_name, self.source, self.options, self.youth = (
            format_name, source, options, youth
        )  # fmt: skip
        self.total: int | None = None
        self.child_peak_kib = 0
        self.child_cpu_seconds = 0.0

    def __iter__(self) -> Iterator[list]:
        if getattr(settings, "CATALOG_HARVEST_PROCESS", True):
            try:
                context = multiprocessing.get_context("fork")
            except ValueError:
                context = None
            if context is not None and not multiprocessing.current_process().daemon:
                yield from self._in_child(context)
                return
        yield from self._inline()

    def _handle(self, message) -> list | None:
        if isinstance(message, list):
            return message
        kind = message[0]
        if kind == "total":
            self.total = message[1]
            if self.options.on_total:
                self.options.on_total(message[1])
        elif kind == "done":
            self.child_peak_kib, self.child_cpu_seconds = message[1], message[2]
        elif kind == "source-error":
            raise SourceError(message[1])
        elif kind == "error":
            raise RuntimeError(message[1])
        return None

    def _in_child(self, context) -> Iterator[list]:
        receive, send = context.Pipe(duplex=False)
        child = context.Process(
            target=_produce,
            args=(send, self.format_name, self.source, self.options, self.youth, receive),
            name="boite-harvest-reader",
            daemon=True,
        )
        child.start()
        send.close()  # the child holds the only writing end: EOF when it is gone
        done = False
        try:
            while not done:
                try:
                    message = receive.recv()
                except (EOFError, OSError):  # gone between two messages, or within one
                    raise SourceError(
                        _("the process reading the source stopped before its end")
                    ) from None
                done = isinstance(message, tuple) and message[0] == "done"
                batch = self._handle(message)
                if batch is not None:
                    yield batch
        finally:
            receive.close()
            if child.is_alive():
                child.terminate()
            child.join(timeout=10)

    def _inline(self) -> Iterator[list]:
        for message in _messages(self.format_name, self.source, self.options, self.youth):
            batch = self._handle(message)
            if batch is not None:
                yield batch
