"""Do synthesised Mandarin syllables carry their tones? Render tone minimal sets, track the pitch
of the output audio (pYIN, independent of the F0 we fed the decoder), and classify each syllable's
contour by the nearest Chao tone shape."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vocalis.acoustic.stages import FRAME
from vocalis.acoustic.tones import longest_run, syllable_frames

# Four syllables that differ only in tone (1, 2, 3, 4), read as a list.
MINIMAL_SETS = (
    "妈麻马骂",
    "汤糖躺烫",
    "八拔把爸",
    "衣姨椅意",
    "乌无五物",
    "通同桶痛",
    "夫服府富",
    "搭答打大",
    "呼壶虎户",
    "飞肥匪费",
    "鸡极几记",
    "哥格葛个",
)
# Chao shapes, mean-removed at comparison time: 55, 35, 214, 51 on five points in time.
_SHAPES = {
    1: np.array([5, 5, 5, 5, 5], float),
    2: np.array([3, 3, 3.7, 4.3, 5], float),
    3: np.array([2, 1.3, 1, 2, 4], float),
    4: np.array([5, 4, 3, 2, 1], float),
}
_ST_PER_LEVEL = 2.0
_LOUDNESS_SPAN_DB = 35.0  # semitones per Chao level when comparing to measured contours


@dataclass(frozen=True)
class ToneResult:
    text: str
    expected: int
    heard: int | None  # None: too few voiced frames to judge


def classify_contour(semitones: np.ndarray) -> int:
    """Nearest Chao tone shape to a contour in semitones (any length >= 3)."""
    x = np.interp(np.linspace(0, 1, 5), np.linspace(0, 1, len(semitones)), semitones)
    x = x - x.mean()
    dist = {t: np.sum((x - (s - s.mean()) * _ST_PER_LEVEL) ** 2) for t, s in _SHAPES.items()}
    return min(dist, key=dist.get)


def _bridge(mask: np.ndarray, gap: int) -> np.ndarray:
    """Close voicing dropouts of up to `gap` frames: pYIN flickers where pitch turns or dips low."""
    out = mask.copy()
    idx = np.flatnonzero(mask)
    for a, b in zip(idx[:-1], idx[1:], strict=True):
        if 1 < b - a <= gap + 1:
            out[a:b] = True
    return out


def syllable_contours(audio: np.ndarray, sample_rate: int, spans: list[tuple[int, int]]) -> list[np.ndarray | None]:
    """Semitone contours of the voiced part of each (start, end) sample span, by pYIN."""
    import librosa

    hop = FRAME // 2
    f0, voiced, _ = librosa.pyin(audio, fmin=50, fmax=500, sr=sample_rate, frame_length=4 * hop, hop_length=hop)
    # pYIN finds "pitch" in near-silence too: only frames within 35 dB of the loudest count.
    level = 20 * np.log10(librosa.feature.rms(y=audio, frame_length=4 * hop, hop_length=hop)[0] + 1e-9)
    voiced &= np.isfinite(f0) & (level > level.max() - _LOUDNESS_SPAN_DB)
    out = []
    for a, b in spans:
        seg = slice(a // hop, b // hop + 1)
        run = longest_run(_bridge(voiced[seg], 2))
        vals = f0[seg][run][voiced[seg][run]]
        # Onset and offset frames carry consonant and voicing transients, not the tone.
        trim = len(vals) // 10
        vals = vals[trim: len(vals) - trim]
        out.append(12 * np.log2(vals / np.median(vals)) if len(vals) >= 4 else None)
    return out


def evaluate(tts, voice=None, sets=MINIMAL_SETS) -> list[ToneResult]:
    """Render each minimal set as a list ("妈，麻，马，骂。") and judge every syllable's tone.
    A `Vocalis(tone_contours=False)` gives the model's own F0: the ablation."""
    results = []
    for chars in sets:
        text = "，".join(chars) + "。"
        for chunk in tts.stream(text, voice=voice, lang="zh"):
            syls = chunk.segment.syllables
            spans = [(FRAME * a, FRAME * b) for a, b in syllable_frames(chunk.prosody.durations, syls)]
            contours = syllable_contours(chunk.audio.samples, chunk.audio.sample_rate, spans)
            for s, c in zip(syls, contours, strict=True):
                results.append(ToneResult(s.pinyin, s.tone, None if c is None else classify_contour(c)))
    return results


def accuracy(results: list[ToneResult]) -> float:
    return sum(r.heard == r.expected for r in results) / max(len(results), 1)
