"""A voice is plain data: a Kokoro style (timbre half + prosody half), metadata and, for a trained voice,
the decoder adapter few-shot training made (see `voice.train`; training's guard may leave it out).

Files: a clone is an `.npz` (style + JSON metadata); a trained voice is one `.safetensors` file (style,
adapter tensors if any, and JSON metadata in its header: format version, the base model's SHA-256, training
clips' hashes, metrics, consent). A trained voice loads only over the base model it was trained on."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from vocalis.acoustic.assets import STYLE_DIM, model_sha256
from vocalis.errors import VoiceError

TIMBRE = slice(0, 128)  # decoder half: spectral timbre, who is speaking
PROSODY = slice(128, 256)  # predictor half: durations, rhythm, pitch level
MODEL_FORMAT = "vocalis-voice-model"
MODEL_VERSION = 1
_ADAPTER = "adapter."  # tensor-name prefix of the adapter's deltas in a voice model file


@dataclass(frozen=True)
class Voice:
    name: str
    # float32 [n, 256]. Built-in packs hold 510 rows, row k being the style for k+1 phonemes
    # (Kokoro's packs vary slightly with utterance length); a cloned voice may hold one row.
    style: np.ndarray
    language: str = "en"  # the language this voice reads best: "en" or "zh"
    description: str = ""
    # Multiplies every F0 curve the model predicts: the prosody half sets a pitch level, and a clone
    # brings it to its reference speaker's level with this.
    pitch_scale: float = 1.0
    meta: dict = field(default_factory=dict)
    # What the speaker encoder heard in the reference clips of a clone (see trust.speaker_check): spoken
    # consent is checked against it. None for built-in voices and voices cloned before it was kept.
    speaker: np.ndarray | None = None
    # A trained voice's decoder deltas, keyed by decoder state-dict keys (see voice.train.adapter); None
    # for built-in and cloned voices.
    adapter: dict[str, np.ndarray] | None = field(default=None, repr=False)
    # The phoneme envelope table [tokens, bins] in dB of a trained voice or a clone (see voice.envelope); None: none.
    envelope: np.ndarray | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.style.ndim != 2 or self.style.shape[1] != STYLE_DIM or len(self.style) == 0:
            raise VoiceError(f"voice {self.name!r}: style must be [n, {STYLE_DIM}], got {self.style.shape}")
        if not 0.25 <= self.pitch_scale <= 4.0:
            raise VoiceError(f"voice {self.name!r}: pitch_scale {self.pitch_scale} is outside 0.25-4")

    def style_for(self, n_phonemes: int) -> np.ndarray:
        """The 256-d style for an utterance of `n_phonemes` phonemes."""
        return style_row(self.style, n_phonemes)

    @property
    def id(self) -> str:
        """Identifies what the voice sounds like (its style, pitch, adapter and envelope), not its name: a renamed
        or exported copy keeps its id, and with it its consent record."""
        return self._digest(envelope=True)

    @property
    def decoder_id(self) -> str:
        """Identifies what a trained voice's decoder is built from (its style, pitch and adapter)."""
        return self._digest(envelope=False)

    def _digest(self, envelope: bool) -> str:
        h = hashlib.sha256(np.ascontiguousarray(self.style, dtype="<f4").tobytes())
        h.update(f"{self.pitch_scale:.6f}".encode())
        if self.adapter:
            h.update(self.adapter_digest.encode())
        if envelope and self.envelope is not None:
            h.update(np.ascontiguousarray(self.envelope, dtype="<f4").tobytes())
        return h.hexdigest()[:32]

    @property
    def adapter_digest(self) -> str:
        """SHA-256 of the adapter's tensors (names and values); '' without one."""
        if not self.adapter:
            return ""
        h = hashlib.sha256()
        for key in sorted(self.adapter):
            h.update(key.encode() + np.ascontiguousarray(self.adapter[key], dtype="<f4").tobytes())
        return h.hexdigest()

    @property
    def trained(self) -> bool:
        """A voice model few-shot training made; its decoder adapter may have been left out (see
        `service.training`), so the adapter alone does not say."""
        return bool(self.adapter) or self.meta.get("source") == "trained"

    @property
    def suffix(self) -> str:
        """The file suffix this voice saves under."""
        return ".safetensors" if self.trained else ".npz"

    @property
    def timbre(self) -> np.ndarray:
        return self.style[:, TIMBRE]

    @property
    def prosody(self) -> np.ndarray:
        return self.style[:, PROSODY]

    def _info(self) -> dict:
        return {k: v for k, v in asdict(self).items() if k not in ("style", "speaker", "adapter", "envelope")}

    def save(self, path: str | Path) -> Path:
        """Save as `.npz` (style + JSON metadata), or `.safetensors` for a trained voice (see the module doc)."""
        path = Path(path)
        path = path.with_name(path.name.removesuffix(path.suffix) + self.suffix)
        arrays = {"style": self.style.astype(np.float32)}
        if self.speaker is not None:
            arrays["speaker"] = self.speaker.astype(np.float32)
        if self.envelope is not None:
            arrays["envelope"] = np.ascontiguousarray(self.envelope, dtype=np.float32)
        if not self.trained:
            np.savez_compressed(path, info=json.dumps(self._info()), **arrays)
            return path
        from safetensors.numpy import save_file

        arrays |= {_ADAPTER + k: np.ascontiguousarray(v, dtype=np.float32) for k, v in (self.adapter or {}).items()}
        header = {"format": MODEL_FORMAT, "version": str(MODEL_VERSION), "base_model_sha256": model_sha256(),
                  "adapter_sha256": self.adapter_digest, "info": json.dumps(self._info())}
        save_file(arrays, str(path), metadata=header)
        return path

    @classmethod
    def load(cls, path: str | Path) -> Voice:
        if Path(path).suffix == ".safetensors":
            return cls._load_model(Path(path))
        try:
            with np.load(path, allow_pickle=False) as npz:
                info = json.loads(str(npz["info"]))
                speaker = npz["speaker"].astype(np.float32) if "speaker" in npz else None
                envelope = npz["envelope"].astype(np.float32) if "envelope" in npz else None
                return cls(style=npz["style"].astype(np.float32), speaker=speaker, envelope=envelope, **info)
        except (OSError, KeyError, ValueError, TypeError) as e:
            raise VoiceError(f"{path} is not a Vocalis voice file: {e}") from None

    @classmethod
    def _load_model(cls, path: Path) -> Voice:
        from safetensors import SafetensorError, safe_open

        try:
            with safe_open(str(path), framework="numpy") as f:
                header = f.metadata() or {}
                arrays = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118 - safe_open is no mapping
        except (OSError, SafetensorError, ValueError) as e:
            raise VoiceError(f"{path} is not a Vocalis voice file: {e}") from None
        if header.get("format") != MODEL_FORMAT:
            raise VoiceError(f"{path} is not a Vocalis voice model (format {header.get('format')!r})")
        if int(header.get("version", 0)) > MODEL_VERSION:
            raise VoiceError(f"{path} is a voice model of version {header['version']}; this Vocalis reads "
                             f"version {MODEL_VERSION} and older: upgrade Vocalis")
        if header.get("base_model_sha256") != model_sha256():
            raise VoiceError(f"{path} was trained over another base model (SHA-256 "
                             f"{str(header.get('base_model_sha256'))[:12]}…, this one is {model_sha256()[:12]}…): "
                             "it cannot be used with this model; train it again")
        adapter = {k.removeprefix(_ADAPTER): v for k, v in arrays.items() if k.startswith(_ADAPTER)}
        try:
            voice = cls(style=arrays["style"], speaker=arrays.get("speaker"), adapter=adapter or None,
                        envelope=arrays.get("envelope"), **json.loads(header["info"]))
        except (KeyError, ValueError, TypeError) as e:
            raise VoiceError(f"{path} is not a Vocalis voice file: {e}") from None
        if header.get("adapter_sha256") != voice.adapter_digest:
            raise VoiceError(f"{path} is damaged: its adapter does not match the hash it was saved with")
        return voice


def style_row(style: np.ndarray, n_phonemes: int) -> np.ndarray:
    """The row of a style table ([n, 256]: a row per utterance length, as Kokoro's packs hold them) that an
    utterance of `n_phonemes` phonemes speaks with; a one-row style serves every length."""
    return style[min(max(n_phonemes, 1), len(style)) - 1]
