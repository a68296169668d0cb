"""A training run's folder in the data home: the prepared corpus and the latest checkpoint, so a killed or
interrupted run resumes where it was. Named by a hash of everything the run depends on, so a run with
other clips or settings never resumes from it. Written temp-then-rename: a file is whole or absent."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import torch

from vocalis.home import data_home


class RunFolder:
    def __init__(self, name: str, key: str):
        self.path = data_home() / "training" / f"{name}-{key[:16]}"

    def load(self, what: str) -> dict | None:
        """The saved `what` ("corpus" or "checkpoint"), or None when absent or unreadable."""
        path = self.path / f"{what}.pt"
        try:
            return torch.load(path, weights_only=False)
        except Exception:  # noqa: BLE001 - absent, torn or from another version: start that part again
            return None

    def save(self, what: str, state: dict) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        tmp = self.path / f".{what}.{os.getpid()}.tmp"
        torch.save(state, tmp)
        tmp.replace(self.path / f"{what}.pt")

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def stale_runs(name: str) -> list[Path]:
    """Run folders of `name` (other inputs or settings than a new run's)."""
    root = data_home() / "training"
    return sorted(root.glob(f"{name}-*")) if root.is_dir() else []


def remove_runs(name: str, keep: Path | None = None) -> None:
    for path in stale_runs(name):
        if path != keep:
            shutil.rmtree(path, ignore_errors=True)


