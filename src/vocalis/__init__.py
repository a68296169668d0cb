"""Vocalis: offline English and Mandarin text-to-speech on a CPU.

The short names load on first use, so that importing one stage (`vocalis.text`, say) does not import the
engine, the models' code and the service with it."""

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vocalis.audio import Audio
    from vocalis.emotion import Emotion
    from vocalis.engine import Chunk
    from vocalis.errors import VocalisError
    from vocalis.service import Vocalis
    from vocalis.voice import Voice

_HOMES = {"Audio": "vocalis.audio", "Chunk": "vocalis.engine", "Emotion": "vocalis.emotion",
          "Vocalis": "vocalis.service", "Voice": "vocalis.voice", "VocalisError": "vocalis.errors"}
__all__ = ["Audio", "Chunk", "Emotion", "Vocalis", "VocalisError", "Voice"]


def __getattr__(name: str) -> object:
    if name not in _HOMES:
        raise AttributeError(f"module 'vocalis' has no attribute {name!r}")
    return getattr(import_module(_HOMES[name]), name)
