"""The built-in voices: Kokoro's five style packs, with what we measured about each."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from vocalis.acoustic.assets import voice_packs
from vocalis.errors import VoiceNotFound
from vocalis.voice.voice import Voice

# name -> (language it reads best, description). English WER by Whisper base on our benchmark
# paragraphs decides the order; see bench/synthesis.py.
_CATALOGUE: dict[str, tuple[str, str]] = {
    "jm_kumo": ("en", "male, low and steady; the clearest English"),
    "jf_gongitsune": ("zh", "female, bright; the clearest Mandarin, clear English too"),
    "jf_tebukuro": ("en", "female, soft"),
    "jf_nezumi": ("en", "female, light"),
    "jf_alpha": ("en", "female, strong Japanese accent in English"),
}
DEFAULT_VOICE = {"en": "jm_kumo", "zh": "jf_gongitsune"}


@cache
def builtin_voices() -> dict[str, Voice]:
    packs = voice_packs()
    return {
        name: Voice(name=name, style=packs[name], language=lang, description=desc, meta={"source": "builtin"})
        for name, (lang, desc) in _CATALOGUE.items()
    }


def default_voice(lang: str) -> Voice:
    return builtin_voices()[DEFAULT_VOICE.get(lang, DEFAULT_VOICE["en"])]


def resolve_voice(voice: str | Path | Voice) -> Voice:
    """A Voice from a Voice, a built-in name, a library name, or a path to a saved voice file (.npz, or
    .safetensors for a trained voice)."""
    if isinstance(voice, Voice):
        return voice
    from vocalis.voice.library import SUFFIXES, library_file

    voices = builtin_voices()
    if str(voice) in voices:
        return voices[str(voice)]
    path = Path(voice)
    if path.suffix in SUFFIXES and path.is_file():
        return Voice.load(path)
    if (path := library_file(str(voice))) is not None:
        return Voice.load(path)
    raise VoiceNotFound(f"unknown voice {str(voice)!r}: choose a built-in voice ({', '.join(voices)}) or a cloned "
                        "one (`vocalis voices` or GET /v1/voices lists them); the command line also takes a "
                        "voice file (.npz, or .safetensors for a trained voice)")
