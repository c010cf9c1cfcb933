"""Files and directories of var/: created readable by the portal's own user only.

var/ holds the development keys, the SQLite databases (Huey's queue carries e-mails
with password-reset links), the search index and the private storage: directories are
created 0700 and files 0600, atomically (never created open, then closed down). Plain
Python, no Django: settings.py uses it before Django is configured.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

DIRECTORY_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path | str) -> Path:
    """Create `path` and each missing parent 0700 (existing ones are left as they are)."""
    path = Path(path)
    missing = []
    for folder in (path, *path.parents):
        if folder.exists():
            break
        missing.append(folder)
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=DIRECTORY_MODE)
        except FileExistsError:  # another process made it in the meantime
            continue
        os.chmod(folder, DIRECTORY_MODE)  # whatever the umask
    return path


def write_private(path: Path | str, data: bytes) -> None:
    """Write a new file 0600; FileExistsError if it exists (never overwrite a key)."""
    path = Path(path)
    private_dir(path.parent)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)


def touch_private(path: Path | str) -> Path:
    """Create an empty file 0600 unless it exists (a SQLite database about to be opened:
    SQLite gives its journal and WAL files the permissions of the database file)."""
    path = Path(path)
    private_dir(path.parent)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    return path


def is_private(path: Path | str) -> bool:
    """Nobody but the owner may read or enter it."""
    return not (Path(path).stat().st_mode & 0o077)
