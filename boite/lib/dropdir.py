"""Files the server reads from a directory its operator configured (a « drop directory »).

A web form never takes a path: it offers the files of the directory, and what comes back
is a name *inside* it. The name is resolved here, and refused when it is absolute, climbs
out (`..`), or resolves — through a symbolic link — to anything outside the directory.
The resolution is done again each time the file is opened: a link changed after the
choice is caught then.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

LISTED_AT_MOST = 1000


class OutsideDirectory(ValueError):
    """The name does not designate a file inside the directory."""


def resolve_inside(root: Path | str, name: str) -> Path:
    """The real path of `name` inside `root`; OutsideDirectory if it is not inside."""
    if not name or "\x00" in name or "\\" in name:
        raise OutsideDirectory(name)
    relative = PurePosixPath(name)
    if relative.is_absolute() or ".." in relative.parts:
        raise OutsideDirectory(name)
    base = Path(root).resolve()
    target = (base / relative).resolve()
    if target == base or not target.is_relative_to(base):
        raise OutsideDirectory(name)
    return target


def files_in(root: Path | str) -> list[str]:
    """The regular files of `root` and its subdirectories, as names relative to it, that
    resolve inside it (a link pointing out is not offered); hidden names are skipped."""
    base = Path(root)
    if not base.is_dir():
        return []
    found: list[str] = []
    for folder, subfolders, names in os.walk(base, followlinks=False):
        subfolders[:] = sorted(d for d in subfolders if not d.startswith("."))
        for name in sorted(names):
            if name.startswith("."):
                continue
            relative = (Path(folder) / name).relative_to(base).as_posix()
            try:
                if resolve_inside(base, relative).is_file():
                    found.append(relative)
            except (OutsideDirectory, OSError):
                continue
            if len(found) >= LISTED_AT_MOST:
                return found
    return found
