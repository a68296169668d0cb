"""The harmonic-plus-noise excitation of `net.istftnet.SourceModuleHnNSF` in numpy, so that a render needs no
torch: the same computation in float32 (see that class for what it is and why it integrates at frame rate).
Its one learned part, the linear mix of the harmonics, comes with the ONNX front (see `onnx_front`)."""

from __future__ import annotations

import numpy as np

from vocalis.acoustic.assets import SAMPLE_RATE

UPSAMPLE = 300  # samples per F0 value (two per 600-sample frame)
HARMONICS = 9  # fundamental + 8 overtones
SINE_AMP, NOISE_STD, VOICED_HZ = 0.1, 0.003, 10.0


def harmonic_source(f0: np.ndarray, noise: np.ndarray, mix: np.ndarray, bias: float,
                    steps: slice | None = None) -> np.ndarray:
    """f0 [F] Hz at F0 rate, noise [>= b * UPSAMPLE, HARMONICS] ~ N(0, 1), the harmonics' mix [HARMONICS] and
    its bias -> float32 [(b - a) * UPSAMPLE] for the F0 steps a:b of `steps` (default: all), phase-coherent
    with the whole."""
    f0 = np.asarray(f0, np.float32)
    a, b, _ = (steps or slice(None)).indices(len(f0))
    u = UPSAMPLE
    harmonics = np.arange(1, HARMONICS + 1, dtype=np.float32)
    rad = np.mod(f0[:, None] * harmonics / np.float32(SAMPLE_RATE), np.float32(1))
    lo, hi = max(a - 1, 0), min(b + 1, len(f0))  # a step of margin each side for the interpolation
    # as torch computes it: the running sum in double, each prefix rounded to float32, then (x * 2) * pi * u
    phase = np.cumsum(rad, axis=0, dtype=np.float64).astype(np.float32)[lo:hi]
    phase = phase * np.float32(2) * np.float32(np.pi) * np.float32(u)
    # torch's linear interpolation by `u` (align_corners=False) in its float32 arithmetic, which matters: a
    # step of phase is ~10^2 rad, so an interpolation weight off by 1e-5 moves the excitation audibly.
    j = np.arange((a - lo) * u, (b - lo) * u).astype(np.float32)
    src = np.maximum(np.float32(1.0 / u) * (j + np.float32(0.5)) - np.float32(0.5), np.float32(0))
    i0 = src.astype(np.int64)
    i1 = np.minimum(i0 + 1, hi - lo - 1)
    w = (src - i0.astype(np.float32))[:, None]
    phase = phase[i0] * (np.float32(1) - w) + phase[i1] * w
    voiced = np.repeat(f0[a:b] > VOICED_HZ, u).astype(np.float32)[:, None]
    noise_amp = voiced * NOISE_STD + (1 - voiced) * SINE_AMP / 3
    sines = np.sin(phase) * SINE_AMP * voiced + noise_amp * noise[a * u:b * u]
    return np.tanh(sines @ np.asarray(mix, np.float32) + np.float32(bias)).astype(np.float32)
