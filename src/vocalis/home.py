"""Where Vocalis keeps the user's data: voices, and the studio's history, presets, jobs and API keys."""

from __future__ import annotations

import os
from pathlib import Path


def data_home() -> Path:
    """$VOCALIS_HOME, else $XDG_DATA_HOME/vocalis, else ~/.local/share/vocalis; created if missing.

    Data, not cache: what lives here is the user's work and must survive a cache clean."""
    home = os.environ.get("VOCALIS_HOME")
    path = Path(home) if home else Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "vocalis"
    path.mkdir(parents=True, exist_ok=True)
    return path
