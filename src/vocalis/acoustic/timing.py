"""Exact durations: scale a segment's per-token frame counts to a target total."""

from __future__ import annotations

import numpy as np

from vocalis.errors import VocalisError


def fit_durations(durations: np.ndarray, frames: int) -> np.ndarray:
    """Integer durations summing to exactly `frames`, proportional to `durations`, at least one frame
    per token. Rounding goes to the tokens with the largest remainders, so no token drifts by more
    than a frame and pauses keep their share of the segment."""
    d = np.asarray(durations, dtype=np.float64)
    if frames < len(d):
        raise VocalisError(f"{frames} frames cannot hold {len(d)} phonemes: the target duration is too short")
    free = np.ones(len(d), bool)
    while True:  # tokens that would get under one frame are pinned at one; the rest share what is left
        x = np.where(free, d * (frames - (~free).sum()) / max(d[free].sum(), 1e-9), 1.0)
        short = free & (x < 1.0)
        if not short.any():
            break
        free &= ~short
    out = np.floor(x).astype(np.int64)
    out[np.argsort(out - x)[: frames - out.sum()]] += 1  # largest remainders first
    return out
