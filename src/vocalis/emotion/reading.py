"""Reading the emotion of someone's speech in a window (a subtitle cue of a video, a rendered line).

The reading is the rule-based mapping of vocalis.emotion.from_audio (pitch level, pitch range and vocal effort
against neutral speech, explained by the emotions' acoustic rows), with two changes that fit no emotion label:

* a *baseline*: in a video the same actors speak many cues, so each window is compared with the actors' own
  typical prosody (the median over every window of the same sex group), shrunk towards the LibriSpeech norms
  when there are few windows. A loud actor is not angry all film long, and a high voice is not always happy.
* a measurement that holds up under a soundtrack: speech band only, a stationary noise floor (music bed, hum,
  room noise) estimated per frequency bin and taken off before vocal effort is measured, and only the voiced
  frames that stand clear of that floor and near the window's loud frames counted for pitch.

It reads one emotion per window (the acoustic row that best explains the departure) and its intensity; under
the spread of neutral speakers it reads "neutral".

Every constant here was measured on LibriSpeech (CC BY 4.0) clips or set by rule; none was fitted on an
emotional corpus (those are for evaluation only, see vocalis.eval.ser).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vocalis.audio import Audio
from vocalis.emotion.from_audio import _SEX_SPLIT_HZ, ClipProsody
from vocalis.emotion.prosody import ROWS
from vocalis.emotion.vector import EMOTIONS, Emotion

_RATE = 16_000
_HOP = 160  # 10 ms
_N_FFT = 1024
_MIN_VOICED_S = 0.3  # less voiced speech than this says nothing about a speaker's prosody
# A frame is speech when it stands this far above the window's floor (its 10th-percentile level per bin): the
# voice then carries at least 3/4 of the frame's energy, so pitch and tilt are the voice's, not the bed's.
_CLEAR_DB = 6.0
_FLOOR_PERCENTILE = 10
_LOUD_DB = 15.0
# Speech F0 always moves (the flattest of 203 LibriSpeech windows spreads 0.42 st); a held note of a soundtrack
# doesn't. A window flatter than this is music, not a voice.
_MIN_RANGE_ST = 0.25
# Shrinkage of a baseline towards the norms: n windows count as n / (n + _PRIOR_WINDOWS) of the evidence.
_PRIOR_WINDOWS = 3.0
# A window is "neutral" while its departure along the emotion that best explains it stays under this many
# neutral spreads (see _SPREAD_*): the 80th percentile of what neutral LibriSpeech windows (CC BY 4.0) read, so
# four neutral readers in five read neutral. Measured 1.67 against the population norms (130 speakers, one 4 s
# window each) and 1.73 against each speaker's own baseline (8 speakers, 60 windows); the 90th percentiles are
# 1.89 and 2.10. Not fitted on any emotional recording.
NEUTRAL_BELOW = 1.7


@dataclass(frozen=True)
class EmotionReading:
    label: str  # "neutral" or the strongest emotion's name (vocalis.emotion.vector.EMOTIONS)
    intensity: float  # 0-1, 0 for neutral
    emotion: Emotion  # the vector to render a new line with (neutral for a neutral reading)

    def text(self) -> str:
        return "neutral" if self.label == "neutral" else f"{self.label} {self.intensity:.1f}"

    def as_dict(self) -> dict:
        return {"label": self.label, "intensity": round(self.intensity, 4),
                "emotion": [round(float(v), 4) for v in self.emotion.vector]}


def reading_from_dict(data: dict) -> EmotionReading:
    """The reading `EmotionReading.as_dict` wrote (a resumed dub reads its cues once)."""
    return EmotionReading(str(data["label"]), float(data["intensity"]), Emotion(np.array(data["emotion"])))


NEUTRAL = EmotionReading("neutral", 0.0, Emotion.neutral())


@dataclass(frozen=True)
class Norm:
    """Typical neutral prosody of one speaker group: median F0 (Hz), F0 spread (semitones), tilt (dB)."""

    f0_hz: float
    range_st: float
    tilt_db: float
    windows: int = 0  # how many windows it was measured on (0: the population norm)


# Neutral read speech as prosody_of measures it, on the first 4 s (a cue's length) of 203 LibriSpeech clips
# (CC BY 4.0) of 151 speakers: median F0, F0 spread and tilt per sex group (F0 split at 155 Hz).
_NORMS = {"male": Norm(117.3, 2.54, -9.61), "female": Norm(201.8, 2.86, -9.50)}
# How far neutral readers stray, per measure (pitch in semitones, log range ratio, tilt in dB): one standard
# deviation counts 1 in the fit. Against the norms it is the spread between speakers (one window each); against
# a speaker's own baseline the spread of one speaker's windows around it (smaller: same voice, same microphone).
_SPREAD_NORMS = np.array([2.3, 0.37, 4.57])
_SPREAD_BASELINE = np.array([1.83, 0.30, 2.72])
# Each emotion's row in the same measures (vocalis.emotion.prosody: literature rules, not data). Tempo is left
# out as in from_audio: voiced stretches are not syllables.
_ROWS = np.array([[r.pitch_st, np.log(r.pitch_range), r.effort_db] for r in ROWS.values()])


def _population(f0_hz: float) -> Norm:
    """The neutral norm of the sex group a voice of this pitch belongs to."""
    return _NORMS["male" if f0_hz < _SEX_SPLIT_HZ else "female"]


@dataclass(frozen=True)
class Baseline:
    """A speaker's (or a video's actors') typical prosody per sex group, "male" and "female"; a group with no
    windows is the population norm."""

    groups: dict[str, Norm]

    def norm_for(self, f0_hz: float) -> Norm:
        """The group a window belongs to: the one whose typical F0 is nearest (in semitones), so a one-group
        baseline takes every window, and a two-group one splits near the population's 155 Hz."""
        measured = [g for g in self.groups.values() if g.windows]
        if not measured:
            return _population(f0_hz)
        return min(measured, key=lambda g: abs(np.log(f0_hz / g.f0_hz)))


