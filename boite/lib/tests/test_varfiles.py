"""var/ is private: its directories are created 0700, its files 0600 — the development
keys, the SQLite databases (the job queue), the index and the private storage; and in
production the OpenID Connect key comes from the environment (`check --deploy`)."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.files.base import ContentFile

from boite.lib.uploads import PrivateStorage
from boite.lib.varfiles import private_dir, touch_private, write_private

ROOT = Path(__file__).resolve().parents[3]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_helpers_create_private_files_and_directories(tmp_path):
    folder = private_dir(tmp_path / "a" / "b")
    assert _mode(tmp_path / "a") == _mode(folder) == 0o700
    write_private(folder / "key.pem", b"secret")
    assert _mode(folder / "key.pem") == 0o600
    with pytest.raises(FileExistsError):
        write_private(folder / "key.pem", b"another")  # a key is never overwritten
    assert (folder / "key.pem").read_bytes() == b"secret"
    touch_private(folder / "huey.db")
    assert _mode(folder / "huey.db") == 0o600


def test_private_storage_writes_0600_in_0700_directories(settings, tmp_path):
    settings.PRO_FILES_ROOT = tmp_path / "pro-files"
    storage = PrivateStorage("PRO_FILES_ROOT")
    name = storage.save("posts/2026/compte-rendu.pdf", ContentFile(b"%PDF-1.4"))
    saved = Path(storage.path(name))
    assert _mode(saved) == 0o600
    assert _mode(saved.parent) == _mode(saved.parent.parent) == 0o700


def test_the_search_index_directory_is_private(settings, tmp_path):
    from boite.catalog.search import _instances, get_backend

    settings.CATALOG_INDEX_DIR = tmp_path / "search" / "catalog"
    _instances.clear()
    try:
        assert get_backend().index is not None
        assert _mode(tmp_path / "search") == _mode(tmp_path / "search" / "catalog") == 0o700
    finally:
        _instances.clear()


def _settings_in(var: Path, **env: str) -> subprocess.CompletedProcess:
    import os

    environment = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    environment.update(BOITE_VAR_DIR=str(var), **env)
    if "OIDC_RSA_PRIVATE_KEY" not in env:
        environment.pop("OIDC_RSA_PRIVATE_KEY", None)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "ERROR"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_fresh_var_is_private_from_the_start(tmp_path):
    var = tmp_path / "var"
    _settings_in(var, DEBUG="true")
    assert _mode(var) == 0o700
    for name in ("secret_key", "oidc_rsa_private_key.pem", "huey.db", "boite.sqlite3"):
        assert _mode(var / name) == 0o600, name


def test_check_deploy_fails_without_the_oidc_key_from_the_environment(tmp_path):
    refused = _settings_in(tmp_path / "var", DEBUG="false")
    assert refused.returncode != 0
    assert "boite.E010" in refused.stdout + refused.stderr
    # In development (DEBUG on) the key generated under var/ is fine.
    development = _settings_in(tmp_path / "var", DEBUG="true")
    assert "boite.E010" not in development.stdout + development.stderr


def test_the_drop_directory_may_not_overlap_var(tmp_path):
    result = _settings_in(tmp_path / "var", DEBUG="true", CATALOG_DROP_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "boite.E011" in result.stdout + result.stderr
