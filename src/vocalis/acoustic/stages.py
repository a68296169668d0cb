"""Kokoro's acoustic model as explicit stages: encode -> durations -> prosody (F0, energy) -> decode.

Each stage is exposed so that callers can inspect or edit what flows between them (timing code
distributes duration rounding itself, prosody edits go through `synthesize(edit=...)`).

Differentiable path: pass the style as a torch tensor with `requires_grad=True` to `encode`, then call
`decode_tensor`, which returns the waveform as a torch tensor with the autograd graph attached:

    style = torch.tensor(pack_row, requires_grad=True)
    enc = model.encode(ids, style)
    prosody = model.predict_prosody(enc, durations)        # numpy curves, treated as constants
    audio = model.decode_tensor(enc, prosody)              # torch [FRAME * durations.sum()]
    loss(audio).backward()                                 # style.grad is now set

The numpy-facing stages run without autograd; `decode` runs the decoder's ONNX export (faster on CPU)
and `decode_tensor` the PyTorch decoder with the same weights.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
import onnxruntime as ort
import torch

from vocalis.acoustic import assets
from vocalis.acoustic.net import KokoroNet
from vocalis.acoustic.onnx_decoder import decoder_session, run_decoder
from vocalis.acoustic.weights import onnx_state_dict

SAMPLE_RATE = 24000
FRAME = 600  # samples per duration frame (25 ms); F0 / energy curves have 2 values per frame
STYLE_DIM = 256
_HARMONICS = 9  # fundamental + 8 overtones in the harmonic source
_NOISE_SEED = 0  # the source noise is seeded per call, so the same inputs give the same audio


@dataclass
class Encoded:
    """Per-utterance encoder outputs (batch 1)."""

    token_ids: np.ndarray  # int64 [n + 2], with the boundary pads
    style: torch.Tensor  # [1, 256]: [:, :128] drives the decoder, [:, 128:] the prosody predictor
    prosody_features: torch.Tensor  # [1, n + 2, 640] duration encoder output (PL-BERT + style)
    text_features: torch.Tensor  # [1, 512, n + 2] text encoder output (the decoder's content input)


@dataclass
class Prosody:
    durations: np.ndarray  # int64 [n_tokens + 2] frames per token incl. the two boundary tokens
    f0: np.ndarray  # float32 [2 * durations.sum()] Hz
    energy: np.ndarray  # float32 [2 * durations.sum()]


def _frame_index(durations: np.ndarray) -> torch.Tensor:
    """Token index of every frame: the hard alignment, as a gather instead of a one-hot matmul."""
    durations = np.asarray(durations, dtype=np.int64)
    if durations.ndim != 1 or (durations < 0).any() or durations.sum() < 1:
        raise ValueError("durations must be non-negative integers with a positive sum")
    return torch.from_numpy(np.repeat(np.arange(len(durations)), durations))


def source_noise(frames: int) -> torch.Tensor:
    """Gaussian noise for the harmonic-plus-noise source of `frames` duration frames."""
    rng = np.random.default_rng(_NOISE_SEED)
    return torch.from_numpy(rng.standard_normal((1, frames * FRAME, _HARMONICS), dtype=np.float32))


class AcousticModel:
    sample_rate: int = SAMPLE_RATE

    def __init__(self, net: KokoroNet, decoder: ort.InferenceSession | None = None):
        """`decoder`: the ONNX export of `net.decoder` for `decode` (None: decode with PyTorch)."""
        self.net = net.eval().requires_grad_(False)
        self._decoder = decoder
        self._vocab_size = net.bert.config.vocab_size

    def encode(self, token_ids: Sequence[int], style: np.ndarray | torch.Tensor) -> Encoded:
        """Token ids WITHOUT boundary pads (added here); style [256] from a voice pack row.

        A torch style with requires_grad keeps the autograd graph (see the module docstring)."""
        ids = np.asarray([0, *token_ids, 0], dtype=np.int64)
        if ids.max() >= self._vocab_size or ids.min() < 0:
            raise ValueError("token id out of the Kokoro vocabulary")
        if len(ids) > self.net.bert.config.max_position_embeddings:
            raise ValueError(f"at most {self.net.bert.config.max_position_embeddings - 2} tokens per call")
        style_t = torch.as_tensor(style, dtype=torch.float32).reshape(1, STYLE_DIM)
        with torch.set_grad_enabled(style_t.requires_grad):
            ids_t = torch.from_numpy(ids)[None]
            d_en = self.net.bert_encoder(self.net.bert(ids_t)).transpose(1, 2)
            d = self.net.predictor.text_encoder(d_en, style_t[:, 128:])
            t_en = self.net.text_encoder(ids_t)
        return Encoded(ids, style_t, d, t_en)

    def predict_durations(self, enc: Encoded, speed: float = 1.0) -> np.ndarray:
        """float64 [n + 2] frames per token, unrounded."""
        with torch.inference_mode():
            dur = self.net.predictor.durations(enc.prosody_features)
        return dur.double().numpy() / speed

    def predict_prosody(self, enc: Encoded, durations: np.ndarray) -> Prosody:
        """F0 and energy curves for the given integer durations."""
        durations = np.asarray(durations, dtype=np.int64)
        with torch.inference_mode():
            f0, energy = self._prosody_tensors(enc, durations)
        return Prosody(durations, f0[0].numpy().astype(np.float32), energy[0].numpy().astype(np.float32))

    def _prosody_tensors(self, enc: Encoded, durations: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        if len(durations) != len(enc.token_ids):
            raise ValueError(f"{len(durations)} durations for {len(enc.token_ids)} tokens (incl. pads)")
        en = enc.prosody_features[0, _frame_index(durations)].T[None]
        return self.net.predictor.f0_energy(en, enc.style[:, 128:])

    def decode(self, enc: Encoded, prosody: Prosody) -> np.ndarray:
        """float32 audio, exactly FRAME * durations.sum() samples."""
        with torch.inference_mode():
            if self._decoder is None:
                return self.decode_tensor(enc, prosody).numpy()
            asr, f0, energy, noise = self._decoder_inputs(enc, prosody)
            style = enc.style[:, :128].numpy()
            audio = run_decoder(self._decoder, asr.numpy(), f0.numpy(), energy.numpy(), style, noise.numpy())
        return audio.reshape(-1)

    def decode_tensor(self, enc: Encoded, prosody: Prosody) -> torch.Tensor:
        """Like `decode`, on torch; differentiable w.r.t. the style given to `encode`."""
        asr, f0, energy, noise = self._decoder_inputs(enc, prosody)
        return self.net.decoder(asr, f0, energy, enc.style[:, :128], noise).reshape(-1)

    @staticmethod
    def _decoder_inputs(enc: Encoded, prosody: Prosody) -> tuple[torch.Tensor, ...]:
        index = _frame_index(prosody.durations)
        frames = len(index)
        f0 = torch.as_tensor(np.asarray(prosody.f0, dtype=np.float32)).reshape(1, -1)
        energy = torch.as_tensor(np.asarray(prosody.energy, dtype=np.float32)).reshape(1, -1)
        if f0.shape[1] != 2 * frames or energy.shape[1] != 2 * frames:
            raise ValueError("f0 and energy need 2 values per duration frame")
        return enc.text_features[..., index], f0, energy, source_noise(frames)

    def synthesize(
        self,
        token_ids: Sequence[int],
        style: np.ndarray,
        speed: float = 1.0,
        edit: Callable[[Prosody], Prosody] | None = None,
    ) -> tuple[np.ndarray, Prosody]:
        """encode -> durations (rounded like Kokoro: round, clamp >= 1) -> prosody -> edit -> decode."""
        enc = self.encode(token_ids, style)
        durations = np.maximum(np.round(self.predict_durations(enc, speed)), 1).astype(np.int64)
        prosody = self.predict_prosody(enc, durations)
        if edit is not None:
            prosody = edit(prosody)
        return self.decode(enc, prosody), prosody


@cache
def acoustic_model() -> AcousticModel:
    """The process-wide model, loaded on first use."""
    net = KokoroNet()
    net.load_state_dict(onnx_state_dict(assets.model_path()), strict=True)
    return AcousticModel(net, decoder_session(net.decoder))
