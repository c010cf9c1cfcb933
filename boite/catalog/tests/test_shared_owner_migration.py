"""The migrations that give shared rows an owner, run on real rows in a fresh process."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_existing_rows_go_to_the_first_network_they_serve(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY")}
    env.update(BOITE_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="boite.settings")
    result = subprocess.run(
        [sys.executable, "-m", "boite.tests.migrate_owner_check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    # The lowest id among the networks served (the departmental network here).
    assert report["resources"] == {
        "shared": "boite-numerique",
        "caen": "caen-la-mer",
        "orphan": None,  # serving nobody: the consortium's
    }
    assert report["providers"] == {"cafeyn": "boite-numerique", "seul": None}
    assert report["accounts"] == {"PNB": "boite-numerique", "ODL": None}
    # Every network keeps what it served, shown, in the order by name.
    assert report["settings"] == [
        ["caen", "caen-la-mer", True, 0],
        ["shared", "boite-numerique", True, 0],
        ["shared", "caen-la-mer", True, 0],
    ]
    # Rolled back, the plain many-to-many holds the same networks again.
    assert report["rolled_back"] == [
        ["caen", "caen-la-mer"],
        ["shared", "boite-numerique"],
        ["shared", "caen-la-mer"],
    ]
