"""JSON files that never tear: written under a temporary name, then renamed atomically."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any


def write_json(path: Path, data: Any) -> Path:
    """Write `data` as UTF-8 JSON; readers see the old file or the new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")  # writers never share it
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    tmp.replace(path)
    return path


def read_json(path: Path, default: Any) -> Any:
    """The JSON in `path`, or `default` when it is absent or unreadable (a hand-edited file gone bad
    must not take the whole interface down)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return default
