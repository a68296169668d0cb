"""Every synthesis made in the web UI: its audio and subtitles in the data home's history folder, and a record
of the text and settings in the database (`VOCALIS_DB_URL`, shared by every server; else history.sqlite3 in the
data home, schema kept by alembic in migrations/history). The record is written last, so a crash mid-write
leaves at worst an orphan audio file and never a broken history; nothing is deleted unless asked. Records an
earlier version kept as JSON files beside the audio move into the database on first use."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Column, Engine, Float, MetaData, String, Table, Text, delete, insert, select
from sqlalchemy.exc import IntegrityError

from vocalis.database import migrated, shared_url, sqlite_url
from vocalis.errors import VocalisError
from vocalis.home import data_home
from vocalis.studio.webui.settings import SpeakSettings
from vocalis.studio.webui.storage import read_json
from vocalis.subtitles import Cue, write_subtitles

_ID = re.compile(r"^\d{8}-\d{6}-\d{6}$")
VERSIONS = Path(__file__).parent / "migrations" / "history" / "versions"
_adopted: set[tuple[str, Path]] = set()  # (database URL, history folder) whose JSON records were moved in

history_table = Table(
    "webui_history", MetaData(),
    Column("id", String(32), primary_key=True),
    Column("text", Text, nullable=False),
    Column("settings", Text, nullable=False),  # JSON (SpeakSettings.to_dict)
    Column("audio", String(255), nullable=False),  # file names in the history folder
    Column("subtitles", String(255)),
    Column("seconds", Float, nullable=False),
    Column("render_s", Float, nullable=False),
)


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
    with _db().begin() as db:
        db.execute(insert(history_table).values(_row(entry)))
    return entry


def entries() -> list[Entry]:
    """All entries, newest first; those whose audio is gone (or whose record is unreadable) are skipped."""
    with _db().connect() as db:
        rows = db.execute(select(history_table).order_by(history_table.c.id.desc())).mappings().all()
    return [entry for row in rows if (entry := _entry(dict(row))) is not None]


def get_entry(entry_id: str) -> Entry:
    row = None
    if _ID.match(entry_id or ""):
        with _db().connect() as db:
            row = db.execute(select(history_table).where(history_table.c.id == entry_id)).mappings().first()
    entry = _entry(dict(row)) if row is not None else None
    if entry is None:
        raise VocalisError(f"no history entry {entry_id!r}: it may have been deleted")
    return entry


def delete_entry(entry_id: str) -> None:
    """Remove an entry's record first (it disappears from the list at once), then its files."""
    entry = get_entry(entry_id)
    with _db().begin() as db:
        db.execute(delete(history_table).where(history_table.c.id == entry.id))
    for path in (entry.audio, entry.subtitles):
        if path is not None:
            path.unlink(missing_ok=True)


def _db() -> Engine:
    """The history's database, with the records an earlier version kept as JSON files moved into it (once per
    database, folder and process: the folder holds every entry's audio, too many to list at every call)."""
    url = shared_url() or sqlite_url(data_home() / "history.sqlite3")
    engine = migrated(url, VERSIONS, "history_alembic_version")
    if (url, history_dir()) not in _adopted:
        _adopt(engine)
        _adopted.add((url, history_dir()))
    return engine


def _adopt(engine: Engine) -> None:
    for record in sorted(history_dir().glob("*.json")) if history_dir().is_dir() else ():
        data = read_json(record, None)
        if not isinstance(data, dict) or not _ID.match(record.stem):
            continue  # unreadable: left where it is, never listed
        try:
            with engine.begin() as db:
                db.execute(insert(history_table).values(id=record.stem, **_legacy(data)))
        except IntegrityError:
            pass  # moved already (by another server on the same home, between its listing and ours)
        except (TypeError, ValueError):
            continue
        record.unlink(missing_ok=True)


def _new_id(folder: Path) -> str:
    """A creation-time id not yet used (two renders within a microsecond take the next one)."""
    now = datetime.now()
    while True:
        entry_id = now.strftime("%Y%m%d-%H%M%S-%f")
        if not any(folder.glob(f"{entry_id}.*")):
            return entry_id
        now = now.replace(microsecond=(now.microsecond + 1) % 1_000_000)


def _row(entry: Entry) -> dict:
    return {"id": entry.id, "text": entry.text, "settings": json.dumps(entry.settings.to_dict(), ensure_ascii=False),
            "audio": entry.audio.name, "subtitles": entry.subtitles.name if entry.subtitles else None,
            "seconds": entry.seconds, "render_s": entry.render_s}


def _legacy(data: dict) -> dict:
    """A JSON record of an earlier version as a row's columns (raises TypeError/ValueError when malformed)."""
    return {"text": str(data.get("text", "")), "settings": json.dumps(dict(data.get("settings", {}))),
            "audio": str(data.get("audio", "")), "subtitles": data.get("subtitles") or None,
            "seconds": float(data.get("seconds", 0.0)), "render_s": float(data.get("render_s", 0.0))}


def _entry(row: dict) -> Entry | None:
    # Only plain file names in the history folder: deleting an entry unlinks them.
    folder = history_dir()
    audio = folder / Path(str(row["audio"])).name
    if not audio.is_file():
        return None
    subtitles = folder / Path(str(row["subtitles"])).name if row["subtitles"] else None
    try:
        settings = SpeakSettings.from_dict(json.loads(row["settings"]))
    except (TypeError, ValueError):
        return None
    return Entry(row["id"], row["text"], settings, audio, subtitles, float(row["seconds"]), float(row["render_s"]))
