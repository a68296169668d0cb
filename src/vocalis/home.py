"""Where Vocalis keeps the user's data: voices, and the studio's history, presets, jobs and API keys. It is
private: the folder is 0700 and its databases and consent recordings 0600, since they hold the full text of
every synthesis, key hashes and people's voices."""

from __future__ import annotations

import os
from pathlib import Path

# The settings that choose where Vocalis keeps its data and how it marks and records what it makes: a process
# started on this one's behalf (a systemd service, a cluster replica) must be given the same.
SETTINGS_ENV = ("VOCALIS_HOME", "VOCALIS_DB_URL", "VOCALIS_MARK_ID", "VOCALIS_AUDIT_KEY", "VOCALIS_AUDIT_TEXT",
                "VOCALIS_CREATOR_SHARE")


def data_home() -> Path:
    """$VOCALIS_HOME, else $XDG_DATA_HOME/vocalis, else ~/.local/share/vocalis; created if missing.

    Data, not cache: what lives here is the user's work and must survive a cache clean."""
    home = os.environ.get("VOCALIS_HOME")
    path = Path(home) if home else Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "vocalis"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if path.stat().st_mode & 0o077:  # made before it was private, or by another tool
        path.chmod(0o700)
    return path


def private_file(path: Path) -> Path:
    """`path`, created empty with mode 0600 if missing (for a database, before SQLite creates it 0644), and made
    0600 if an older version left it open to others."""
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)
    return path
