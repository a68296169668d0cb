"""Every synthesis made in the web UI, kept on disk: the audio, its subtitles and a JSON record of the
text and settings. Each entry is its own set of files, the record written last, so a crash mid-write
leaves at worst an orphan audio file and never a broken history; nothing is deleted unless asked."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from vocalis.errors import VocalisError
from vocalis.home import data_home
from vocalis.studio.webui.settings import SpeakSettings
from vocalis.studio.webui.storage import read_json, write_json
from vocalis.subtitles import Cue, write_subtitles

_ID = re.compile(r"^\d{8}-\d{6}-\d{6}$")


@dataclass(frozen=True)
class Entry:
    id: str  # the creation time, sortable: 20250131-142501-123456
    text: str
    settings: SpeakSettings
    audio: Path
    subtitles: Path | None
    seconds: float  # length of the audio
    render_s: float  # time it took to render

    @property
    def created(self) -> datetime:
        return datetime.strptime(self.id, "%Y%m%d-%H%M%S-%f")

    def label(self) -> str:
        text = " ".join(self.text.split())
        return f"{self.created:%Y-%m-%d %H:%M:%S} · {text[:40]}{'…' if len(text) > 40 else ''}"


def history_dir() -> Path:
    return data_home() / "history"


def new_entry(audio_format: str = ".wav") -> tuple[str, Path]:
    """An id for a new entry and the path its audio goes to; it becomes an entry by `commit_entry`."""
    folder = history_dir()
    folder.mkdir(parents=True, exist_ok=True)
    entry_id = _new_id(folder)
    return entry_id, folder / f"{entry_id}{audio_format}"


def commit_entry(entry_id: str, text: str, settings: SpeakSettings, audio: Path, seconds: float, cues: list[Cue],
                 subtitle_format: str = ".srt", render_s: float = 0.0) -> Entry:
    """Record a synthesis whose audio is written: subtitles first, then the record that makes it an entry.
    `settings` should be portable (see SpeakSettings.portable)."""
    subtitles = write_subtitles(cues, audio.with_suffix(subtitle_format)) if cues else None
    entry = Entry(entry_id, text, settings, audio, subtitles, round(seconds, 3), round(render_s, 2))
    write_json(history_dir() / f"{entry_id}.json", {
        "text": text, "settings": settings.to_dict(), "audio": audio.name,
        "subtitles": subtitles.name if subtitles else None, "seconds": entry.seconds, "render_s": entry.render_s,
    })
    return entry


def entries() -> list[Entry]:
    """All entries, newest first; records whose audio is gone (or unreadable records) are skipped."""
    found = []
    for record in sorted(history_dir().glob("*.json"), reverse=True):
        entry = _read(record)
        if entry is not None:
            found.append(entry)
    return found


def get_entry(entry_id: str) -> Entry:
    entry = _read(history_dir() / f"{entry_id}.json") if _ID.match(entry_id or "") else None
    if entry is None:
        raise VocalisError(f"no history entry {entry_id!r}: it may have been deleted")
    return entry


def delete_entry(entry_id: str) -> None:
    """Remove an entry's record first (it disappears from the list at once), then its files."""
    entry = get_entry(entry_id)
    (history_dir() / f"{entry.id}.json").unlink()
    for path in (entry.audio, entry.subtitles):
        if path is not None:
            path.unlink(missing_ok=True)


def _new_id(folder: Path) -> str:
    """A creation-time id not yet used (two renders within a microsecond take the next one)."""
    now = datetime.now()
    while True:
        entry_id = now.strftime("%Y%m%d-%H%M%S-%f")
        if not (folder / f"{entry_id}.json").exists():
            return entry_id
        now = now.replace(microsecond=(now.microsecond + 1) % 1_000_000)


def _read(record: Path) -> Entry | None:
    data = read_json(record, None)
    if not isinstance(data, dict) or not _ID.match(record.stem):
        return None
    # Only plain file names next to the record: deleting an entry unlinks them.
    audio = record.parent / Path(str(data.get("audio", ""))).name
    if not audio.is_file():
        return None
    subtitles = record.parent / Path(str(data["subtitles"])).name if data.get("subtitles") else None
    try:
        settings = SpeakSettings.from_dict(data.get("settings", {}))
        seconds, render_s = float(data.get("seconds", 0.0)), float(data.get("render_s", 0.0))
    except (TypeError, ValueError):
        return None
    return Entry(record.stem, str(data.get("text", "")), settings, audio, subtitles, seconds, render_s)
