"""The shared speech data beside the repository (../shared/data/speech) that many tests read, and what a test
that needs it does when it is missing: in CI (the environment variable CI set) it fails, saying what is missing,
since a run that skipped them would pass without testing cloning, consent or training; elsewhere it skips, and
the run's summary says how many tests did so and why (tests/conftest.py).

A whole module or test asks for it with the marker, `pytestmark = pytest.mark.shared_data(path, ...)`; a fixture or
test calls `shared_data(path, ...)`. Paths are absolute or relative to SPEECH."""

from __future__ import annotations

import os
from pathlib import Path
from typing import NoReturn

import pytest

SPEECH = Path(__file__).resolve().parents[2] / "shared" / "data" / "speech"
MANIFEST = SPEECH / "MANIFEST.tsv"
# What tests skipped for (outside CI), for the run's summary.
skipped: list[str] = []


def missing_shared_data(what: str) -> NoReturn:
    """Fail the test in CI, skip it elsewhere, naming what is missing."""
    message = f"shared speech data missing: {what} (expected under {SPEECH})"
    if os.environ.get("CI"):
        pytest.fail(f"{message}; CI must provide ../shared/data/speech", pytrace=False)
    skipped.append(what)
    pytest.skip(message)


def shared_data(*paths: Path | str) -> Path:
    """SPEECH, once it and each of `paths` exist; otherwise `missing_shared_data`."""
    for path in (SPEECH, *(SPEECH / p for p in paths)):
        if not path.exists():
            missing_shared_data(str(path))
    return SPEECH
