"""What flows between the acoustic stages: plain arrays, the same whichever backend runs the stages (the
onnxruntime one that renders, `inference`, or the PyTorch one that trains and clones, `stages`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from vocalis.acoustic.assets import FRAME

if TYPE_CHECKING:
    import torch

    Array = np.ndarray | torch.Tensor
else:
    Array = Any

HARMONICS = 9  # fundamental + 8 overtones in the harmonic source
_NOISE_SEED = 0  # the source noise is seeded per call, so the same inputs give the same audio


@dataclass
class Encoded:
    """Per-utterance encoder outputs (batch 1): numpy arrays from `inference`, torch tensors from `stages`."""

    token_ids: np.ndarray  # int64 [n + 2], with the boundary pads
    style: Array  # [1, 256]: [:, :128] drives the decoder, [:, 128:] the prosody predictor
    prosody_features: Array  # [1, n + 2, 640] duration encoder output (PL-BERT + style)
    text_features: Array  # [1, 512, n + 2] text encoder output (the decoder's content input)
    durations: np.ndarray | None = None  # float64 [n + 2] predicted at speed 1, where the encoder gives them


@dataclass
class Prosody:
    durations: np.ndarray  # int64 [n_tokens + 2] frames per token incl. the two boundary tokens
    f0: np.ndarray  # float32 [2 * durations.sum()] Hz
    energy: np.ndarray  # float32 [2 * durations.sum()]


def frame_index(durations: np.ndarray) -> np.ndarray:
    """Token index of every frame: the hard alignment, as a gather instead of a one-hot matmul."""
    durations = np.asarray(durations, dtype=np.int64)
    if durations.ndim != 1 or (durations < 0).any() or durations.sum() < 1:
        raise ValueError("durations must be non-negative integers with a positive sum")
    return np.repeat(np.arange(len(durations)), durations)


def round_durations(durations: np.ndarray) -> np.ndarray:
    """Kokoro's rounding of predicted durations: nearest integer, at least one frame per token."""
    return np.maximum(np.round(durations), 1).astype(np.int64)


def source_noise(frames: int) -> np.ndarray:
    """Gaussian noise [1, frames * FRAME, HARMONICS] for the harmonic-plus-noise source of `frames` duration
    frames. The generator fills it in order, so the noise of fewer frames is the start of the noise of more."""
    rng = np.random.default_rng(_NOISE_SEED)
    return rng.standard_normal((1, frames * FRAME, HARMONICS), dtype=np.float32)
