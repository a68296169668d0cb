"""The last pass of a video dub: the original soundtrack streamed through the mixer (ducked under each
spoken cue, the new line on top) into the muxer beside the copied video, written to a hidden file next to
the output, C2PA-signed, then moved into place, so the output is whole or absent."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from vocalis.audio import Audio
from vocalis.errors import VocalisError
from vocalis.media import MediaInfo, audio_blocks, mux_audio
from vocalis.service.mix import Line, mix
from vocalis.subtitles import Cue

if TYPE_CHECKING:
    from vocalis.service.dub_store import DubStore
    from vocalis.service.video_dub import Placement
    from vocalis.trust.provenance import Credentials


class DubCancelled(VocalisError):
    """The dub was cancelled: no output was written, and its work is gone."""


PROGRESS_S = 10.0  # the mixing pass reports (and checks for a cancel) every this many seconds of audio


def write_dubbed(info: MediaInfo, out: Path, placed: Sequence[Placement], cues: Sequence[Cue], rate: int,
                 store: DubStore, credentials: Credentials, keep_original: bool,
                 progress: Callable[[int, int], None], stop: Callable[[], bool]) -> bool:
    """Mix, mux and sign into `out`; True when the file carries a C2PA manifest."""
    from vocalis.trust.provenance import sign_file

    mix_rate = info.audio_rate
    lines = [_line(p, rate, mix_rate, store) for p in placed if p.length]
    windows = [(round(cues[p.index].start * mix_rate), round(cues[p.index].end * mix_rate)) for p in placed
               if p.length] + [(x.start, x.end) for x in lines]
    blocks = _watched(audio_blocks(info.path, mix_rate, info.audio_layout), mix_rate, info.duration, progress,
                      stop)
    partial = out.with_name(f".{out.stem}.partial{out.suffix}")
    try:
        mux_audio(info.path, partial, mix(blocks, mix_rate, windows, lines), mix_rate, info.audio_layout,
                  keep_original)
        signed = sign_file(partial, credentials)
        os.replace(partial, out)
    except OSError as e:
        raise VocalisError(f"cannot write {out}: {e.strerror or e}") from None
    finally:
        partial.unlink(missing_ok=True)
    return signed


def _line(placement: Placement, rate: int, mix_rate: int, store: DubStore) -> Line:
    """A placed line at the mix's rate, loaded from the store only when the mix reaches it."""
    up, down = mix_rate // math.gcd(rate, mix_rate), rate // math.gcd(rate, mix_rate)
    length = math.ceil(placement.length * up / down)

    def load() -> np.ndarray:
        samples, _speed = store.line(placement.index)
        resampled = Audio(samples, rate).resample(mix_rate).samples
        return np.pad(resampled, (0, max(length - len(resampled), 0)))[:length]

    return Line(round(placement.start * up / down), length, load)


def _watched(blocks: Iterator[np.ndarray], rate: int, duration: float, progress: Callable[[int, int], None],
             stop: Callable[[], bool]) -> Iterator[np.ndarray]:
    """The blocks, reporting whole seconds done of the total and stopping at a cancel."""
    total, done, reported = max(round(duration), 1), 0, 0.0
    for block in blocks:
        yield block
        done += block.shape[1]
        if done / rate - reported >= PROGRESS_S:
            reported = done / rate
            if stop():
                raise DubCancelled("dub cancelled")
            progress(min(round(reported), total), total)
    progress(total, total)
