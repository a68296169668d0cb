"""The local voice library under one data directory: cloned voices as `NAME.npz`, trained voices as
`NAME.safetensors` (see `voice.voice`). A name is taken by at most one file."""

from __future__ import annotations

import os
import re
import threading
from dataclasses import replace
from pathlib import Path

from vocalis.errors import VoiceError, VoiceExists, VoiceNotFound
from vocalis.home import data_home
from vocalis.voice.voice import Voice
from vocalis.voice_names import DEFAULT_VOICE_NAMES, OPENAI_VOICES

VOICE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
# Names the surfaces give a meaning of their own: the language's default voice (HTTP API, web UI) and
# OpenAI's voice names, which the HTTP API maps to built-in voices. A clone under one could never be used.
RESERVED_NAMES = frozenset({*DEFAULT_VOICE_NAMES[1:], *OPENAI_VOICES})


def library_dir() -> Path:
    """The `voices` folder of the data home (see `vocalis.home.data_home`), created if missing."""
    path = data_home() / "voices"
    path.mkdir(exist_ok=True)
    return path


def check_name(name: str) -> str:
    """A library name is a file name on every OS: letters, digits, '_', '-', '.', at most 64."""
    from vocalis.voice.builtin import builtin_voices

    if not VOICE_NAME.match(name):
        raise VoiceError(f"voice name {name!r} is not allowed: use 1-64 letters, digits, '_', '-' or '.', "
                         "starting with a letter or digit")
    if name in builtin_voices():
        raise VoiceError(f"{name!r} is a built-in voice: choose another name")
    if name.lower() in RESERVED_NAMES:
        raise VoiceError(f"{name!r} is reserved (it names a default or an OpenAI voice): choose another name")
    return name


SUFFIXES = (".npz", ".safetensors")


def voice_path(name: str) -> Path:
    """The file of the library voice `name`: the one that exists, else where a clone would go."""
    base = library_dir() / check_name(name)
    return next((p for p in (base.with_suffix(s) for s in SUFFIXES) if p.is_file()), base.with_suffix(".npz"))


def library_file(name: str) -> Path | None:
    """The library's file for `name`, or None (no check of the name beyond its being a plain file name)."""
    if not VOICE_NAME.match(name):
        return None
    return next((p for s in SUFFIXES if (p := library_dir() / f"{name}{s}").is_file()), None)


def save_voice(voice: Voice, overwrite: bool = False) -> Path:
    """Write `voice` under its name, atomically; an existing voice is kept unless `overwrite` (then a file of
    the other kind under the same name goes once the new one is in place)."""
    old = voice_path(voice.name)
    if old.exists() and not overwrite:
        raise VoiceExists(voice.name)
    path = old.with_suffix(voice.suffix)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.{threading.get_ident()}.tmp{voice.suffix}")  # never shared
    voice.save(tmp)
    tmp.replace(path)
    if old != path:
        old.unlink(missing_ok=True)
    return path


def load_voice(name: str) -> Voice:
    path = voice_path(name)
    if not path.is_file():
        raise VoiceNotFound(f"no voice named {name!r} in the library")
    return Voice.load(path)


def library_voices() -> list[Voice]:
    """Every readable voice in the library, by name; unreadable files are skipped, not fatal."""
    voices = []
    paths = [p for suffix in SUFFIXES for p in library_dir().glob(f"*{suffix}")]
    for path in sorted(paths, key=lambda p: p.stem):
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
        raise VoiceNotFound(f"no voice named {name!r} in the library")
    path.unlink()


def rename_voice(old: str, new: str) -> Path:
    """Give a library voice another name; the voice file is written under the new name before the old
    one goes, so a failure leaves the voice where it was."""
    voice = load_voice(old)
    if old == new:
        return voice_path(old)
    path = save_voice(replace(voice, name=check_name(new)))
    voice_path(old).unlink()
    return path


def import_voice(path: str | Path, name: str | None = None, overwrite: bool = False) -> Voice:
    """Add a voice file (a `.npz` or trained `.safetensors` saved by Vocalis, e.g. exported from another
    machine) to the library,
    under `name` or the name stored in it."""
    voice = Voice.load(path)
    if name:
        voice = replace(voice, name=name)
    save_voice(voice, overwrite=overwrite)
    return voice
