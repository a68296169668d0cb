"""What the emotion evaluation measures of a clip, real or synthetic: its eGeMAPSv02 functionals (openSMILE, 88
features) and active-speech level, and from those the size of each emotion against neutral delivery.

Speaker normalisation (see vocalis.eval.emotion_judge) judges the *pattern* of an emotion, not its size: a voice
whose angry render differs from its neutral one by a hair is stretched to unit scale like one that shouts. The size
is reported separately, on the same footing for real speech and synthesis: median F0 in semitones, active-speech
level in dB and voiced segments per second, each emotion against the same speaker's (or voice's) neutral delivery.
"""

from __future__ import annotations

import functools
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from vocalis.audio import Audio
from vocalis.errors import VocalisError

if TYPE_CHECKING:  # openSMILE loads only when a clip is measured
    import opensmile

CATEGORIES = ("neutral", "happy", "angry", "sad", "surprised")
EMOTIONAL = CATEGORIES[1:]

FEATURE_RATE = 16_000  # real and synthetic speech alike are resampled to this before anything is measured
F0_MEDIAN = "F0semitoneFrom27.5Hz_sma3nz_percentile50.0"
VOICED_RATE = "VoicedSegmentsPerSec"
# Active speech: 20 ms frames within ACTIVE_DB of the clip's loud frames (95th percentile). Leading and
# trailing silence is cut to the active span plus TRIM_PAD_S before the functionals, because recordings
# carry silences the synthesis doesn't, and level, voiced-segment rate and loudness means all count them.
FRAME_S = 0.02
ACTIVE_DB = 30.0
TRIM_PAD_S = 0.1


# ---------------------------------------------------------------- features


@functools.cache
def _smile() -> opensmile.Smile:
    import opensmile

    return opensmile.Smile(feature_set=opensmile.FeatureSet.eGeMAPSv02,
                           feature_level=opensmile.FeatureLevel.Functionals)


def feature_names() -> list[str]:
    return list(_smile().feature_names)


@dataclass(frozen=True)
class Measures:
    """What is measured of one clip: the eGeMAPS functionals and the active-speech level."""

    features: np.ndarray  # [88], in feature_names() order
    level_db: float  # mean power of the active frames, dB re full scale
    speech_s: float  # trimmed duration

    def feature(self, name: str) -> float:
        return float(self.features[feature_names().index(name)])


def _frame_db(samples: np.ndarray) -> np.ndarray:
    n = round(FRAME_S * FEATURE_RATE)
    frames = samples[: len(samples) // n * n].astype(np.float64).reshape(-1, n)
    return 10 * np.log10(np.mean(frames**2, axis=1) + 1e-12)


def measure(audio: Audio) -> Measures:
    """eGeMAPS functionals and level of `audio`, at 16 kHz, leading and trailing silence cut."""
    samples = audio.resample(FEATURE_RATE).samples.astype(np.float32)
    db = _frame_db(samples)
    if not len(db):
        raise VocalisError(f"a clip of {audio.duration:.2f} s is too short to measure")
    active = db >= np.percentile(db, 95) - ACTIVE_DB
    first, last = np.flatnonzero(active)[[0, -1]]
    n, pad = round(FRAME_S * FEATURE_RATE), round(TRIM_PAD_S * FEATURE_RATE)
    trimmed = samples[max(first * n - pad, 0): (last + 1) * n + pad]
    level = 10 * math.log10(float(np.mean(10 ** (db[active] / 10))))
    features = _smile().process_signal(trimmed, FEATURE_RATE).to_numpy(np.float64)[0]
    return Measures(features, level, len(trimmed) / FEATURE_RATE)


# ---------------------------------------------------------------- acoustic direction


def acoustic_shifts(measures: Sequence[Measures], categories: Sequence[str], groups: Sequence[str],
                    with_duration: bool = False) -> dict:
    """Each emotion against the same group's neutral clips: median F0 (semitones), level (dB),
    voiced segments per second (%), and with `with_duration` (only meaningful when every category
    reads the same sentences) trimmed duration (%). Per group, and the median over groups."""
    per_group: dict[str, dict] = {}
    for g in sorted(set(groups)):
        of = defaultdict(list)
        for m, c, gg in zip(measures, categories, groups, strict=True):
            if gg == g:
                of[c].append(m)
        if not of["neutral"]:
            continue
        base = _means(of["neutral"])
        per_group[g] = {}
        for e in EMOTIONAL:
            if of[e]:
                now = _means(of[e])
                shift = {"f0_st": now["f0"] - base["f0"], "level_db": now["level"] - base["level"],
                         "rate_pct": 100 * (now["rate"] / base["rate"] - 1)}
                if with_duration:
                    shift["duration_pct"] = 100 * (now["duration"] / base["duration"] - 1)
                per_group[g][e] = shift
    keys = ("f0_st", "level_db", "rate_pct") + ("duration_pct",) * with_duration
    median = {e: {k: _median([s[e][k] for s in per_group.values() if e in s]) for k in keys} for e in EMOTIONAL}
    return {"per_group": per_group, "median": median}


def _means(measures: list[Measures]) -> dict[str, float]:
    return {"f0": float(np.mean([m.feature(F0_MEDIAN) for m in measures])),
            "level": float(np.mean([m.level_db for m in measures])),
            "rate": float(np.mean([m.feature(VOICED_RATE) for m in measures])),
            "duration": float(np.mean([m.speech_s for m in measures]))}


def _median(values: list[float]) -> float:
    return float(np.median(values)) if values else math.nan
