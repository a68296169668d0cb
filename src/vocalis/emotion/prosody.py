"""From an emotion to what changes in the sound: pitch level and range, tempo, loudness, vocal effort.

Each of the 8 emotions is a row of acoustic changes relative to the voice's own neutral delivery, set
from the vocal-emotion literature (rules, no emotional recordings): Banse & Scherer (1996), Juslin &
Laukka (2003, review of 104 studies), Scherer (2003). In short: anger and joy raise pitch, loudness
and high-frequency energy (vocal effort) and speed up; anger most in loudness and effort, joy and
surprise most in pitch and its range; fear raises pitch with a fast, tremulous voice; sadness,
melancholy and tenderness (calm) lower pitch, narrow its range, slow down and soften; disgust is low
and slow. Intensities mix the rows (a sum, rescaled when the intensities add up to more than 1), then
the emotion's weight scales the result. Timbre (who is speaking) is never touched: the changes act
on the F0 curve, the durations and the output level and tilt.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from vocalis.emotion.vector import EMOTIONS, Emotion

if TYPE_CHECKING:
    from vocalis.acoustic.stages import Prosody


@dataclass(frozen=True)
class ProsodyShift:
    """Changes relative to neutral delivery; the zero shift changes nothing."""

    pitch_st: float = 0.0  # F0 level, semitones
    pitch_range: float = 1.0  # factor on F0 excursions around the segment's mean (log scale)
    rate: float = 1.0  # tempo factor on durations and pauses (> 1 faster)
    loudness_db: float = 0.0  # output level
    effort_db: float = 0.0  # high-frequency emphasis above EFFORT_HZ (spectral tilt of vocal effort)
    tremor_st: float = 0.0  # depth of a TREMOR_HZ pitch tremor (a shaking, fearful voice)

    @property
    def is_zero(self) -> bool:
        return self == ProsodyShift()


# Full-intensity rows, in EMOTIONS order. Columns as in ProsodyShift; ratios are mixed in log space.
ROWS: dict[str, ProsodyShift] = {
    # Joy: the widest, highest pitch with moderate effort; studies disagree on its tempo, so it keeps the
    # voice's own. Anger is the loud, effortful one with a smaller pitch rise (Banse & Scherer's hot anger).
    "happy": ProsodyShift(pitch_st=4.0, pitch_range=1.5, rate=1.0, loudness_db=1.5, effort_db=1.0),
    "angry": ProsodyShift(pitch_st=2.0, pitch_range=1.15, rate=1.08, loudness_db=7.0, effort_db=7.0),
    "sad": ProsodyShift(pitch_st=-1.5, pitch_range=0.6, rate=0.82, loudness_db=-5.0, effort_db=-4.0),
    "afraid": ProsodyShift(pitch_st=4.0, pitch_range=0.9, rate=1.15, loudness_db=0.0, effort_db=1.0,
                           tremor_st=0.6),
    "disgusted": ProsodyShift(pitch_st=-2.0, pitch_range=1.1, rate=0.85, loudness_db=-1.0, effort_db=1.0),
    "melancholic": ProsodyShift(pitch_st=-2.5, pitch_range=0.5, rate=0.78, loudness_db=-6.0, effort_db=-5.0),
    # Surprise: high, very wide pitch and drawn-out vowels.
    "surprised": ProsodyShift(pitch_st=5.0, pitch_range=1.8, rate=0.92, loudness_db=2.0, effort_db=1.0),
    "calm": ProsodyShift(pitch_st=-1.0, pitch_range=0.75, rate=0.9, loudness_db=-3.0, effort_db=-3.0),
}
assert tuple(ROWS) == EMOTIONS

EFFORT_HZ = 1000.0
TREMOR_HZ = 7.0
F0_RATE = 80.0  # F0 values per second (two per 25 ms frame)
_MIN_VOICED_HZ = 40.0
_PEAK = 0.98  # output peaks above this are compressed, not clipped


def prosody_shift(emotion: Emotion | None) -> ProsodyShift:
    """The acoustic changes an emotion asks for."""
    if emotion is None or emotion.is_neutral:
        return ProsodyShift()
    v = emotion.vector.astype(np.float64)
    v = v / max(1.0, v.sum()) * emotion.weight
    rows = list(ROWS.values())

    def mix(get, log: bool = False) -> float:
        values = np.array([get(r) for r in rows], np.float64)
        return float(np.exp(v @ np.log(values))) if log else float(v @ values)

    return ProsodyShift(
        pitch_st=mix(lambda r: r.pitch_st),
        pitch_range=mix(lambda r: r.pitch_range, log=True),
        rate=mix(lambda r: r.rate, log=True),
        loudness_db=mix(lambda r: r.loudness_db),
        effort_db=mix(lambda r: r.effort_db),
        tremor_st=mix(lambda r: r.tremor_st),
    )


def shift_pitch(prosody: Prosody, shift: ProsodyShift) -> Prosody:
    """Level, range and tremor on the voiced part of the F0 curve; unvoiced frames stay as they are."""
    if shift.pitch_st == 0 and shift.pitch_range == 1 and shift.tremor_st == 0:
        return prosody
    f0 = prosody.f0.astype(np.float64)
    plausible = f0 > _MIN_VOICED_HZ
    if not plausible.any():
        return prosody
    voiced = plausible & (f0 > 0.5 * np.median(f0[plausible]))  # the predictor's unvoiced frames sink to 0
    log_f0 = np.log(f0[voiced])
    centre = log_f0.mean()
    semis = shift.pitch_st + shift.tremor_st * np.sin(2 * np.pi * TREMOR_HZ / F0_RATE * np.flatnonzero(voiced))
    out = f0.copy()
    out[voiced] = np.exp(centre + (log_f0 - centre) * shift.pitch_range + semis * np.log(2) / 12)
    return replace(prosody, f0=out.astype(np.float32))


def shape_level(samples: np.ndarray, sample_rate: int, shift: ProsodyShift) -> np.ndarray:
    """Vocal effort (tilt above EFFORT_HZ, loudness kept) and then the loudness change."""
    if shift.effort_db == 0 and shift.loudness_db == 0 or not len(samples):
        return samples
    x = samples.astype(np.float64)
    if shift.effort_db:
        from scipy import signal  # ~1 s to import: only renders with an emotion need it

        sos = signal.butter(2, EFFORT_HZ, fs=sample_rate, output="sos")
        low = signal.sosfiltfilt(sos, x) if len(x) > 30 else x
        tilted = low + (x - low) * 10 ** (shift.effort_db / 20)
        x = tilted * np.sqrt((x @ x) / max(tilted @ tilted, 1e-12))
    x *= 10 ** (shift.loudness_db / 20)
    # A soft knee instead of clipping: loud (angry) speech may push peaks past full scale.
    peak = np.abs(x)
    over = peak > _PEAK
    x[over] = np.sign(x[over]) * (_PEAK + (1 - _PEAK) * np.tanh((peak[over] - _PEAK) / (1 - _PEAK)))
    return x.astype(np.float32)
