"""The local voice library: cloned voices saved as `NAME.npz` files under one data directory."""

from __future__ import annotations

import os
import re
from pathlib import Path

from vocalis.errors import VoiceError
from vocalis.voice.voice import Voice

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def library_dir() -> Path:
    """$VOCALIS_HOME/voices, else $XDG_DATA_HOME/vocalis/voices, else ~/.local/share/vocalis/voices.

    Data, not cache: voices are the user's work and must survive a cache clean."""
    home = os.environ.get("VOCALIS_HOME")
    base = Path(home) if home else Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "vocalis"
    path = base / "voices"
    path.mkdir(parents=True, exist_ok=True)
    return path


def check_name(name: str) -> str:
    """A library name is a file name on every OS: letters, digits, '_', '-', '.', at most 64."""
    from vocalis.voice.builtin import builtin_voices

    if not _NAME.match(name):
        raise VoiceError(f"voice name {name!r} is not allowed: use 1-64 letters, digits, '_', '-' or '.', "
                         "starting with a letter or digit")
    if name in builtin_voices():
        raise VoiceError(f"{name!r} is a built-in voice: choose another name")
    return name


def voice_path(name: str) -> Path:
    return library_dir() / f"{check_name(name)}.npz"


def save_voice(voice: Voice, overwrite: bool = False) -> Path:
    """Write `voice` under its name, atomically; an existing voice is kept unless `overwrite`."""
    path = voice_path(voice.name)
    if path.exists() and not overwrite:
        raise VoiceError(f"a voice named {voice.name!r} already exists: pick another name or replace it")
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp.npz")
    voice.save(tmp)
    tmp.replace(path)
    return path


def load_voice(name: str) -> Voice:
    path = voice_path(name)
    if not path.is_file():
        raise VoiceError(f"no voice named {name!r} in the library ({library_dir()})")
    return Voice.load(path)


def library_voices() -> list[Voice]:
    """Every readable voice in the library, by name; unreadable files are skipped, not fatal."""
    voices = []
    for path in sorted(library_dir().glob("*.npz")):
        if path.name.startswith("."):
            continue
        try:
            voices.append(Voice.load(path))
        except VoiceError:
            continue
    return voices


def delete_voice(name: str) -> None:
    path = voice_path(name)
    if not path.is_file():
        raise VoiceError(f"no voice named {name!r} in the library ({library_dir()})")
    path.unlink()
