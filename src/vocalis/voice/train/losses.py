"""Reconstruction losses: multi-resolution STFT (spectral convergence + log magnitude) and log-mel L1,
the usual pair for training a vocoder without a discriminator.

Only the band the recordings hold counts: most recordings stop below 12 kHz (22.05 kHz audiobooks, 16 kHz
phones, lossy codecs) while Kokoro speaks to 12 kHz, and an empty band would otherwise teach the adapter to
remove the voice's top end instead of to sound like the speaker."""

from __future__ import annotations

import numpy as np
import torch

from vocalis.acoustic.assets import SAMPLE_RATE

_RESOLUTIONS = ((512, 128), (1024, 256), (2048, 512))  # (FFT size, hop); window = FFT size
_MEL_BANDS = 80
_FLOOR = 1e-4  # magnitudes below this (about -80 dB) are silence, whatever their log says


def bandwidth(samples: list[np.ndarray], drop_db: float = 50.0) -> float:
    """The highest frequency (Hz) where the recordings' long-term spectrum is within `drop_db` of its level
    at 0.3-3 kHz: their real bandwidth, whatever their sample rate."""
    n_fft = 1024
    spectrum = np.zeros(n_fft // 2 + 1)
    for x in samples:
        frames = np.lib.stride_tricks.sliding_window_view(x, n_fft)[::n_fft // 2] * np.hanning(n_fft)
        spectrum += (np.abs(np.fft.rfft(frames, axis=1)) ** 2).sum(axis=0)
    freqs = np.fft.rfftfreq(n_fft, 1 / SAMPLE_RATE)
    level_db = 10 * np.log10(spectrum + 1e-20)
    reference = np.median(level_db[(freqs >= 300) & (freqs <= 3000)])
    inside = np.nonzero(level_db >= reference - drop_db)[0]
    return float(max(freqs[inside[-1]], 4000.0)) if len(inside) else SAMPLE_RATE / 2


class ReconstructionLoss:
    def __init__(self, band_hz: float = SAMPLE_RATE / 2) -> None:
        import librosa

        self._windows = {n: torch.hann_window(n) for n, _ in _RESOLUTIONS}
        self._bins = {n: int(band_hz / SAMPLE_RATE * n) + 1 for n, _ in _RESOLUTIONS}
        mel = librosa.filters.mel(sr=SAMPLE_RATE, n_fft=1024, n_mels=_MEL_BANDS, fmin=0, fmax=band_hz)
        self._mel = torch.from_numpy(mel[:, :self._bins[1024]]).float()

    def _magnitude(self, wave: torch.Tensor, n_fft: int, hop: int) -> torch.Tensor:
        spec = torch.stft(wave, n_fft, hop, window=self._windows[n_fft], return_complex=True)
        return spec[:self._bins[n_fft]].abs().clamp(min=_FLOOR)

    def __call__(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Loss of `output` against `target` (1-D waveforms of one length)."""
        stft = torch.zeros(())
        for n_fft, hop in _RESOLUTIONS:
            out, ref = self._magnitude(output, n_fft, hop), self._magnitude(target, n_fft, hop)
            convergence = torch.linalg.norm(ref - out) / torch.linalg.norm(ref)
            stft = stft + convergence + (out.log() - ref.log()).abs().mean()
        out, ref = self._magnitude(output, 1024, 256), self._magnitude(target, 1024, 256)
        mel = ((self._mel @ out).clamp(min=_FLOOR).log() - (self._mel @ ref).clamp(min=_FLOOR).log()).abs().mean()
        return stft / len(_RESOLUTIONS) + mel
