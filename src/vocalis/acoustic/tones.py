"""Mandarin tones on Kokoro's F0 curve.

Kokoro with the Japanese packs gives every tone mark the same pitch movement, so we impose the tone
contours ourselves: we know each syllable's tone (pinyin, after sandhi) and its frames (durations).
Each syllable's voiced F0 becomes a Chao-scale contour laid over a heavily smoothed copy of the
model's own curve, which keeps the voice's pitch level and the phrase's declination. Unvoiced frames
stay unvoiced; a short smoothing joins neighbouring syllables without steps.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from vocalis.acoustic.stages import Prosody
    from vocalis.text import Syllable

# Chao tone letters as (relative time, level 1-5) points; level 3 is the speaker's mid pitch.
CONTOURS: dict[int, tuple[tuple[float, float], ...]] = {
    1: ((0.0, 5.0), (1.0, 5.0)),  # 55 high level
    2: ((0.0, 3.0), (0.3, 2.8), (1.0, 5.0)),  # 35 rising (a slight dip first, as speakers do)
    3: ((0.0, 2.5), (0.55, 1.0), (1.0, 3.5)),  # 214 dipping (phrase-final, full form)
    4: ((0.0, 5.0), (1.0, 1.2)),  # 51 high falling
}
HALF_THIRD = ((0.0, 2.2), (1.0, 1.0))  # 21: a third tone before another syllable only falls low
# A neutral tone has no contour of its own: a short level pitch set by the preceding tone.
NEUTRAL_LEVEL = {1: 2.0, 2: 3.0, 3: 4.0, 4: 1.5, 5: 2.5}

SEMITONES_PER_LEVEL = 2.5  # levels 1..5 span 10 semitones, a typical speaking range
_VOICED_RATIO = 0.35  # F0 below this share of the voice's median counts as unvoiced
_BASELINE_S = 0.6  # smoothing window that keeps phrase intonation but removes syllable movement
_JOIN_S = 0.03  # smoothing window that joins syllable contours
F0_RATE = 80.0  # F0 values per second (two per 25 ms frame)


def _contour(tone: int, prev_tone: int, phrase_final: bool) -> tuple[tuple[float, float], ...]:
    if tone == 5:
        level = NEUTRAL_LEVEL.get(prev_tone, 2.5)
        return ((0.0, level), (1.0, level - 0.3))
    if tone == 3 and not phrase_final:
        return HALF_THIRD
    return CONTOURS[tone]


def _smooth(x: np.ndarray, seconds: float) -> np.ndarray:
    n = max(1, int(seconds * F0_RATE) | 1)
    pad = np.pad(x, n // 2, mode="edge")
    return np.convolve(pad, np.ones(n) / n, mode="valid")


def tone_contours(f0: np.ndarray, spans: Sequence[tuple[int, int, int]]) -> np.ndarray:
    """F0 with Mandarin tones. `spans` are (first F0 index, end F0 index, tone) per syllable, in
    order; a syllable followed by a gap (pause or punctuation) of 4+ F0 values ends a phrase."""
    voiced = f0 > _VOICED_RATIO * np.median(f0[f0 > 1.0]) if np.any(f0 > 1.0) else np.zeros(len(f0), bool)
    if not voiced.any():
        return f0
    logf0 = np.log(np.where(voiced, f0, 1.0))
    # Baseline: smoothed log-F0 of voiced frames, interpolated through unvoiced ones.
    idx = np.arange(len(f0))
    filled = np.interp(idx, idx[voiced], logf0[voiced])
    baseline = _smooth(filled, _BASELINE_S)
    target = filled.copy()
    prev = 5
    for k, (a, b, tone) in enumerate(spans):
        v = np.flatnonzero(voiced[a:b]) + a
        if len(v) < 2:
            prev = tone
            continue
        nxt = spans[k + 1][0] if k + 1 < len(spans) else len(f0)
        points = _contour(tone, prev, phrase_final=nxt - b >= 4)
        t = (v - v[0]) / max(v[-1] - v[0], 1)
        times, levels = zip(*points, strict=True)
        semis = (np.interp(t, times, levels) - 3.0) * SEMITONES_PER_LEVEL
        target[v] = baseline[v] + semis * np.log(2) / 12
        prev = tone
    joined = _smooth(target, _JOIN_S)
    return np.where(voiced, np.exp(joined), f0).astype(np.float32)


def tone_editor(syllables: Sequence[Syllable]) -> Callable[[Prosody], Prosody]:
    """A prosody hook that imposes the syllables' tones (phoneme char i is token i + 1, after the
    leading boundary token)."""

    def edit(prosody: Prosody) -> Prosody:
        ends = np.cumsum(prosody.durations)
        starts = ends - prosody.durations
        spans = [(2 * starts[s.start + 1], 2 * ends[s.end], s.tone) for s in syllables]
        return replace(prosody, f0=tone_contours(prosody.f0, spans))

    return edit
