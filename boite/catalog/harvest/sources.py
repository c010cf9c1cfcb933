"""Opening a source: an http(s) URL, or a local file the portal resolved itself, read as
a stream.

Formats receive one of the two. A local file is never a path someone typed: it is an
uploaded file kept with the resource (private storage) or a file of the drop directory
(`CATALOG_DROP_DIR`), resolved inside it by `resolve_drop_file()` (see the end of this
module and `boite.lib.dropdir`).

HTTP goes through the portal's outbound client (boite.lib.outbound: no internal address,
every redirect hop checked, credentials only for the source's own origin, size and time
caps) with timeouts, a few retries on transient failures, and the authentication saved
on the resource (HTTP Basic or a bearer token).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import httpx
from django.utils.translation import gettext as _

from boite.catalog.harvest.base import Options, SourceError
from boite.lib import outbound

TIMEOUT = httpx.Timeout(30.0, connect=10.0)
RETRIES = 3
RETRY_PAUSE = 0.5
USER_AGENT = "Boite/1 (+catalogue harvest)"


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def client(
    options: Options,
    timeout: httpx.Timeout | None = None,
    *,
    files: bool = False,
    source: str = "",
) -> outbound.Client:
    """The outbound client of a harvest: its credentials go only to the origin of
    `source` (or, not given, of the first address it fetches: the source), never to a
    redirect or a page elsewhere."""
    kind, user, secret = options.auth
    credentials = None
    if kind == "basic":
        credentials = outbound.Credentials.basic(user, secret, for_url=source)
    elif kind == "token":
        credentials = outbound.Credentials.bearer(secret, for_url=source)
    return outbound.Client(
        credentials=credentials,
        headers={"User-Agent": USER_AGENT},
        timeout=timeout or TIMEOUT,
        files=files,
    )


# The words of a failed source, shared by every format that reads one.


def no_such_file_message(source: str) -> str:
    return _("no such file: %(path)s") % {"path": source}


def timeout_message() -> str:
    return _("the provider did not answer in time")


def unreachable_message(error: Exception) -> str:
    return _("cannot reach the provider (%(error)s)") % {"error": error.__class__.__name__}


def status_message(status: int) -> str:
    return _("the provider answered HTTP %(status)d") % {"status": status}


def get(http: outbound.Client, url: str, params: dict | None = None) -> httpx.Response:
    """GET with retries on timeouts, connection errors and 5xx; SourceError at the end
    (at once for what the outbound rules refuse: retrying would not change it)."""
    last = ""
    for attempt in range(RETRIES):
        try:
            response = http.get(url, params=params)
        except outbound.OutboundRefused as error:
            raise SourceError(error.message) from None
        except httpx.TimeoutException:
            last = timeout_message()
        except httpx.HTTPError as error:
            last = unreachable_message(error)
        else:
            if response.status_code < 500:
                if response.status_code >= 400:
                    raise SourceError(status_message(response.status_code))
                return response
            last = status_message(response.status_code)
        if attempt + 1 < RETRIES:
            time.sleep(RETRY_PAUSE * (attempt + 1))
    raise SourceError(last)


@contextmanager
def open_binary(source: str, options: Options) -> Iterator[IO[bytes]]:
    """The source as a binary stream: a file, or an HTTP body streamed to a spooled file."""
    if is_url(source):
        import tempfile

        with (
            client(options, files=True, source=source) as http,
            tempfile.TemporaryFile() as spool,
        ):
            for attempt in range(RETRIES):
                try:
                    spool.seek(0)
                    spool.truncate()
                    response = http.download(source, spool)
                    if response.status_code >= 400:
                        raise SourceError(status_message(response.status_code))
                    break
                except outbound.OutboundRefused as error:
                    raise SourceError(error.message) from None
                except SourceError:
                    if attempt + 1 == RETRIES:
                        raise
                except httpx.TimeoutException:
                    if attempt + 1 == RETRIES:
                        raise SourceError(timeout_message()) from None
                except httpx.HTTPError as error:
                    if attempt + 1 == RETRIES:
                        raise SourceError(unreachable_message(error)) from None
                time.sleep(RETRY_PAUSE * (attempt + 1))
            spool.seek(0)
            yield spool
        return
    path = Path(source)
    if not path.is_file():
        raise SourceError(no_such_file_message(source))
    try:
        handle = path.open("rb")
    except OSError as error:
        raise SourceError(
            _("cannot open %(path)s: %(error)s") % {"path": source, "error": error.strerror}
        ) from None
    with handle:
        yield handle


# -- the file half: where a local source may come from -----------------------------------


def unsupported_address_message() -> str:
    return _("unsupported address: use http:// or https://")


def outside_drop_dir_message() -> str:
    return _("file outside the drop directory")


def superuser_only_message() -> str:
    return _("only a superuser may choose a file of the drop directory")


def drop_dir() -> Path | None:
    """The drop directory, or None when the feature is off (CATALOG_DROP_DIR unset)."""
    from django.conf import settings

    configured = getattr(settings, "CATALOG_DROP_DIR", None)
    return Path(configured) if configured else None


def drop_files() -> list[str]:
    """The names a superuser may choose from the drop directory (empty when it is off)."""
    from boite.lib.dropdir import files_in

    root = drop_dir()
    return files_in(root) if root else []


def resolve_drop_file(name: str) -> Path:
    """The real path of a drop-directory file, resolved inside the directory now (not at
    the time it was chosen); SourceError when it is outside, missing, or the feature off."""
    from boite.lib.dropdir import OutsideDirectory, resolve_inside

    root = drop_dir()
    if root is None:
        raise SourceError(_("the drop directory is not configured on this server"))
    try:
        path = resolve_inside(root, name)
    except OutsideDirectory:
        raise SourceError(outside_drop_dir_message()) from None
    if not path.is_file():
        raise SourceError(_("no such file in the drop directory: %(name)s") % {"name": name})
    return path


def check_address(value: str) -> None:
    """A typed harvest source is an http(s) address and nothing else: no path, no file:."""
    if value and not is_url(value.strip()):
        raise SourceError(unsupported_address_message())
