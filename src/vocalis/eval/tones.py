"""Do synthesised Mandarin syllables carry their tones? Render tone minimal sets, track the pitch
of the output audio (pYIN, independent of the F0 we fed the decoder), and classify each syllable's
contour by the nearest Chao tone shape."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vocalis.acoustic.stages import FRAME

# Four syllables that differ only in tone (1, 2, 3, 4), read as a list.
MINIMAL_SETS = (
    "妈麻马骂", "汤糖躺烫", "八拔把爸", "衣姨椅意", "乌无五物", "通同桶痛",
    "夫服府富", "搭答打大", "呼壶虎户", "飞肥匪费", "鸡极几记", "哥格葛个",
)
# Chao shapes, mean-removed at comparison time: 55, 35, 214, 51 on five points in time.
_SHAPES = {
    1: np.array([5, 5, 5, 5, 5], float),
    2: np.array([3, 3, 3.7, 4.3, 5], float),
    3: np.array([2, 1.3, 1, 2, 4], float),
    4: np.array([5, 4, 3, 2, 1], float),
}
_ST_PER_LEVEL = 2.0  # semitones per Chao level when comparing to measured contours


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


def syllable_contours(audio: np.ndarray, sample_rate: int, spans: list[tuple[int, int]]) -> list[np.ndarray | None]:
    """Semitone contours of the voiced part of each (start, end) sample span, by pYIN."""
    import librosa

    hop = FRAME // 2
    f0, voiced, _ = librosa.pyin(audio, fmin=50, fmax=500, sr=sample_rate, frame_length=4 * hop, hop_length=hop)
    out = []
    for a, b in spans:
        seg_f0, seg_v = f0[a // hop: b // hop + 1], voiced[a // hop: b // hop + 1]
        vals = seg_f0[seg_v & np.isfinite(seg_f0)]
        out.append(12 * np.log2(vals / np.median(vals)) if len(vals) >= 4 else None)
    return out


def evaluate(tts, voice=None, sets=MINIMAL_SETS) -> list[ToneResult]:
    """Render each minimal set as a list ("妈，麻，马，骂。") and judge every syllable's tone.
    A `Vocalis(tone_contours=False)` gives the model's own F0: the ablation."""
    results = []
    for chars in sets:
        text = "，".join(chars) + "。"
        for chunk in tts.stream(text, voice=voice, lang="zh"):
            ends = np.cumsum(chunk.prosody.durations)
            starts = ends - chunk.prosody.durations
            syls = chunk.segment.syllables
            spans = [(FRAME * starts[s.start + 1], FRAME * ends[s.end]) for s in syls]
            contours = syllable_contours(chunk.audio.samples, chunk.audio.sample_rate, spans)
            for s, c in zip(syls, contours, strict=True):
                results.append(ToneResult(s.pinyin, s.tone, None if c is None else classify_contour(c)))
    return results


def accuracy(results: list[ToneResult]) -> float:
    return sum(r.heard == r.expected for r in results) / max(len(results), 1)
