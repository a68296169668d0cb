"""Perth's mark added in numpy, so that marking a render loads no torch (Perth itself is a PyTorch model, and
torch's import is over a second of a cold start). Reading the mark stays with Perth (`perth.perth_score`).

The same steps as Perth's `apply_watermark`: resample to Perth's rate (soxr HQ, as librosa does), a centred
STFT (reflect padding, periodic Hann), the normalised log magnitude, the encoder's residual on the low band
where the frame has energy, back through the inverse STFT with the same phase, and resample back. The
encoder is seven 1-D convolutions; their weights and Perth's STFT settings are taken from its checkpoint once,
into the cache (`EMBED_VERSION` in the name)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from vocalis.acoustic.assets import cache_dir
from vocalis.audio import istft, stft

EMBED_VERSION = 1
HEADROOM_DB = 15.0  # Perth's normalisation of the log magnitude
MASK_SHARE = 0.05  # frames quieter than this share of the loudest carry no mark (Perth's `magmask`)
LEAKY_SLOPE = 0.01


@dataclass(frozen=True)
class PerthWeights:
    rate: int
    n_fft: int
    hop: int
    min_magnitude: float
    subband: int
    convs: tuple[tuple[np.ndarray, np.ndarray], ...]  # (weight [out, in, k], bias [out]) per layer


def embed(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """`samples` (float32, not silent) with Perth's mark, at `sample_rate`; length as Perth gives it."""
    import soxr

    w = weights()
    x = samples if sample_rate == w.rate else _resample(soxr, samples, sample_rate, w.rate)
    spectrum = stft(x, w.n_fft, w.hop).T  # [freq, time]
    min_db = 20 * np.log10(w.min_magnitude)
    mag = (20 * np.log10(np.maximum(np.abs(spectrum), w.min_magnitude)) - min_db) / (-min_db + HEADROOM_DB)
    energy = mag.sum(axis=0)
    mask = (energy > energy.max() * MASK_SHARE).astype(np.float32)
    mag[: w.subband] += _encoder(mag[: w.subband], w.convs) * mask
    magnitude = 10.0 ** np.minimum((mag * (-min_db + HEADROOM_DB) + min_db) / 20, 10)
    out = istft((magnitude * np.exp(1j * np.angle(spectrum))).T, w.n_fft, w.hop).astype(np.float32)
    return out if sample_rate == w.rate else _resample(soxr, out, w.rate, sample_rate)


def _resample(soxr: object, x: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    size = int(np.ceil(len(x) * rate_out / rate_in))  # librosa's length fix
    y = soxr.resample(x, rate_in, rate_out, quality="soxr_hq")
    return (y[:size] if len(y) >= size else np.pad(y, (0, size - len(y)))).astype(np.float32)


def _encoder(x: np.ndarray, convs: tuple[tuple[np.ndarray, np.ndarray], ...]) -> np.ndarray:
    """Perth's encoder layers on [channels, time]: 1-D convolutions ('same' padding), LeakyReLU after all but
    the last."""
    for i, (weight, bias) in enumerate(convs):
        k = weight.shape[2]
        cols = np.lib.stride_tricks.sliding_window_view(np.pad(x, ((0, 0), (k // 2, k // 2))), k, axis=1)
        x = np.einsum("ctk,ock->ot", cols, weight, optimize=True) + bias[:, None]
        if i < len(convs) - 1:
            x = np.where(x > 0, x, LEAKY_SLOPE * x)
    return x


@cache
def weights() -> PerthWeights:
    path = cache_dir() / f"perth-embed-v{EMBED_VERSION}.npz"
    if not path.exists():
        _export(path)
    with np.load(path) as f:
        n = int(f["layers"])
        convs = tuple((f[f"w{i}"], f[f"b{i}"]) for i in range(n))
        return PerthWeights(int(f["rate"]), int(f["n_fft"]), int(f["hop"]), float(f["min_magnitude"]),
                            int(f["subband"]), convs)


def _export(path: Path) -> None:
    """Read Perth's checkpoint (this needs torch, once) into the numpy weights file."""
    from vocalis.trust.perth import perth_net

    net = perth_net()
    hp = net.hp
    if hp.window_fn != "hann" or hp.window_size != hp.n_fft:
        raise RuntimeError(f"Perth's STFT changed (window {hp.window_fn}, {hp.window_size}): update perth_embed")
    convs = [layer.conv for layer in net.encoder.layers]
    arrays = {f"w{i}": c.weight.detach().numpy() for i, c in enumerate(convs)}
    arrays |= {f"b{i}": c.bias.detach().numpy() for i, c in enumerate(convs)}
    tmp = path.with_suffix(f".{os.getpid()}.tmp.npz")
    np.savez(tmp, layers=len(convs), rate=hp.sample_rate, n_fft=hp.n_fft, hop=hp.hop_size,
             min_magnitude=hp.stft_magnitude_min, subband=net.subband, **arrays)
    tmp.replace(path)