def baseline_of(prosodies: Sequence[ClipProsody], own: bool = False, one_speaker: bool = False) -> Baseline:
    """Typical prosody from unlabelled windows: per sex group (F0 split at 155 Hz), the median of each measure,
    shrunk towards the population norm by n / (n + 3) (log scale for F0 and range).

    `one_speaker`: every window is the same person (one group, whatever its pitch): an aroused male voice above
    155 Hz would otherwise form a "female" group of its own loudest windows and read as neutral there.
    `own`: the windows are that voice's own neutral delivery (a render of a neutral sentence): one group, no
    shrinkage."""
    if own or one_speaker:
        groups = {"speaker": list(prosodies)}
    else:
        groups = {"male": [p for p in prosodies if p.f0_hz < _SEX_SPLIT_HZ],
                  "female": [p for p in prosodies if p.f0_hz >= _SEX_SPLIT_HZ]}
    out = {}
    for name, own_windows in groups.items():
        if not own_windows:
            continue
        f0 = float(np.median([p.f0_hz for p in own_windows]))
        prior = _population(f0)
        w = 1.0 if own else len(own_windows) / (len(own_windows) + _PRIOR_WINDOWS)

        def shrink(values: list[float], norm: float, log: bool, w: float = w) -> float:
            m = float(np.median(values))
            return float(np.exp(w * np.log(m) + (1 - w) * np.log(norm))) if log else w * m + (1 - w) * norm

        out[name] = Norm(shrink([p.f0_hz for p in own_windows], prior.f0_hz, True),
                         shrink([p.range_st for p in own_windows], prior.range_st, True),
                         shrink([p.tilt_db for p in own_windows], prior.tilt_db, False), len(own_windows))
    return Baseline(out)


