"""Where a video dub keeps its work while it runs: each cue's rendered line as it finishes, and what was
read of the original. Keyed by the inputs, so a dub stopped by a crash or a restart resumes at its first
unfinished cue; removed once the dubbed file is written, or when the dub is cancelled."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np

from vocalis.home import data_home


class DubStore:
    def __init__(self, folder: Path):
        self.folder = folder

    @classmethod
    def for_inputs(cls, video: Path, settings: dict) -> DubStore:
        """The store of these inputs (the video by name, size and time; the cues, the voice and the options in
        `settings`): the same dub run again finds its earlier work."""
        stat = video.stat()
        key = json.dumps([str(video.resolve()), stat.st_size, stat.st_mtime_ns, settings],
                         sort_keys=True, ensure_ascii=False)
        folder = data_home() / "dubbing" / hashlib.sha256(key.encode()).hexdigest()[:24]
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        return cls(folder)

    def has_line(self, k: int) -> bool:
        """Whether cue k was rendered by an earlier run."""
        return self._line_path(k).is_file()

    def line(self, k: int) -> tuple[np.ndarray, float] | None:
        """Cue k's samples and speed from an earlier run (an empty array: it had nothing to say)."""
        path = self._line_path(k)
        if not path.is_file():
            return None
        with np.load(path) as data:
            return data["samples"], float(data["speed"])

    def put_line(self, k: int, samples: np.ndarray | None, speed: float) -> None:
        """Written whole or not at all: a run killed mid-write leaves no half cue to resume from."""
        path = self._line_path(k)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, samples=np.zeros(0, np.float32) if samples is None else samples, speed=speed)
        os.replace(tmp, path)

    def mark_id(self, new: Callable[[], int]) -> int:
        """The dub's one watermark id: made by `new` on the first run, the same on a resumed one."""
        path = self.folder / "mark_id"
        if not path.is_file():
            path.write_text(str(new()), encoding="utf-8")
        return int(path.read_text(encoding="utf-8"))

    def readings(self) -> list[dict] | None:
        path = self.folder / "readings.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None

    def put_readings(self, readings: list[dict]) -> None:
        path = self.folder / "readings.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(readings, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def _line_path(self, k: int) -> Path:
        return self.folder / f"cue-{k:05d}.npz"
