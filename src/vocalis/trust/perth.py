"""Perth (resemble-perth), the presence watermark: a learned mark below 2 kHz that says "made by a machine"
without carrying data. `perth_mark` adds it, `perth_score` reads it (about 1 when marked, about 0 when not).

resemble-perth is installed --no-deps, and its watermarker imports two things this environment lacks
`pkg_resources` (setuptools here ships none), for one `resource_filename` call that finds its packaged
weights, and `torchaudio` (no CPU build exists here), for three transforms of which it calls two:
`Spectrogram` and `InverseSpectrogram`, both thin wrappers of torch.stft/istft. We supply those
for the duration of the import only and take them out of sys.modules afterwards, so no other code ever
sees a fake torchaudio; where a real one imports, it is used instead. The transforms make the same torch
calls with the same arguments as torchaudio's (compared elsewhere with real torchaudio: bit-identical output).
It also imports `librosa` for `resample` alone, and librosa's import costs ~2 s of a cold start (its lazy
loader inspects the call stack); unless librosa is already loaded, Perth gets librosa's own two code paths
for the resamplers it asks for (soxr HQ, scipy polyphase), with the same length fix and dtype. Likewise
`scipy.signal` (~1 s) is imported for a low-pass filter that inference never calls: its two functions are
forwarded to the real ones, imported on first call.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import math
import sys
import threading
import types
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from vocalis.audio import Audio

# Marked renders score 0.99-1.0, 0.92-1.0 after MP3 64k and 0.77-0.98 after Opus 32k; unmarked real speech
# averages 0.07 (95th percentile 0.36) but a few short clips reach 0.6-0.72 (bench/watermark.py prints both).
# 0.75 splits the two, with little room on either side: Perth is the hint, the ID mark is the evidence.
# White noise at 20 dB SNR pulls marked audio down to 0.44-0.77: Perth does not survive that.
PERTH_THRESHOLD = 0.75

# Below this peak level a chunk is silence to the ear, and Perth's log-spectrogram mask would divide by
# a near-empty frame set (NaN); such chunks pass through untouched.
_SILENT_PEAK = 1e-4

_lock = threading.Lock()
_watermarker: Any = None


def _stub_pkg_resources() -> types.ModuleType:
    """The one pkg_resources call Perth makes: the folder of a data directory inside a package."""
    mod = types.ModuleType("pkg_resources")

    def resource_filename(package: str, resource: str) -> str:
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            raise ImportError(f"cannot locate package {package}")
        return str(next(iter(spec.submodule_search_locations))) + "/" + resource

    mod.resource_filename = resource_filename  # type: ignore[attr-defined]
    return mod


def _stub_torchaudio() -> tuple[types.ModuleType, types.ModuleType]:
    """torchaudio.transforms as Perth constructs it: torchaudio's defaults (center=True, reflect padding,
    one-sided, complex output) and the same buffers, so Perth's checkpoint loads with strict=True."""
    import torch
    from torch import nn

    class Spectrogram(nn.Module):
        def __init__(self, n_fft: int, win_length: int, hop_length: int, window_fn: Callable[..., torch.Tensor],
                     power: float | None = None, normalized: bool = False):
            super().__init__()
            if power is not None or normalized:
                raise NotImplementedError("only the complex, unnormalised spectrogram Perth uses")
            self.n_fft, self.win_length, self.hop_length = n_fft, win_length, hop_length
            self.register_buffer("window", window_fn(win_length))

        def forward(self, waveform: torch.Tensor) -> torch.Tensor:
            return torch.stft(waveform, self.n_fft, self.hop_length, self.win_length, self.window, center=True,
                              pad_mode="reflect", normalized=False, onesided=True, return_complex=True)

    class InverseSpectrogram(nn.Module):
        def __init__(self, n_fft: int, win_length: int, hop_length: int, window_fn: Callable[..., torch.Tensor],
                     normalized: bool = False):
            super().__init__()
            if normalized:
                raise NotImplementedError("only the unnormalised inverse Perth uses")
            self.n_fft, self.win_length, self.hop_length = n_fft, win_length, hop_length
            self.register_buffer("window", window_fn(win_length))

        def forward(self, spectrogram: torch.Tensor, length: int | None = None) -> torch.Tensor:
            return torch.istft(spectrogram, self.n_fft, self.hop_length, self.win_length, self.window,
                               center=True, normalized=False, onesided=True, length=length)

    class TimeStretch(nn.Module):
        """Constructed by Perth (its buffer is in the checkpoint) but only used in training."""

        def __init__(self, n_freq: int, hop_length: int):
            super().__init__()
            self.register_buffer("phase_advance", torch.linspace(0, math.pi * hop_length, n_freq)[..., None])

    package = types.ModuleType("torchaudio")
    transforms = types.ModuleType("torchaudio.transforms")
    transforms.Spectrogram = Spectrogram  # type: ignore[attr-defined]
    transforms.InverseSpectrogram = InverseSpectrogram  # type: ignore[attr-defined]
    transforms.TimeStretch = TimeStretch  # type: ignore[attr-defined]
    package.transforms = transforms  # type: ignore[attr-defined]
    return package, transforms


