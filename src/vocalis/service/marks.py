"""The trust stage around the engine's chunks: every chunk watermarked (Perth's presence mark and the id of
the request's audit record), the request appended to the audit log when its stream ends, and what a file
or response is C2PA-signed with.

The mark id is explicit: by default a fresh random one per request (one audit record each), or the one an
engine was built with (`Vocalis(mark_id=...)`, or `VOCALIS_MARK_ID` for a process), which makes outputs
reproducible bit for bit, as tests need."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from vocalis.audio import Audio, to_pcm16
from vocalis.trust.provenance import Credentials

if TYPE_CHECKING:
    from vocalis.engine import Chunk
    from vocalis.voice import Voice

# What made the audio, as the audit log and the C2PA manifest name it.
MODEL = "Kokoro-82M int8 (hexgrad, Apache-2.0) through Vocalis"
MARK_ID_ENV = "VOCALIS_MARK_ID"


def fixed_mark_id() -> int | None:
    """The process's fixed mark id ($VOCALIS_MARK_ID), if one is set."""
    value = os.environ.get(MARK_ID_ENV)
    return int(value) if value else None


def on_record(chunks: Iterator[Chunk], event: str, voice: Voice, text: str, params: dict[str, Any],
              who: str | None, mark_id: int | None = None, marked: bool = False) -> Iterator[Chunk]:
    """Marks each chunk (unless `marked`: done where they were rendered, with `mark_id`) and, once the stream is
    over (finished, failed or dropped), appends it to the audit log. A generator: nothing is recorded for a stream
    never started."""
    from vocalis.trust.audit import AuditLog, local_user

    log = AuditLog()
    mark_id = log.new_mark_id() if mark_id is None else mark_id
    digest = hashlib.sha256()
    complete = False
    try:
        for chunk in chunks if marked else with_marks(chunks, voice, mark_id):
            digest.update(to_pcm16(chunk.audio.samples).tobytes())
            yield chunk
        complete = True
    finally:
        log.append(event, who or local_user(), voice=voice.name, voice_id=voice.id, text=text,
                   params={**params, "complete": complete}, output_sha256=digest.hexdigest(), mark_id=mark_id)


def with_marks(chunks: Iterator[Chunk], voice: Voice, mark_id: int) -> Iterator[Chunk]:
    """Each chunk watermarked with `mark_id` and credited (a chunk's marks depend on it alone)."""
    from vocalis.trust.watermark import mark

    credentials = Credentials(voice=voice.name, voice_id=voice.id, model=MODEL, watermark_id=mark_id)
    for chunk in chunks:
        samples = mark(chunk.audio.samples, chunk.audio.sample_rate, mark_id)
        yield replace(chunk, audio=Audio(samples, chunk.audio.sample_rate), credentials=credentials)
