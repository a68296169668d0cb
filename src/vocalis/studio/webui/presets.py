"""Named Speak settings (voice, emotion, timing), kept in one JSON file next to the voice library."""

from __future__ import annotations

from pathlib import Path

from vocalis.errors import VocalisError
from vocalis.home import data_home
from vocalis.studio.webui.settings import SpeakSettings
from vocalis.studio.webui.storage import read_json, write_json

MAX_NAME = 64


def presets_path() -> Path:
    return data_home() / "presets.json"


def presets() -> dict[str, SpeakSettings]:
    """Every readable preset by name, sorted; an entry that no longer parses is skipped."""
    stored = read_json(presets_path(), {})
    found = {}
    for name, data in sorted(stored.items() if isinstance(stored, dict) else []):
        try:
            found[name] = SpeakSettings.from_dict(data)
        except (TypeError, ValueError, AttributeError):
            continue
    return found


def save_preset(name: str, settings: SpeakSettings) -> str:
    """Store `settings` (made portable: no temporary clips) under `name`, replacing one of that name."""
    name = " ".join((name or "").split())
    if not name:
        raise VocalisError("give the preset a name")
    if len(name) > MAX_NAME:
        raise VocalisError(f"preset names are at most {MAX_NAME} characters")
    stored = _stored()
    stored[name] = settings.portable().to_dict()
    write_json(presets_path(), stored)
    return name


def load_preset(name: str) -> SpeakSettings:
    found = presets()
    if name not in found:
        raise VocalisError(f"no preset named {name!r}")
    return found[name]


def delete_preset(name: str) -> None:
    stored = _stored()
    if name not in stored:
        raise VocalisError(f"no preset named {name!r}")
    del stored[name]
    write_json(presets_path(), stored)


def _stored() -> dict:
    """The presets file's content, to change and write back. A file that cannot be read is moved aside
    (presets.json.unreadable) rather than overwritten: it may still be repaired by hand."""
    path = presets_path()
    stored = read_json(path, None)
    if isinstance(stored, dict):
        return stored
    if path.exists():
        path.replace(path.with_name(f"{path.name}.unreadable"))
    return {}