def prosody_of(audio: Audio) -> ClipProsody | None:
    """Pitch level and range, tempo and vocal effort of the speech in a window; None when it holds too little
    voiced speech to say (silence, a cough, a held note of music)."""
    import librosa
    from scipy import signal

    x = audio.resample(_RATE).samples.astype(np.float64)
    if len(x) < _N_FFT or not np.any(x):
        return None
    # Rumble, hum and a bass line sit under 70 Hz; no speaker's F0 does (pYIN looks from 60 Hz).
    x = signal.sosfiltfilt(signal.butter(4, 70, "highpass", fs=_RATE, output="sos"), x).astype(np.float32)
    f0, voiced, _ = librosa.pyin(x, fmin=60, fmax=600, sr=_RATE, frame_length=_N_FFT, hop_length=_HOP)
    spectrum = np.abs(librosa.stft(x, n_fft=_N_FFT, hop_length=_HOP)) ** 2
    n = min(len(f0), spectrum.shape[1])
    f0, voiced, spectrum = f0[:n], voiced[:n], spectrum[:, :n]
    freqs = librosa.fft_frequencies(sr=_RATE, n_fft=_N_FFT)
    band = (freqs >= 50) & (freqs < 5000)
    # The window's floor, bin by bin: what is there even in its quietest frames (a stationary bed, a held chord,
    # noise). Speech comes and goes, so it rarely reaches the 10th percentile of a bin.
    floor = np.percentile(spectrum, _FLOOR_PERCENTILE, axis=1, keepdims=True)
    level, floor_level = spectrum[band].sum(axis=0), floor[band].sum()
    # ... and within _LOUD_DB of the window's loud frames: a bed that changes chord within the window escapes the
    # floor, but at a usable SNR it stays well under the voice's vowels.
    loud = np.percentile(level, 95)
    clear = (level >= floor_level * 10 ** (_CLEAR_DB / 10)) & (level >= loud / 10 ** (_LOUD_DB / 10))
    keep = voiced & np.isfinite(f0) & clear
    if keep.sum() * _HOP / _RATE < _MIN_VOICED_S:
        return None
    semis = 12 * np.log2(f0[keep])
    # Octave slips of the tracker (and a note of the bed taken for the voice) are far from the voice's median:
    # drop what lies over 10 semitones away before measuring the spread.
    semis = semis[np.abs(semis - np.median(semis)) <= 10]
    if np.std(semis) < _MIN_RANGE_ST:
        return None
    idx = np.flatnonzero(keep)
    gaps = np.diff(idx)
    speech_frames = len(idx) + gaps[(gaps > 1) & (gaps < 30)].sum()
    stretches = 1 + int((gaps > 3).sum())
    clean = np.maximum(spectrum[:, keep] - floor, 0.0)  # the floor taken off: effort of the voice, not the bed
    high, low = clean[(freqs >= 1000) & (freqs < 5000)].sum(), clean[(freqs >= 50) & (freqs < 1000)].sum()
    return ClipProsody(
        f0_hz=float(2 ** (np.median(semis) / 12)),
        range_st=float(np.std(semis)),
        tempo=stretches / (speech_frames * _HOP / _RATE),
        tilt_db=float(10 * np.log10(max(high, 1e-12) / max(low, 1e-12))),
    )


def departure(prosody: ClipProsody, baseline: Baseline | None = None) -> np.ndarray:
    """How the window departs from its speaker group's typical prosody: pitch (semitones), log range ratio and
    tilt (dB)."""
    norm = (baseline or Baseline({})).norm_for(prosody.f0_hz)
    return np.array([12 * np.log2(prosody.f0_hz / norm.f0_hz), np.log(prosody.range_st / norm.range_st),
                     prosody.tilt_db - norm.tilt_db])


def read_emotion(prosody: ClipProsody | None, baseline: Baseline | None = None) -> EmotionReading:
    """The emotion in a window: against `baseline` (the speaker's own typical prosody) when given, else against
    the population norms. One window, one emotion: the row that best explains the departure (least squares with
    the ridge, intensity 0-1). Not a mix: happy and surprised, or sad and melancholic, point almost the same way
    in these three measures, and a mix fitted on them credits whichever row is longer. Under the neutral
    spread of the reference the reading is "neutral"."""
    if prosody is None:
        return NEUTRAL
    own = baseline is not None and any(g.windows for g in baseline.groups.values())
    best, along, intensity = strongest(departure(prosody, baseline), own)
    if along < NEUTRAL_BELOW or intensity <= 0:
        return NEUTRAL
    return EmotionReading(EMOTIONS[best], intensity, Emotion.of(**{EMOTIONS[best]: intensity}))


def strongest(departure: np.ndarray, own: bool) -> tuple[int, float, float]:
    """The emotion (index in EMOTIONS) whose row best explains `departure`; how far the departure goes along
    that row in units of the neutral spread (around a speaker's own baseline when `own`, else around the
    population norms), what decides neutral; and its intensity: how much of the row it shows (0-1), so that a
    line rendered with it asks for the same departure again.
    The row is chosen by what it leaves unexplained, so that of two rows pointing the same way neither wins for
    being longer (a penalised fit, as in from_audio, always credits surprised over happy)."""
    spread = _SPREAD_BASELINE if own else _SPREAD_NORMS
    d, rows = departure / spread, _ROWS / spread
    length = np.sqrt((rows ** 2).sum(axis=1))
    along = rows @ d / length  # in neutral spreads
    t = np.clip(along / length, 0, 1)
    best = int(np.argmin(((d - t[:, None] * rows) ** 2).sum(axis=1)))
    return best, float(along[best]), float(t[best])


def agrees(original: EmotionReading, dubbed: EmotionReading) -> bool:
    """The dubbed line carries the original's emotion: the same label, neutral included."""
    return original.label == dubbed.label
