"""Where a render goes: the one loop from marked chunks to a sink (a file, memory), with the subtitles, the
C2PA signature and the progress events. Every surface that writes or returns whole audio goes through
`deliver`; streaming responses read the same marked chunks one by one."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from vocalis.audio import Audio
from vocalis.errors import VocalisError
from vocalis.service.encode import FileEncoder
from vocalis.service.request import format_of
from vocalis.subtitles import Cue, CueTracker, check_subtitle_path, write_subtitles

if TYPE_CHECKING:
    from vocalis.engine import Chunk
    from vocalis.trust.provenance import Credentials


@dataclass(frozen=True)
class RenderProgress:
    """How far a render is: characters of the text spoken so far, and seconds of audio made."""

    chars_done: int
    chars_total: int
    seconds: float

    @property
    def fraction(self) -> float:
        return min(self.chars_done / max(self.chars_total, 1), 1.0)


@dataclass(frozen=True)
class RenderResult:
    """What a render made: the audio when the sink keeps it (memory), where it went, and its cues."""

    seconds: float
    cues: list[Cue]
    credentials: Credentials | None
    audio: Audio | None = None
    path: Path | None = None


class Sink(Protocol):
    """Receives a render's marked chunks; `close(ok)` completes it (ok) or discards it."""

    def write(self, chunk: Chunk) -> None: ...

    def close(self, ok: bool, credentials: Credentials | None, cues: list[Cue]) -> None: ...


class MemorySink:
    """Keeps the audio (Python users, short API responses)."""

    def __init__(self) -> None:
        self._parts: list[Audio] = []
        self.audio: Audio | None = None

    def write(self, chunk: Chunk) -> None:
        self._parts.append(chunk.audio)

    def close(self, ok: bool, credentials: Credentials | None, cues: list[Cue]) -> None:
        if ok and self._parts:
            self.audio = Audio.concat(self._parts)
        self._parts = []


class FileSink:
    """Writes an audio file (its format by suffix, or `fmt`) and, optionally, its subtitles (.srt/.vtt). The
    paths are checked when the sink is made, before any model loads; the file appears whole, C2PA-signed
    in the formats that carry a manifest, or not at all."""

    def __init__(self, path: str | Path, fmt: str | None = None,
                 subtitles: str | Path | None = None, make_folders: bool = False):
        self.path = Path(path)
        self.format = fmt or format_of(self.path)
        self.subtitles = check_subtitle_path(subtitles, folder=False) if subtitles else None
        for target in filter(None, (self.path, self.subtitles)):
            if make_folders:
                target.parent.mkdir(parents=True, exist_ok=True)
            elif not target.parent.is_dir():
                raise VocalisError(f"cannot write {target}: folder {target.parent} does not exist")
            if not os.access(target.parent, os.W_OK):
                raise VocalisError(f"cannot write {target}: folder {target.parent} is not writable")
        self._credentials: Credentials | None = None
        self._file: FileEncoder | None = None  # opened on the first chunk: a refused request leaves no file

    def write(self, chunk: Chunk) -> None:
        if self._file is None:
            self._file = FileEncoder(self.path, self.format, chunk.audio.sample_rate, self._sign).__enter__()
        self._file.write(chunk.audio)

    def close(self, ok: bool, credentials: Credentials | None, cues: list[Cue]) -> None:
        self._credentials = credentials
        if self._file is not None:
            self._file.__exit__(None if ok else VocalisError, None, None)
        if ok and self.subtitles:
            write_subtitles(cues, self.subtitles)

    def save(self, audio: Audio, credentials: Credentials | None, cues: list[Cue] | None = None) -> None:
        """Write a whole audio already rendered and marked (a dubbed track), signed with `credentials`."""
        self._credentials = credentials
        with FileEncoder(self.path, self.format, audio.sample_rate, self._sign) as out:
            out.write(audio)
        if self.subtitles and cues is not None:
            write_subtitles(cues, self.subtitles)

    def _sign(self, tmp: Path) -> None:
        if self._credentials is not None:
            from vocalis.trust.provenance import sign_file

            sign_file(tmp, self._credentials)


def deliver(chunks: Iterator[Chunk], sink: Sink, chars_total: int,
            progress: Callable[[RenderProgress], None] | None = None) -> RenderResult:
    """Every chunk into `sink`, with a progress event after each; on any error (a cancel raised from
    `progress` too) the sink discards what it had."""
    done, samples, rate, credentials = 0, 0, 1, None
    cues = CueTracker()
    ok = False
    try:
        for chunk in chunks:
            sink.write(chunk)
            cues.add(chunk)
            credentials, rate = chunk.credentials, chunk.audio.sample_rate
            samples += len(chunk.audio.samples)
            if chunk.final:
                done += len(chunk.segment.text)
            if progress:
                progress(RenderProgress(min(done, chars_total), chars_total, samples / rate))
        ok = True
    finally:
        sink.close(ok, credentials, cues.cues)
    return RenderResult(samples / rate, cues.cues, credentials, getattr(sink, "audio", None),
                        getattr(sink, "path", None))
