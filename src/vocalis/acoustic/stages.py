"""Kokoro's acoustic model as explicit stages: encode -> durations -> prosody (F0, energy) -> decode.

Each stage is a method that takes and returns plain data, so that the engine calls them in turn and
changes what flows between them (durations fitted to a target, F0 shaped by tones and emotion).

Differentiable path: pass the style as a torch tensor with `requires_grad=True` to `encode`, then call
`decode_tensor`, which returns the waveform as a torch tensor with the autograd graph attached:

    style = torch.tensor(pack_row, requires_grad=True)
    enc = model.encode(ids, style)
    prosody = model.predict_prosody(enc, durations)        # numpy curves, treated as constants
    audio = model.decode_tensor(enc, prosody)              # torch [FRAME * durations.sum()]
    loss(audio).backward()                                 # style.grad is now set

The numpy-facing stages run without autograd; `decode` runs the decoder's int8 ONNX export (several
times faster on CPU, see `onnx_decoder`) and `decode_tensor` the float PyTorch decoder with the same
weights, built on its first call (it holds two thirds of the weights, which inference never needs).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from functools import cache

import numpy as np
import torch

from vocalis.acoustic import assets
from vocalis.acoustic.data import Encoded, Prosody, frame_index, round_durations, source_noise
from vocalis.acoustic.net import KokoroNet
from vocalis.acoustic.net.istftnet import Decoder
from vocalis.acoustic.net.model import build_decoder
from vocalis.acoustic.onnx_decoder import INPUTS, Int8Decoder, int8_decoder, run_decoder
from vocalis.acoustic.weights import cached_state_dict, merge_adapter
from vocalis.text.vocab import vocab as token_ids

SAMPLE_RATE = assets.SAMPLE_RATE
FRAME = assets.FRAME
STYLE_DIM = assets.STYLE_DIM
# Int8 calibration of the decoder: Kokoro phonemes of varied English and Mandarin sentences (statement,
# question, exclamation, numbers, tones), each rendered with a different built-in voice.
_CALIBRATION = (
    "ðə wˈɛðəɹ wʌz kˈOld ænd wˈɪndi, sˌO wi stˈAd ɪnsˈId ænd ɹˈɛd bˈʊks ˈɔl ˌæftəɹnˈun.",
    "kˌæn ju bəlˈiv ɪt? ʃˌi wˈʌn ðə ɹˈAs bI ˈɔlmOst θɹˈi hˈOl sˈɛkəndz!",
    "ʨi→ntʰjɛ→ntʰjɛ→nʨʰi↘ xə↗nxau↓, wo↓mən i↘ʨʰi↓ ʨʰy↘ kʊ→ŋɥɛ↗n sa↘npu↘ pa.",
    "ɪn nˌIntˈin sˌɪkstinˈIn, ˈæstɹənˌɔts lˈændᵻd ˌɔn ðə mˈun.",
)


def _frame_index(durations: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(frame_index(durations))


class AcousticModel:
    sample_rate: int = SAMPLE_RATE
    frame: int = FRAME  # samples per duration frame

    def __init__(self, net: KokoroNet, decoder: Callable[[], Int8Decoder] | None = None,
                 torch_decoder: Callable[[], Decoder] | None = None):
        """`decoder`: opens the int8 ONNX decoder for `decode`, on first need (None: decode with
        PyTorch). `torch_decoder`: builds the PyTorch decoder when `net` has none (called once, on first need)."""
        self.net = net.eval().requires_grad_(False)
        self._open_decoder = decoder
        self._decoder: Int8Decoder | None = None
        self._build_torch_decoder = torch_decoder
        self._torch_decoder = net.decoder  # None until built (see `torch_decoder`)
        self._vocab_size = net.bert.config.vocab_size

    @property
    def torch_decoder(self) -> Decoder:
        """The PyTorch decoder (`net.decoder`), built on first use if the net was loaded without it."""
        if self._torch_decoder is None:
            if self._build_torch_decoder is None:
                raise RuntimeError("this model was built without a PyTorch decoder")
            self._torch_decoder = self._build_torch_decoder().eval().requires_grad_(False)
        return self._torch_decoder

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

    def durations(self, enc: Encoded, speed: float = 1.0) -> np.ndarray:
        """Integer frames per token: predicted, rounded like Kokoro (round, clamp >= 1)."""
        return round_durations(self.predict_durations(enc, speed))

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

    def decode(self, enc: Encoded, prosody: Prosody, frames: slice | None = None) -> np.ndarray:
        """float32 audio, exactly FRAME * durations.sum() samples (FRAME per frame of `frames` if given:
        see `decode_tensor`)."""
        with torch.inference_mode():
            if self._open_decoder is None:
                return self.decode_tensor(enc, prosody, frames).numpy()
            if self._decoder is None:
                self._decoder = self._open_decoder()
            asr, f0, energy, source = self._decoder_inputs(enc, prosody, frames)
            style = enc.style[:, :128].numpy()
            audio = run_decoder(self._decoder, asr.numpy(), f0.numpy(), energy.numpy(), style, source.numpy())
        return audio.reshape(-1)

    def decode_tensor(self, enc: Encoded, prosody: Prosody, frames: slice | None = None) -> torch.Tensor:
        """Like `decode`, on torch; differentiable w.r.t. the style given to `encode`.

        `frames`: decode only this window of duration frames (FRAME samples each), at a fraction of the
        cost (gradient steps, streaming); the harmonic source is the whole one's, sliced, but the
        decoder's instance norms take their statistics over the window instead of the utterance."""
        asr, f0, energy, source = self._decoder_inputs(enc, prosody, frames)
        return self.torch_decoder(asr, f0, energy, enc.style[:, :128], source).reshape(-1)

    def _decoder_inputs(self, enc: Encoded, prosody: Prosody,
                        frames: slice | None = None) -> tuple[torch.Tensor, ...]:
        index = _frame_index(prosody.durations)
        f0 = torch.as_tensor(np.asarray(prosody.f0, dtype=np.float32)).reshape(1, -1)
        energy = torch.as_tensor(np.asarray(prosody.energy, dtype=np.float32)).reshape(1, -1)
        if f0.shape[1] != 2 * len(index) or energy.shape[1] != 2 * len(index):
            raise ValueError("f0 and energy need 2 values per duration frame")
        a, b, _ = (frames or slice(None)).indices(len(index))
        with torch.no_grad():  # the excitation is a fixed function of F0 (as in Kokoro)
            source = self.net.source(f0, torch.from_numpy(source_noise(b)), slice(2 * a, 2 * b))
        return enc.text_features[..., index[a:b]], f0[:, 2 * a:2 * b], energy[:, 2 * a:2 * b], source

    def synthesize(self, token_ids: Sequence[int], style: np.ndarray, speed: float = 1.0) -> tuple[np.ndarray, Prosody]:
        """`plan`, then decode: the model as it comes, with nothing changed between the stages."""
        enc, prosody = self.plan(token_ids, style, speed)
        return self.decode(enc, prosody), prosody

    def plan(self, token_ids: Sequence[int], style: np.ndarray, speed: float = 1.0) -> tuple[Encoded, Prosody]:
        """Everything before the decoder, as the model predicts it: encode -> durations -> prosody."""
        enc = self.encode(token_ids, style)
        return enc, self.predict_prosody(enc, self.durations(enc, speed))

    def calibration_feeds(self, style: np.ndarray | None = None,
                          pitch_scale: float = 1.0) -> Iterator[dict[str, np.ndarray]]:
        """Decoder inputs of the built-in calibration sentences, for int8 quantisation: each read by another
        built-in voice, or all by `style` (a trained voice's, at its pitch: its decoder's activation ranges
        are its own)."""
        vocab, packs = token_ids(), assets.voice_packs()
        for phonemes, voice in zip(_CALIBRATION, sorted(packs), strict=False):
            ids = [vocab[c] for c in phonemes if c in vocab]
            with torch.inference_mode():
                enc = self.encode(ids, packs[voice][len(ids) - 1] if style is None else style)
                durations = round_durations(self.predict_durations(enc))
                prosody = self.predict_prosody(enc, durations)
                prosody.f0 *= pitch_scale
                asr, f0, energy, source = self._decoder_inputs(enc, prosody)
                values = (asr, f0, energy, enc.style[:, :128], source)
                yield {k: v.numpy().astype(np.float32) for k, v in zip(INPUTS, values, strict=True)}


