"""bin/ensure-browser, which `make test` and CI run before any test: its decision when
Chromium is missing and installing is not allowed (it never installs here)."""

import os
import stat
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "bin" / "ensure-browser"
DEBIAN_CHROMIUM = Path("/usr/bin/chromium")


def _run(**env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(SCRIPT)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_a_chromium_at_the_path_passes_silently(tmp_path):
    chromium = tmp_path / "chromium"
    chromium.write_text("#!/bin/sh\n")
    chromium.chmod(chromium.stat().st_mode | stat.S_IXUSR)
    result = _run(CHROMIUM=str(chromium), BROWSER_INSTALL="no")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_a_missing_chromium_stops_at_once_with_the_command_to_run():
    result = _run(CHROMIUM="/nonexistent/chromium", BROWSER_INSTALL="no")
    assert result.returncode == 1
    assert result.stdout == ""  # nothing installed, nothing announced
    assert result.stderr.startswith("Chromium not found at /nonexistent/chromium")
    if DEBIAN_CHROMIUM.exists():
        assert "Debian's is at /usr/bin/chromium: unset CHROMIUM" in result.stderr
    else:
        assert "install it with: sudo apt-get install chromium" in result.stderr


def test_an_empty_chromium_means_debians_path():
    """The suite's browser fixture reads CHROMIUM the same way (default /usr/bin/chromium)."""
    result = _run(CHROMIUM="", BROWSER_INSTALL="no")
    if DEBIAN_CHROMIUM.exists():
        assert (result.returncode, result.stderr) == (0, "")
    else:
        assert result.returncode == 1
        assert "Chromium not found at /usr/bin/chromium" in result.stderr
