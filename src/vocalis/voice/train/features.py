"""What a recording says about its own prosody, on the decoder's time grid: F0 and energy, two values
per duration frame (a 12.5 ms hop at 24 kHz), as the prosody predictor would have given them.

The decoder was trained on F0 from a pitch tracker (0 where unvoiced) and on the log norm of each
power mel frame; a recording's energy is brought to the predictor's level and spread for the same
utterance, so what the decoder learns from real curves is what it is fed at synthesis."""

from __future__ import annotations

import numpy as np

from vocalis.acoustic.assets import FRAME, SAMPLE_RATE

HOP = FRAME // 2  # two curve values per duration frame
F0_RANGE = (50.0, 600.0)


def f0_curve(samples: np.ndarray, frames: int) -> np.ndarray:
    """F0 in Hz (0 where unvoiced) by pYIN, 2 * `frames` values."""
    import librosa

    f0, voiced, _ = librosa.pyin(samples, fmin=F0_RANGE[0], fmax=F0_RANGE[1], sr=SAMPLE_RATE,
                                 frame_length=4 * HOP, hop_length=HOP)
    f0 = np.where(voiced, np.nan_to_num(f0), 0.0)
    return _fit_length(f0, 2 * frames)


def energy_curve(samples: np.ndarray, frames: int) -> np.ndarray:
    """Log L2 norm of each power mel frame (80 bands, 2048-point FFT, 50 ms window), 2 * `frames` values."""
    import librosa

    mel = librosa.feature.melspectrogram(y=samples, sr=SAMPLE_RATE, n_fft=2048, win_length=4 * HOP,
                                         hop_length=HOP, n_mels=80, power=2.0, htk=True, norm=None)
    return _fit_length(np.log(np.linalg.norm(mel, axis=0) + 1e-5), 2 * frames)


def match_level(real: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """`real` energy moved to the mean and spread of the predictor's curve for the same utterance."""
    scale = predicted.std() / max(real.std(), 1e-3)
    return ((real - real.mean()) * scale + predicted.mean()).astype(np.float32)


def _fit_length(curve: np.ndarray, n: int) -> np.ndarray:
    curve = curve[:n]
    if len(curve) < n:
        curve = np.pad(curve, (0, n - len(curve)), mode="edge")
    return curve.astype(np.float32)
