"""An emotion from a clip of someone else's speech: its prosody, not its voice.

The clip's pitch level, pitch range, tempo and vocal effort are measured and compared with neutral
read speech (norms measured on LibriSpeech, CC BY 4.0: 18 speakers of test-other, train-clean and
LibriTTS); the differences are then explained as a mix of the 8 emotions' acoustic rows
(non-negative least squares), so the result is an ordinary `Emotion` that users can see and tweak.
Loudness is left out: a recording's level says more about the microphone than about the speaker.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.optimize import nnls

from vocalis.audio import Audio
from vocalis.emotion.prosody import ROWS
from vocalis.emotion.vector import Emotion
from vocalis.errors import VocalisError

_RATE = 16_000
_HOP = 160  # 10 ms
# Neutral read speech (LibriSpeech): median F0 by sex (Hz), F0 spread (semitones, s.d. of voiced
# frames), voiced stretches per second of speech, and high/low band energy (dB).
_F0_NORM = {"male": 118.0, "female": 203.0}
_SEX_SPLIT_HZ = 155.0
_RANGE_NORM_ST = 4.3
_TEMPO_NORM = 2.64
_TILT_NORM_DB = -11.6
# How much each measured difference counts in the fit: about one spread of neutral speakers around the
# norms weighs 1 (3 semitones of level, 40 % of range); tilt through an unknown microphone is rougher
# (8 dB). Tempo is measured but left out of the fit: voiced stretches are not syllables, and without a
# transcript the estimate read most calm speakers as slow (and so disgusted or melancholic).
_SCALE = np.array([1 / 3.0, 1 / np.log(1.4), 0.0, 1 / 8.0])
# Ridge on the mix: differences within neutral speakers' spread give weak emotions, not strong ones
# that cancel each other out.
_RIDGE = 1.0
_MIN_SPEECH_S = 0.5
_MINOR = 0.5  # emotions under this share of the strongest are dropped: one clip, one or two emotions


@dataclass(frozen=True)
class ClipProsody:
    """What was measured on the clip."""

    f0_hz: float  # median F0 of voiced frames
    range_st: float  # standard deviation of voiced F0, semitones
    tempo: float  # voiced stretches (roughly syllables) per second of speech
    tilt_db: float  # energy above 1 kHz relative to below, dB


def measure(audio: Audio) -> ClipProsody:
    import librosa

    x = audio.resample(_RATE).samples.astype(np.float32)
    f0, voiced, _ = librosa.pyin(x, fmin=60, fmax=600, sr=_RATE, frame_length=1024, hop_length=_HOP)
    voiced &= np.isfinite(f0)
    if voiced.sum() * _HOP / _RATE < _MIN_SPEECH_S:
        raise VocalisError("the emotion clip holds almost no voiced speech: use a clip of 2-20 s of speech")
    semis = 12 * np.log2(f0[voiced])
    # Speech time: voiced frames plus the short gaps between them (consonants), not long pauses.
    idx = np.flatnonzero(voiced)
    gaps = np.diff(idx)
    speech_frames = len(idx) + gaps[(gaps > 1) & (gaps < 30)].sum()
    stretches = 1 + int((gaps > 3).sum())  # voiced runs split by > 30 ms of unvoiced sound
    spectrum = np.abs(librosa.stft(x, n_fft=1024, hop_length=_HOP)) ** 2
    freqs = librosa.fft_frequencies(sr=_RATE, n_fft=1024)
    frames = spectrum[:, : len(voiced)][:, voiced]
    high, low = frames[(freqs >= 1000) & (freqs < 5000)].sum(), frames[(freqs >= 50) & (freqs < 1000)].sum()
    return ClipProsody(
        f0_hz=float(np.median(f0[voiced])),
        range_st=float(np.std(semis)),
        tempo=stretches / (speech_frames * _HOP / _RATE),
        tilt_db=float(10 * np.log10(max(high, 1e-12) / max(low, 1e-12))),
    )


def emotion_of_prosody(p: ClipProsody) -> Emotion:
    """The mix of emotions whose acoustic rows best explain how `p` departs from neutral speech."""
    norm = _F0_NORM["male" if p.f0_hz < _SEX_SPLIT_HZ else "female"]
    measured = np.array([
        12 * np.log2(p.f0_hz / norm), np.log(p.range_st / _RANGE_NORM_ST), np.log(p.tempo / _TEMPO_NORM),
        p.tilt_db - _TILT_NORM_DB,
    ]) * _SCALE
    rows = np.array([[r.pitch_st, np.log(r.pitch_range), np.log(r.rate), r.effort_db] for r in ROWS.values()])
    design = np.vstack([(rows * _SCALE).T, np.sqrt(_RIDGE) * np.eye(len(rows))])
    mix, _ = nnls(design, np.concatenate([measured, np.zeros(len(rows))]))
    mix[mix < _MINOR * mix.max()] = 0
    return Emotion(np.clip(mix, 0, 1).astype(np.float32))


def emotion_from_audio(source: str | Path | Audio) -> Emotion:
    """The emotion heard in a clip (any speaker, any common format)."""
    audio = source if isinstance(source, Audio) else Audio.load(source)
    return emotion_of_prosody(measure(audio))
