"""Mandarin tones on Kokoro's F0 curve.

Kokoro with the Japanese packs gives every tone mark the same pitch movement, so we impose the tone
contours ourselves: we know each syllable's tone (pinyin, after sandhi) and its frames (durations).
Each syllable's voiced F0 becomes a Chao-scale contour around the voice's own pitch level, with a
gentle declination over the segment. Unvoiced frames stay unvoiced; a short smoothing joins
neighbouring syllables without steps. Measured with bench/tones.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from vocalis.acoustic.stages import Prosody
    from vocalis.text import Segment, Syllable

# Chao tone letters as (relative time, level 1-5) points; level 3 is the speaker's mid pitch.
# Targets are reached a little before the vowel ends: its last frames fade and carry little pitch.
CONTOURS: dict[int, tuple[tuple[float, float], ...]] = {
    1: ((0.0, 5.0), (1.0, 5.0)),  # 55 high level
    2: ((0.0, 2.8), (0.2, 2.7), (0.9, 5.0), (1.0, 5.0)),  # 35 rising (a slight dip first, as speakers do)
    3: ((0.0, 2.0), (0.3, 0.5), (0.65, 0.3), (0.95, 3.5), (1.0, 3.5)),  # 214: fall, long low, rise
    4: ((0.0, 5.0), (0.9, 1.2), (1.0, 1.2)),  # 51 high falling
}
HALF_THIRD = ((0.0, 2.2), (1.0, 1.0))  # 21: a third tone before another syllable only falls low
# A neutral tone has no contour of its own: a short level pitch set by the preceding tone.
NEUTRAL_LEVEL = {1: 2.0, 2: 3.0, 3: 4.0, 4: 1.5, 5: 2.5}

SEMITONES_PER_LEVEL = 2.5  # levels 1..5 span 10 semitones, a typical speaking range
_MIN_VOICED_HZ = 40.0
_VOICED_RATIO = 0.5  # F0 below this share of the voice's median counts as unvoiced
T3_LENGTHEN = 1.5
_VOWELS = frozenset("aeiouyɤɚəɛɨʊɔɑœɥ")  # Mandarin phonemes (misaki's set) that can begin a rhyme
_ENERGY_SPAN = 1.5  # frames this far below a syllable's peak energy (the model's log scale) are fading
_DECLINATION_ST = 2.0  # pitch falls this many semitones over a segment, as in read speech
_JOIN_S = 0.03  # smoothing window that joins syllable contours
F0_RATE = 80.0  # F0 values per second (two per 25 ms frame)
_PHRASE_BREAKS = frozenset(",.!?;:—…")


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


def longest_run(mask: np.ndarray) -> np.ndarray:
    """Indices of the longest run of True: a syllable's vowel, not a stray voiced frame at its edge."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    if len(edges) == 0:
        return np.zeros(0, np.int64)
    starts, ends = edges[::2], edges[1::2]
    k = np.argmax(ends - starts)
    return np.arange(starts[k], ends[k])


def tone_contours(f0: np.ndarray, energy: np.ndarray, spans: Sequence[tuple[int, int, int, bool]]) -> np.ndarray:
    """F0 with Mandarin tones. `spans` are (first F0 index, end F0 index, tone, phrase_final) per
    syllable, in order. A contour spans the syllable's loud voiced frames: where the vowel fades,
    pitch is barely heard, so a contour laid there would be lost."""
    # The predictor's unvoiced frames sink towards 0 Hz; voiced speech stays within an octave or so
    # of the voice's median.
    plausible = f0 > _MIN_VOICED_HZ
    if not plausible.any():
        return f0
    voiced = plausible & (f0 > _VOICED_RATIO * np.median(f0[plausible]))
    # The key: the voice's mean log-F0 in this segment, with a gentle declination over it. The
    # model's own movement is dropped: with these packs it is Japanese pitch accent, not Mandarin.
    idx = np.arange(len(f0))
    filled = np.interp(idx, idx[voiced], np.log(f0[voiced]))
    first, last = idx[voiced][0], idx[voiced][-1]
    slope = _DECLINATION_ST * np.log(2) / 12 / max(last - first, 1)
    baseline = np.log(f0[voiced]).mean() - slope * (idx - (first + last) / 2)
    target = filled.copy()
    prev = 5
    for a, b, tone, phrase_final in spans:
        loud = longest_run(voiced[a:b] & (energy[a:b] > energy[a:b].max() - _ENERGY_SPAN)) + a
        if len(loud) < 2:
            prev = tone
            continue
        # Time runs over the loud frames; quieter voiced frames around them hold the end values.
        v = longest_run(voiced[a:b]) + a
        t = (v - loud[0]) / (loud[-1] - loud[0])
        times, levels = zip(*_contour(tone, prev, phrase_final), strict=True)
        semis = (np.interp(t, times, levels) - 3.0) * SEMITONES_PER_LEVEL
        target[v] = baseline[loud[len(loud) // 2]] + semis * np.log(2) / 12
        prev = tone
    joined = _smooth(target, _JOIN_S)
    return np.where(voiced, np.exp(joined), f0).astype(np.float32)


class MandarinTones:
    """The two prosody hooks for one segment: lengthen phrase-final third tones (the longest tone
    in careful speech; without room its dip and rise blur into a fall), then lay the contours on
    F0. Phoneme char i is token i + 1, after the leading boundary token."""

    def __init__(self, segment: Segment):
        self.phonemes = segment.phonemes
        self.syllables = segment.syllables
        nexts = [s.start for s in self.syllables[1:]] + [len(self.phonemes)]
        # A syllable followed by punctuation or the segment's end closes a phrase.
        self.final = [
            k == len(self.syllables) - 1 or any(c in _PHRASE_BREAKS for c in self.phonemes[s.end: nexts[k]])
            for k, s in enumerate(self.syllables)
        ]

    def durations(self, durations: np.ndarray) -> np.ndarray:
        out = durations.copy()
        for s, final in zip(self.syllables, self.final, strict=True):
            if s.tone == 3 and final:
                rhyme = s.start + 1 + (self.phonemes[s.start] not in _VOWELS)  # skip the initial consonant
                out[rhyme: s.end + 1] = np.round(out[rhyme: s.end + 1] * T3_LENGTHEN)
        return out

    def prosody(self, prosody: Prosody) -> Prosody:
        frames = syllable_frames(prosody.durations, self.syllables)
        spans = [(2 * a, 2 * b, s.tone, f) for (a, b), s, f in zip(frames, self.syllables, self.final, strict=True)]
        return replace(prosody, f0=tone_contours(prosody.f0, prosody.energy, spans))


def syllable_frames(durations: np.ndarray, syllables: Sequence[Syllable]) -> list[tuple[int, int]]:
    """(first frame, end frame) of each syllable. Phoneme char i is token i + 1: the model's input
    starts with a boundary token."""
    ends = np.cumsum(durations)
    starts = ends - durations
    return [(int(starts[s.start + 1]), int(ends[s.end])) for s in syllables]


def voice_f0(prosody: Prosody, tones: MandarinTones | None, pitch_scale: float) -> Prosody:
    """A voice's F0 for one segment: Mandarin tone contours (`tones`, None outside Mandarin), then the
    voice's pitch level (scaling keeps the contours' shape)."""
    if tones is not None:
        prosody = tones.prosody(prosody)
    if pitch_scale != 1.0:
        prosody = replace(prosody, f0=prosody.f0 * np.float32(pitch_scale))
    return prosody
