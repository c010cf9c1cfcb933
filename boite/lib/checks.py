"""System checks about the files of var/ (see boite.lib.varfiles)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core import checks

from boite.lib.varfiles import is_private


@checks.register(checks.Tags.security, deploy=True)
def check_var_is_private(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    var = Path(settings.VAR_DIR)
    if not var.exists() or is_private(var):
        return []
    return [
        checks.Warning(
            f"{var} may be read by other users of the server: it holds keys, the job "
            "queue and private files.",
            hint=f"chmod 700 {var} (new files and directories in it are created 0600/0700).",
            id="boite.W010",
        )
    ]


@checks.register(checks.Tags.security)
def check_drop_dir_is_apart(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Whatever is in the drop directory can be harvested and published: it must not be
    var/, inside it, or above it."""
    drop = getattr(settings, "CATALOG_DROP_DIR", None)
    if not drop:
        return []
    drop, var = Path(drop).resolve(), Path(settings.VAR_DIR).resolve()
    if drop.is_relative_to(var) or var.is_relative_to(drop):
        return [
            checks.Error(
                f"CATALOG_DROP_DIR ({drop}) overlaps the var/ directory ({var}).",
                hint="Give the drop directory a folder of its own, outside var/.",
                id="boite.E011",
            )
        ]
    return []