def adapted_model(base: AcousticModel, adapter: dict[str, np.ndarray], key: str, style: np.ndarray,
                  pitch_scale: float) -> AcousticModel:
    """`base` with a trained voice's decoder: the adapter's deltas merged into the decoder weights, then the
    same int8 export as the base decoder (built once per adapter and kept in the cache, so a trained voice
    renders at a built-in voice's speed). Shares everything before the decoder with `base`."""
    model_file, cache = assets.model_path(), assets.cache_dir()

    def torch_decoder() -> Decoder:
        decoder = build_decoder()
        state = merge_adapter(cached_state_dict(model_file, cache, decoder=True), adapter)
        decoder.load_state_dict(state, strict=True)
        return decoder

    def int8() -> Int8Decoder:
        return int8_decoder(torch_decoder, lambda: base.calibration_feeds(style, pitch_scale), variant=key[:16])

    model = AcousticModel(base.net, int8, torch_decoder=torch_decoder)
    model._torch_decoder = None  # the net's own decoder, if it has one, is the base one
    return model


@cache
def acoustic_model() -> AcousticModel:
    """The process-wide model, loaded on first use.

    Weights come from a cached state dict; the PyTorch decoder is only built for `decode_tensor` (or
    the one-time ONNX export), so plain synthesis never holds its float weights."""
    model_file, cache = assets.model_path(), assets.cache_dir()
    net = KokoroNet(decoder=False)
    net.load_state_dict(cached_state_dict(model_file, cache, decoder=False), strict=True)

    def torch_decoder() -> Decoder:
        decoder = build_decoder()
        decoder.load_state_dict(cached_state_dict(model_file, cache, decoder=True), strict=True)
        return decoder

    model = AcousticModel(net, lambda: int8_decoder(torch_decoder, model.calibration_feeds),
                          torch_decoder=torch_decoder)
    return model
