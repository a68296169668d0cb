"""Exact durations: scale a segment's per-token frame counts to a target total."""

from __future__ import annotations

import numpy as np

from vocalis.acoustic.assets import FRAME
from vocalis.errors import DurationError, StretchError

# Kokoro renders 0.3-0.6 s of silence at each end of a segment: the leading boundary token, and the
# final punctuation with the closing boundary token. Fitted speech keeps at most this many frames
# (75 ms) at each end, so a fitted segment is speech from edge to edge: a dubbed line starts when its
# cue does and ends with it, and silence is not stretched along with the words. The leading silence
# is cut from the audio, not from the durations: rendered shorter, it swallows the first word ("The
# train" heard as "Rain").
EDGE_FRAMES = 3
# Kokoro also draws the last sound of a sentence out to 0.3-0.5 s, mostly fading into silence: fitted
# speech caps it here (200 ms), so that the fade is not stretched as well.
FINAL_FRAMES = 8
# The slowest a duration may stretch speech (4 times its natural length): a longer target is refused before
# anything decodes, since a render's time and memory grow with its length ("Hi there." in 600 s took 16 GB).
MIN_FIT_SPEED = 0.25


def trim_edges(durations: np.ndarray, tail: int = 1) -> np.ndarray:
    """Durations with each end's silence cut to EDGE_FRAMES: the leading token's, and that of the last
    `tail` tokens (the closing boundary token and the punctuation before it), one frame at least each;
    the last sound before them capped at FINAL_FRAMES."""
    out = np.asarray(durations, dtype=np.int64).copy()
    out[0] = min(out[0], EDGE_FRAMES)
    first = len(out) - tail
    out[first + 1:] = 1
    out[first] = max(1, min(out[first], EDGE_FRAMES - (tail - 1)))
    if first > 1:
        out[first - 1] = min(out[first - 1], FINAL_FRAMES)
    return out


def fit_durations(durations: np.ndarray, frames: int, tail: int = 1) -> np.ndarray:
    """Integer durations for a segment that must last exactly `frames` once `lead_cut` frames of its
    leading silence are dropped from the audio: both ends trimmed as `trim_edges` does (the leading one
    only in the audio, see EDGE_FRAMES), the tokens between scaled in proportion, at least one frame
    each. Rounding goes to the tokens with the largest remainders, so no token drifts by more than a
    frame and the pauses inside a segment keep their share of it."""
    lead = int(durations[0])
    d = trim_edges(durations, tail)
    inner = d[1:-tail].astype(np.float64)
    room = frames - d[0] - d[-tail:].sum()
    if room < len(inner):
        raise DurationError(f"{frames} frames cannot hold {len(inner)} phonemes: the target duration is too short")
    free = np.ones(len(inner), bool)
    while True:  # tokens that would get under one frame are pinned at one; the rest share what is left
        x = np.where(free, inner * (room - (~free).sum()) / max(inner[free].sum(), 1e-9), 1.0)
        short = free & (x < 1.0)
        if not short.any():
            break
        free &= ~short
    out = np.floor(x).astype(np.int64)
    out[np.argsort(out - x)[: room - out.sum()]] += 1  # largest remainders first
    return np.concatenate([[lead], out, d[-tail:]])


def lead_cut(durations: np.ndarray) -> int:
    """Frames of leading silence to drop from audio rendered with `fit_durations`' durations."""
    return max(int(durations[0]) - EDGE_FRAMES, 0)


def shortest_frames(durations: np.ndarray, tail: int = 1) -> int:
    """The fewest frames `fit_durations` can fit these durations into: one per inner token."""
    d = trim_edges(durations, tail)
    return int(d[0] + d[-tail:].sum() + len(d) - 1 - tail)


class DurationFit:
    """Where each segment's speech and pause end when the whole must last `total` samples: natural
    lengths stretched by one factor, boundaries rounded on the running total so errors never add up."""

    def __init__(self, total: int, natural: list[tuple[int, int, float]], sample_rate: int):
        ends, t = [], 0.0  # natural speech end and pause end of each segment, in samples
        for k, (frames, _, pause) in enumerate(natural):
            t += frames * FRAME
            speech_end = t
            t += 0.0 if k == len(natural) - 1 else pause * sample_rate
            ends.append((speech_end, t))
        # A segment cannot go below one frame per phoneme: the stretch that brings the tightest one there.
        least = max(shortest / frames for frames, shortest, _ in natural)
        if total < least * t:
            raise DurationError(f"{total / sample_rate:.2f} s is too short for this text: it needs at least "
                               f"{least * t / sample_rate:.2f} s (about {t / sample_rate:.1f} s at natural speed)")
        if total > t / MIN_FIT_SPEED:  # memory and time grow with the output: a bound before any decoding
            raise StretchError(f"{total / sample_rate:.1f} s is far beyond what this text needs: it reads in about "
                               f"{t / sample_rate:.1f} s at natural speed; give {least * t / sample_rate:.2f} to "
                               f"{t / MIN_FIT_SPEED / sample_rate:.1f} s (speed {MIN_FIT_SPEED} to "
                               f"{1 / least:.1f} times natural), or add text", int(t / MIN_FIT_SPEED))
        self.stretch = total / t
        self.speed = t / total
        self.total = total
        self._ends = ends
        self._shortest = [shortest for _, shortest, _ in natural]

    def frames(self, k: int) -> int:
        prev = 0.0 if k == 0 else self._ends[k - 1][1] * self.stretch
        frames = round((self._ends[k][0] * self.stretch - round(prev)) / FRAME)
        return max(frames, self._shortest[k])

    def pause(self, k: int, position: int) -> int:
        """Samples of pause after segment k, whose speech ends at `position`. The last segment's pads or
        trims the whole to exactly `total` (under a frame); a middle one never goes below zero."""
        if k == len(self._ends) - 1:
            return self.total - position
        return max(round(self._ends[k][1] * self.stretch) - position, 0)
