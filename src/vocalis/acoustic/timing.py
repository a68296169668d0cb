"""Exact durations: scale a segment's per-token frame counts to a target total."""

from __future__ import annotations

import numpy as np

from vocalis.errors import VocalisError

# Kokoro gives the boundary tokens 0.3-0.5 s of silence at each end of a segment. Fitted speech keeps
# at most this many frames of it (75 ms), so a fitted segment is speech from edge to edge: a dubbed
# line starts when its cue does, and the silence is not stretched along with the words. The leading
# silence is cut from the audio, not from the durations: rendered shorter, it swallows the first word
# ("The train" heard as "Rain").
EDGE_FRAMES = 3


def trim_edges(durations: np.ndarray) -> np.ndarray:
    """Durations with the two boundary tokens' silence cut to EDGE_FRAMES."""
    out = np.asarray(durations, dtype=np.int64).copy()
    out[[0, -1]] = np.minimum(out[[0, -1]], EDGE_FRAMES)
    return out


def fit_durations(durations: np.ndarray, frames: int) -> np.ndarray:
    """Integer durations for a segment that must last exactly `frames` once `lead_cut` frames of its
    leading silence are dropped from the audio: the boundary tokens trimmed as `trim_edges` does (the
    leading one only in the audio, see EDGE_FRAMES), the tokens between them scaled in proportion, at
    least one frame each. Rounding goes to the tokens with the largest remainders, so no token drifts by
    more than a frame and the pauses inside a segment keep their share of it."""
    lead = int(durations[0])
    d = trim_edges(durations)
    inner = d[1:-1].astype(np.float64)
    room = frames - d[0] - d[-1]
    if room < len(inner):
        raise VocalisError(f"{frames} frames cannot hold {len(inner)} phonemes: the target duration is too short")
    free = np.ones(len(inner), bool)
    while True:  # tokens that would get under one frame are pinned at one; the rest share what is left
        x = np.where(free, inner * (room - (~free).sum()) / max(inner[free].sum(), 1e-9), 1.0)
        short = free & (x < 1.0)
        if not short.any():
            break
        free &= ~short
    out = np.floor(x).astype(np.int64)
    out[np.argsort(out - x)[: room - out.sum()]] += 1  # largest remainders first
    return np.concatenate([[lead], out, d[-1:]])


def lead_cut(durations: np.ndarray) -> int:
    """Frames of leading silence to drop from audio rendered with `fit_durations`' durations."""
    return max(int(durations[0]) - EDGE_FRAMES, 0)


def shortest_frames(durations: np.ndarray) -> int:
    """The fewest frames `fit_durations` can fit these durations into: one per inner token."""
    d = trim_edges(durations)
    return int(d[0] + d[-1] + len(d) - 2)
