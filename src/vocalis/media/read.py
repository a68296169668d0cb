"""A media file's first audio track, decoded a piece at a time."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from vocalis.audio import Audio
from vocalis.errors import VocalisError

if TYPE_CHECKING:
    import av


def read_window(path: str | Path, start: float, end: float, sample_rate: int = 16_000) -> Audio:
    """The audio between `start` and `end` seconds, mono at `sample_rate`: seeks, then decodes only what
    the window needs (a cue's window in a two-hour film costs what the cue costs)."""
    import av

    first, last = round(start * sample_rate), round(end * sample_rate)
    parts, have = [], first
    try:
        with av.open(str(path)) as container:
            stream = container.streams.audio[0]
            # Seeking lands on a packet at or before `start`; the samples before it are dropped below.
            container.seek(max(int(start / stream.time_base) - 1, 0), stream=stream, backward=True)
            resampler = av.AudioResampler(format="fltp", layout="mono", rate=sample_rate)
            for frame in _frames(container, stream, resampler):
                at = round(float(frame.pts * frame.time_base) * sample_rate) if frame.pts is not None else have
                samples = frame.to_ndarray()[0]
                lo, hi = max(first - at, 0), min(last - at, len(samples))
                if hi > lo:
                    parts.append(samples[lo:hi])
                have = at + len(samples)
                if have >= last:
                    break
    except av.FFmpegError as e:
        raise VocalisError(f"cannot read the audio of {Path(path).name}: {getattr(e, 'strerror', e)}") from None
    window = np.concatenate(parts) if parts else np.zeros(0, np.float32)
    return Audio(np.pad(window, (0, max(last - first - len(window), 0)))[: last - first].astype(np.float32),
                 sample_rate)


def audio_blocks(path: str | Path, sample_rate: int, layout: str) -> Iterator[np.ndarray]:
    """The whole first audio track, start to end, as consecutive float32 blocks shaped (channels,
    samples), at `sample_rate` in `layout`: the mixer's input, never the whole track at once."""
    import av

    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="fltp", layout=layout, rate=sample_rate)
        for frame in _frames(container, stream, resampler):
            yield frame.to_ndarray().astype(np.float32, copy=False)


def _frames(container: av.container.InputContainer, stream: av.AudioStream,
            resampler: av.AudioResampler) -> Iterator[av.AudioFrame]:
    for frame in container.decode(stream):
        yield from resampler.resample(frame)
    yield from resampler.resample(None)
