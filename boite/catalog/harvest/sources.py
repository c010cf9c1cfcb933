"""Opening a source: a file path or an http(s) URL, read as a stream.

HTTP goes through httpx with timeouts, a few retries on transient failures, and the
authentication saved on the resource (HTTP Basic or a bearer token).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import httpx

from boite.catalog.harvest.base import Options, SourceError

TIMEOUT = httpx.Timeout(30.0, connect=10.0)
RETRIES = 3
RETRY_PAUSE = 0.5
USER_AGENT = "Boite/1 (+catalogue harvest)"


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def client(options: Options, timeout: httpx.Timeout | None = None) -> httpx.Client:
    kind, user, secret = options.auth
    headers = {"User-Agent": USER_AGENT}
    auth = None
    if kind == "basic":
        auth = httpx.BasicAuth(user, secret)
    elif kind == "token":
        headers["Authorization"] = f"Bearer {secret}"
    return httpx.Client(
        timeout=timeout or TIMEOUT, headers=headers, auth=auth, follow_redirects=True
    )


def get(http: httpx.Client, url: str, params: dict | None = None) -> httpx.Response:
    """GET with retries on timeouts, connection errors and 5xx; SourceError at the end."""
    last = ""
    for attempt in range(RETRIES):
        try:
            response = http.get(url, params=params)
        except httpx.TimeoutException:
            last = "the provider did not answer in time"
        except httpx.HTTPError as error:
            last = f"cannot reach the provider ({error.__class__.__name__})"
        else:
            if response.status_code < 500:
                if response.status_code >= 400:
                    raise SourceError(f"the provider answered HTTP {response.status_code}")
                return response
            last = f"the provider answered HTTP {response.status_code}"
        if attempt + 1 < RETRIES:
            time.sleep(RETRY_PAUSE * (attempt + 1))
    raise SourceError(last)


@contextmanager
def open_binary(source: str, options: Options) -> Iterator[IO[bytes]]:
    """The source as a binary stream: a file, or an HTTP body streamed to a spooled file."""
    if is_url(source):
        import tempfile

        with client(options) as http, tempfile.TemporaryFile() as spool:
            for attempt in range(RETRIES):
                try:
                    with http.stream("GET", source) as response:
                        if response.status_code >= 400:
                            raise SourceError(f"the provider answered HTTP {response.status_code}")
                        spool.seek(0)
                        spool.truncate()
                        for chunk in response.iter_bytes(1 << 16):
                            spool.write(chunk)
                    break
                except SourceError:
                    if attempt + 1 == RETRIES:
                        raise
                except httpx.TimeoutException:
                    if attempt + 1 == RETRIES:
                        raise SourceError("the provider did not answer in time") from None
                except httpx.HTTPError as error:
                    if attempt + 1 == RETRIES:
                        raise SourceError(
                            f"cannot reach the provider ({error.__class__.__name__})"
                        ) from None
                time.sleep(RETRY_PAUSE * (attempt + 1))
            spool.seek(0)
            yield spool
        return
    path = Path(source)
    if not path.is_file():
        raise SourceError(f"no such file: {source}")
    try:
        handle = path.open("rb")
    except OSError as error:
        raise SourceError(f"cannot open {source}: {error.strerror}") from None
    with handle:
        yield handle
