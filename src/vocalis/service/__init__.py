"""The service layer: one request shape (`SpeechRequest`), one render path (`Vocalis.render` into a sink),
one engine lock, and the voice library, cloning and training, under every surface (CLI, API, web UI, jobs).

The short names load on first use: a surface that only builds and checks a request does not import the
engine."""

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vocalis.service.render import FileSink, MemorySink, RenderProgress, RenderResult
    from vocalis.service.request import EmotionSpec, SpeechRequest
    from vocalis.service.vocalis import Vocalis

_HOMES = {"EmotionSpec": "vocalis.service.request", "SpeechRequest": "vocalis.service.request",
          "FileSink": "vocalis.service.render", "MemorySink": "vocalis.service.render",
          "RenderProgress": "vocalis.service.render", "RenderResult": "vocalis.service.render",
          "Vocalis": "vocalis.service.vocalis"}
__all__ = ["EmotionSpec", "FileSink", "MemorySink", "RenderProgress", "RenderResult", "SpeechRequest", "Vocalis"]


def __getattr__(name: str) -> object:
    if name not in _HOMES:
        raise AttributeError(f"module 'vocalis.service' has no attribute {name!r}")
    return getattr(import_module(_HOMES[name]), name)
