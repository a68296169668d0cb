"""The acoustic stages as renders run them: onnxruntime and numpy only, no torch (see `onnx_front`).

Same interface as `stages.AcousticModel` (encode -> durations -> prosody -> decode, plain data between), so the
engine runs either; this one is the default because it starts in a fraction of the time. The PyTorch model is
loaded only to build the ONNX files into the cache, once, and by cloning and training, which need gradients.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING

import numpy as np

from vocalis.acoustic import assets
from vocalis.acoustic.data import Encoded, Prosody, frame_index, round_durations, source_noise
from vocalis.acoustic.onnx_decoder import Int8Decoder, int8_decoder, run_decoder
from vocalis.acoustic.onnx_front import Front, load_front
from vocalis.acoustic.source import harmonic_source

if TYPE_CHECKING:
    from vocalis.acoustic.stages import AcousticModel

VOCAB_SIZE = 178  # Kokoro's token ids
MAX_POSITIONS = 512  # PL-BERT's positions, the two pads included


class InferenceModel:
    sample_rate: int = assets.SAMPLE_RATE
    frame: int = assets.FRAME  # samples per duration frame

    def __init__(self, front: Front, decoder: Int8Decoder):
        self.front, self.decoder = front, decoder

    def encode(self, token_ids: Sequence[int], style: np.ndarray) -> Encoded:
        """Token ids WITHOUT boundary pads (added here); style [256] from a voice pack row."""
        ids = np.asarray([0, *token_ids, 0], dtype=np.int64)
        if ids.max() >= VOCAB_SIZE or ids.min() < 0:
            raise ValueError("token id out of the Kokoro vocabulary")
        if len(ids) > MAX_POSITIONS:
            raise ValueError(f"at most {MAX_POSITIONS - 2} tokens per call")
        style = np.asarray(style, np.float32).reshape(1, assets.STYLE_DIM)
        prosody_features, text_features, durations = self.front.run_encode(ids, style)
        return Encoded(ids, style, prosody_features, text_features, durations.astype(np.float64))

    def predict_durations(self, enc: Encoded, speed: float = 1.0) -> np.ndarray:
        """float64 [n + 2] frames per token, unrounded (predicted with the encoding)."""
        return enc.durations / speed

    def durations(self, enc: Encoded, speed: float = 1.0) -> np.ndarray:
        """Integer frames per token: predicted, rounded like Kokoro (round, clamp >= 1)."""
        return round_durations(self.predict_durations(enc, speed))

    def predict_prosody(self, enc: Encoded, durations: np.ndarray) -> Prosody:
        """F0 and energy curves for the given integer durations."""
        durations = np.asarray(durations, dtype=np.int64)
        if len(durations) != len(enc.token_ids):
            raise ValueError(f"{len(durations)} durations for {len(enc.token_ids)} tokens (incl. pads)")
        features = enc.prosody_features[0, frame_index(durations)].T[None]
        f0, energy = self.front.run_prosody(features, enc.style[:, 128:])
        return Prosody(durations, f0[0].astype(np.float32), energy[0].astype(np.float32))

    def decode(self, enc: Encoded, prosody: Prosody, frames: slice | None = None) -> np.ndarray:
        """float32 audio, exactly FRAME * durations.sum() samples (FRAME per frame of `frames` if given: a
        window decoded on its own, its harmonic source the whole one's, sliced)."""
        index = frame_index(prosody.durations)
        f0, energy = np.asarray(prosody.f0, np.float32), np.asarray(prosody.energy, np.float32)
        if len(f0) != 2 * len(index) or len(energy) != 2 * len(index):
            raise ValueError("f0 and energy need 2 values per duration frame")
        a, b, _ = (frames or slice(None)).indices(len(index))
        source = harmonic_source(f0, source_noise(b)[0], self.front.source_mix, self.front.source_bias,
                                 slice(2 * a, 2 * b))
        audio = run_decoder(self.decoder, enc.text_features[..., index[a:b]], f0[None, 2 * a:2 * b],
                            energy[None, 2 * a:2 * b], enc.style[:, :128], source[None])
        return audio.reshape(-1)

    def plan(self, token_ids: Sequence[int], style: np.ndarray, speed: float = 1.0) -> tuple[Encoded, Prosody]:
        """Everything before the decoder, as the model predicts it: encode -> durations -> prosody."""
        enc = self.encode(token_ids, style)
        return enc, self.predict_prosody(enc, self.durations(enc, speed))

    def synthesize(self, token_ids: Sequence[int], style: np.ndarray, speed: float = 1.0) -> tuple[np.ndarray, Prosody]:
        """`plan`, then decode: the model as it comes, with nothing changed between the stages."""
        enc, prosody = self.plan(token_ids, style, speed)
        return self.decode(enc, prosody), prosody


def _trainable() -> AcousticModel:
    from vocalis.acoustic.stages import acoustic_model  # torch: only to build a missing cache file

    return acoustic_model()


@cache
def inference_model() -> InferenceModel:
    """The process-wide render model, loaded on first use (its ONNX files built into the cache if missing)."""
    decoder = int8_decoder(lambda: _trainable().torch_decoder, lambda: _trainable().calibration_feeds())
    return InferenceModel(load_front(), decoder)


def adapted_inference_model(base: InferenceModel, adapter: dict[str, np.ndarray], key: str, style: np.ndarray,
                            pitch_scale: float) -> InferenceModel:
    """`base` with a trained voice's int8 decoder (see `stages.adapted_model`, which builds it into the cache on
    first use); everything before the decoder is shared with `base`."""
    def trained() -> AcousticModel:
        from vocalis.acoustic.stages import adapted_model

        return adapted_model(_trainable(), adapter, key, style, pitch_scale)

    decoder = int8_decoder(lambda: trained().torch_decoder,
                              lambda: _trainable().calibration_feeds(style, pitch_scale), variant=key[:16])
    return InferenceModel(base.front, decoder)
