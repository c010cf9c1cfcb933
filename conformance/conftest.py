"""The field conformance suite: real third-party files run through the real code paths.

The corpus is read from FIELD_SAMPLES (default: ../shared/data/field-samples beside the
checkout). It is not part of the repository, so `make test` never needs it; `make
conformance` stops at once, with the reason, when it is missing — a missing corpus is
never a pass.

Each area has its own module here (test_catalog.py, test_identity.py, test_lending.py,
test_counter.py…) with the expectations written down per file, after looking at it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT.parent / "shared" / "data" / "field-samples"


def samples_dir() -> Path:
    return Path(os.environ.get("FIELD_SAMPLES") or DEFAULT)


def pytest_configure(config):
    if not samples_dir().is_dir():
        raise pytest.UsageError(
            f"field samples not found at {samples_dir()}: set FIELD_SAMPLES to the corpus"
        )


@pytest.fixture(scope="session")
def samples() -> Path:
    return samples_dir()


def sample(kind: str, name: str) -> Path:
    """One file of the corpus; a missing one fails the test that names it."""
    path = samples_dir() / kind / name
    assert path.is_file(), f"{path} is not in the corpus"
    return path