def _stub_librosa() -> types.ModuleType:
    mod = types.ModuleType("librosa")

    def resample(y: np.ndarray, *, orig_sr: int, target_sr: int, res_type: str = "soxr_hq") -> np.ndarray:
        if orig_sr == target_sr:
            return y
        size = int(np.ceil(y.shape[-1] * target_sr / orig_sr))
        if res_type == "polyphase":
            from scipy.signal import resample_poly

            g = math.gcd(int(orig_sr), int(target_sr))
            out = resample_poly(y, int(target_sr) // g, int(orig_sr) // g)
        else:
            import soxr

            out = soxr.resample(y, orig_sr, target_sr, quality=res_type)
        out = out[:size] if len(out) >= size else np.pad(out, (0, size - len(out)))
        return np.asarray(out, dtype=y.dtype)

    mod.resample = resample  # type: ignore[attr-defined]
    return mod


def _deferred_scipy_signal() -> types.ModuleType:
    mod = types.ModuleType("scipy.signal")

    def forward(name: str) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            return getattr(importlib.import_module("scipy.signal"), name)(*args, **kwargs)

        return call

    mod.butter, mod.filtfilt = forward("butter"), forward("filtfilt")  # type: ignore[attr-defined]
    return mod


def _importable(name: str) -> bool:
    try:
        __import__(name)
    except Exception:  # a broken install (e.g. a torchaudio built for another torch) counts as absent
        return False
    return True


@contextlib.contextmanager
def _stand_ins() -> Iterator[None]:
    """Register the stand-ins for what is missing, and remove exactly those afterwards."""
    added: dict[str, types.ModuleType] = {}
    if not _importable("pkg_resources"):
        added["pkg_resources"] = _stub_pkg_resources()
    if "librosa" not in sys.modules:
        added["librosa"] = _stub_librosa()
    if "scipy.signal" not in sys.modules:
        added["scipy.signal"] = _deferred_scipy_signal()
    if not _importable("torchaudio"):
        added["torchaudio"], added["torchaudio.transforms"] = _stub_torchaudio()
    sys.modules.update(added)
    try:
        yield
    finally:
        for name, mod in added.items():
            if sys.modules.get(name) is mod:
                del sys.modules[name]


def _load() -> Any:
    with _stand_ins():
        from perth.perth_net.perth_net_implicit.perth_watermarker import PerthImplicitWatermarker
    with contextlib.redirect_stdout(io.StringIO()):  # Perth prints "loaded PerthNet ..." on load
        return PerthImplicitWatermarker(device="cpu")


def _perth() -> Any:
    global _watermarker
    with _lock:
        if _watermarker is None:
            _watermarker = _load()
        return _watermarker


def perth_net() -> Any:
    """Perth's PyTorch model (its checkpoint loaded)."""
    return _perth().perth_net


def perth_mark(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """`samples` with Perth's mark, same length and dtype float32; silence comes back unchanged. Embedded in
    numpy (`perth_embed`): no torch."""
    from vocalis.trust.perth_embed import embed

    samples = np.asarray(samples, dtype=np.float32)
    if samples.size == 0 or float(np.max(np.abs(samples))) < _SILENT_PEAK:
        return samples
    # The inverse STFT drops the last partial hop (up to 10 ms at Perth's 32 kHz), so pad and trim back.
    pad = int(np.ceil(0.02 * sample_rate))
    out = embed(np.concatenate([samples, np.zeros(pad, np.float32)]), sample_rate)[: len(samples)]
    if len(out) < len(samples):
        out = np.concatenate([out, samples[len(out):]])
    return out if np.all(np.isfinite(out)) else samples


def perth_score(audio: Audio) -> float:
    """Perth's confidence that `audio` is marked, in [0, 1]; 0.0 for silence (where Perth gives NaN)."""
    samples = np.asarray(audio.samples, dtype=np.float32)
    if samples.size == 0 or float(np.max(np.abs(samples))) < _SILENT_PEAK:
        return 0.0
    import torch

    with torch.inference_mode():
        score = float(np.asarray(_perth().get_watermark(samples, sample_rate=audio.sample_rate, round=False)))
    return score if math.isfinite(score) else 0.0
