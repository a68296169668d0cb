"""Forced alignment of a transcript's phoneme tokens to a recording, by dynamic time warping.

Kokoro reads the transcript (in the voice training starts from), which gives each token's frames in
the rendering; DTW on cepstra (normalised per utterance, so the two voices' colours cancel) maps the
rendering's frames onto the recording's, and each token boundary moves with it. Measured against
Whisper's word timestamps in `bench/train_voice.py`."""

from __future__ import annotations

import numpy as np

from vocalis.acoustic.assets import FRAME, SAMPLE_RATE

HOP = FRAME // 2


def cepstra(samples: np.ndarray) -> np.ndarray:
    """MFCC 1-19 with deltas, mean and variance normalised: [38, 2 * frames] at the curves' hop."""
    import librosa

    mfcc = librosa.feature.mfcc(y=samples, sr=SAMPLE_RATE, n_mfcc=20, n_fft=4 * HOP, hop_length=HOP, n_mels=40)[1:]
    feats = np.concatenate([mfcc, librosa.feature.delta(mfcc, width=5)])
    return (feats - feats.mean(axis=1, keepdims=True)) / (feats.std(axis=1, keepdims=True) + 1e-5)


def align(rendered: np.ndarray, durations: np.ndarray, recording: np.ndarray) -> np.ndarray:
    """Frames per token in `recording` (int64, each >= 1, summing to len(recording) // FRAME), given a
    rendering of the same tokens and its `durations`."""
    import librosa

    total = len(recording) // FRAME
    if total < len(durations):
        raise ValueError("the recording is shorter than one frame per phoneme")
    x, y = cepstra(rendered), cepstra(recording[: total * FRAME])
    _, path = librosa.sequence.dtw(X=x, Y=y, metric="euclidean", backtrack=True)
    path = path[::-1]  # (rendered half-frame, recording half-frame), in time order
    first_match = np.full(x.shape[1], y.shape[1] - 1)
    for i, j in path:  # where each rendered half-frame first lands in the recording
        first_match[i] = min(first_match[i], j)
    bounds = 2 * np.cumsum(durations)[:-1]  # token starts in the rendering, half-frames
    starts = np.round(first_match[np.minimum(bounds, x.shape[1] - 1)] / 2).astype(np.int64)
    return durations_from_bounds(starts, total)


def durations_from_bounds(starts: np.ndarray, total: int) -> np.ndarray:
    """Token lengths from the starts of tokens 1..n-1 (token 0 starts at 0), each at least one frame."""
    n = len(starts) + 1
    bounds = np.concatenate([[0], starts, [total]]).astype(np.int64)
    for k in range(1, n):  # forwards: every token at least one frame
        bounds[k] = max(bounds[k], bounds[k - 1] + 1)
    for k in range(n - 1, 0, -1):  # backwards: room for the tokens after it
        bounds[k] = min(bounds[k], bounds[k + 1] - 1)
    return np.diff(bounds)

