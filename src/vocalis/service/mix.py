"""The dubbed soundtrack, a block at a time: the original ducked under each cue (short fades either side,
so the music and effects come back between lines) with the new line laid on top in every channel.

No separation model ships offline, so the original dialogue is turned down rather than removed: at -30 dB
it sits under the new line like a room's echo, and the listener (and Whisper) hear the new line."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

DUCK_DB = -30.0
FADE_S = 0.08  # ramps before and after each window: short enough to leave the next line's music alone
TAIL_BLOCK = 4096  # samples per block after the original ends (a last line that runs past it)


@dataclass(frozen=True)
class Line:
    """A new line at the mix's rate: its first sample and length, and how to fetch its audio (from disk,
    when the mix reaches it: a film's lines are never all in memory)."""

    start: int
    length: int
    load: Callable[[], np.ndarray]

    @property
    def end(self) -> int:
        return self.start + self.length


def merge_windows(windows: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, overlapping or touching windows merged into one."""
    merged: list[list[int]] = []
    for a, b in sorted(windows):
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return [(a, b) for a, b in merged]


def mix(blocks: Iterable[np.ndarray], rate: int, windows: Sequence[tuple[int, int]], lines: Sequence[Line],
        duck_db: float = DUCK_DB) -> Iterator[np.ndarray]:
    """`blocks` ((channels, n) float32, the original from its start) with the windows ducked and the lines
    added; then, past the original's end, whatever of the lines is left."""
    floor, fade = 10 ** (duck_db / 20), max(int(FADE_S * rate), 1)
    windows = merge_windows(windows)
    lines = sorted(lines, key=lambda x: x.start)
    at, channels = 0, 1
    loaded: dict[int, np.ndarray] = {}
    for block in blocks:
        channels, n = block.shape
        out = block * (1 - (1 - floor) * _ducking(at, n, windows, fade))
        yield np.clip(out + _lines(at, n, lines, loaded), -1.0, 1.0).astype(np.float32)
        at += n
    end = max((x.end for x in lines), default=0)
    while at < end:
        n = min(TAIL_BLOCK, end - at)
        yield np.repeat(np.clip(_lines(at, n, lines, loaded), -1, 1)[None, :], channels, axis=0).astype(np.float32)
        at += n


def _ducking(at: int, n: int, windows: Sequence[tuple[int, int]], fade: int) -> np.ndarray:
    """How far each sample of [at, at + n) is ducked, 0 (not) to 1 (fully): 1 inside a window, ramping
    over `fade` samples before and after it."""
    t = np.arange(at, at + n)
    depth = np.zeros(n)
    first = bisect.bisect_right(windows, at - fade, key=lambda w: w[1])  # merged windows: ends ascend too
    for a, b in windows[first:]:
        if a - fade >= at + n:
            break
        ramp_in = np.clip((t - (a - fade)) / fade, 0, 1)
        ramp_out = np.clip(((b + fade) - t) / fade, 0, 1)
        depth = np.maximum(depth, np.minimum(ramp_in, ramp_out))
    return depth


def _lines(at: int, n: int, lines: Sequence[Line], loaded: dict[int, np.ndarray]) -> np.ndarray:
    """The lines' samples in [at, at + n); a line is loaded when first reached and dropped once passed."""
    out = np.zeros(n, np.float32)
    first = bisect.bisect_right(lines, at, key=lambda x: x.end)  # lines never overlap: ends ascend too
    for k in [k for k in loaded if k < first]:
        del loaded[k]
    for k in range(first, len(lines)):
        line = lines[k]
        if line.start >= at + n:
            break
        if k not in loaded:
            loaded[k] = line.load()
        lo, hi = max(line.start, at), min(line.end, at + n)
        out[lo - at:hi - at] += loaded[k][lo - line.start:hi - line.start]
    return out
